"""Whether the domain's zone is DNSSEC-signed (DNSKEY, RFC 4035 §2.1) and validated (AD bit)."""

from __future__ import annotations

import asyncio

from sentinel.dns.client import DnsClient
from sentinel.dns.findings import JSON, Findings, Issue, finish


async def check_dnssec(client: DnsClient, domain: str, org_domain: str
                       ) -> tuple[JSON, list[Issue]]:
    """Is the zone signed (DNSKEY published, RFC 4035 §2.1) and validated (AD bit, §3.2.3)?"""
    findings = Findings()
    names = [domain] if org_domain == domain else [domain, org_domain]
    answers = await asyncio.gather(*(client.query(n, "DNSKEY") for n in names))
    signed = next((a for a in answers if a.ok), None)
    failed = next((a for a in answers if a.failed), None)
    status, error = ("ok", None) if signed else ("error", failed.error) if failed else (
        "not_found", None)
    result: JSON = {"status": status, "error": error, "signed": signed is not None,
                    "zone": signed.name if signed else None,
                    "dnskeyCount": len(signed.records) if signed else 0,
                    "authenticated": any(a.authenticated for a in answers)}
    if failed and not signed:
        findings.warning("DNSSEC_DNS_ERROR", f"Could not check DNSSEC for {domain}: {error}.")
    elif not signed:
        findings.info("DNSSEC_NOT_SIGNED", f"The zone of {domain} is not DNSSEC-signed: its "
                      "records (MX, MTA-STS, DKIM) can be spoofed by an on-path attacker.")
    elif not result["authenticated"]:
        findings.info("DNSSEC_NOT_VALIDATED", f"{domain} publishes DNSKEY records but the "
                      "resolver did not validate the answers (no AD bit).")
    return finish(result, findings)
