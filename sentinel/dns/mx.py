"""MX checks: presence, null MX (RFC 7505), CNAME targets and targets without an address.

RFC 5321 §5.1 and RFC 2181 §10.3: an MX target must be a host name with A/AAAA records,
not an alias and not an address literal.
"""

from __future__ import annotations

import asyncio
import ipaddress

from sentinel.dns.client import DnsClient
from sentinel.dns.findings import JSON, Findings, Issue, part_status


def parse_mx(record: str) -> tuple[int, str]:
    """``"10 mx.example.com"`` → ``(10, "mx.example.com")``; raises ValueError if malformed."""
    preference, _, host = record.partition(" ")
    return int(preference), host.strip().rstrip(".").lower() or "."


async def check_mx(client: DnsClient, domain: str) -> tuple[JSON, list[Issue]]:
    """Check the domain's mail exchangers and their addresses. Never raises."""
    findings = Findings()
    answer = await client.query(domain, "MX")
    status, error = part_status(answer)
    result: JSON = {"status": status, "error": error, "found": False, "nullMx": False,
                    "hosts": []}
    if answer.failed:
        findings.warning("MX_DNS_ERROR", f"Could not look up the MX records of {domain}: "
                         f"{error}. Try again later.")
    elif answer.missing:
        findings.warning("MX_MISSING", f"{domain} has no MX record: mail to it goes to its "
                         "address record if any. Publish MX records, or a null MX "
                         "('0 .', RFC 7505) if it never receives mail.")
    else:
        await _hosts(client, domain, sorted(parse_mx(r) for r in answer.records), result,
                     findings)
    result["errors"] = findings.errors
    result["warnings"] = findings.warnings
    return result, findings.items


async def _hosts(client: DnsClient, domain: str, entries: list[tuple[int, str]], result: JSON,
                 findings: Findings) -> None:
    result["found"] = True
    if any(host == "." for _, host in entries):
        result["nullMx"] = True
        if len(entries) > 1:
            findings.error("MX_NULL_MIXED", f"{domain} publishes a null MX together with other "
                           "MX records; RFC 7505 §3 requires the null MX to be the only one.")
        else:
            findings.info("MX_NULL", f"{domain} publishes a null MX: it accepts no mail "
                          "(RFC 7505).")
        entries = [e for e in entries if e[1] != "."]
    hosts = [h for _, h in entries]
    lookups = await asyncio.gather(
        *(asyncio.gather(client.query(h, "A"), client.query(h, "AAAA")) for h in hosts)
    )
    for (preference, host), (a, aaaa) in zip(entries, lookups, strict=True):
        item: JSON = {"host": host, "preference": preference, "addresses": [*a.records,
                      *aaaa.records], "cname": (a.cnames or aaaa.cnames or (None,))[-1],
                      "error": None}
        result["hosts"].append(item)
        if _is_ip(host):
            findings.error("MX_TARGET_IP", f"MX {host} of {domain} is an IP address; MX "
                           "targets must be host names (RFC 5321 §5.1).")
            continue
        if a.failed or aaaa.failed:
            item["error"] = a.error or aaaa.error
            findings.warning("MX_DNS_ERROR", f"Could not resolve MX host {host}: "
                             f"{item['error']}.")
            continue
        if item["cname"]:
            findings.warning("MX_TARGET_CNAME", f"MX host {host} of {domain} is a CNAME to "
                             f"{item['cname']}; MX targets must not be aliases "
                             "(RFC 2181 §10.3). Point the MX at the canonical name.")
        if not item["addresses"]:
            findings.error("MX_TARGET_NO_ADDRESS", f"MX host {host} of {domain} has no A or "
                           "AAAA record, so mail cannot be delivered to it.")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
