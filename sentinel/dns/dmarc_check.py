"""DMARC policy discovery and checks: the DMARCbis DNS tree walk and report authorization.

Discovery follows RFC 9989 §4.10: ``_dmarc.<domain>`` first, then the parents, longest
first (names over eight labels jump to seven), stopping at a ``psd=y``/``psd=n`` record;
the Organizational Domain is the record with the fewest labels, the one marked psd=n,
or the name one label below a psd=y record. All walk queries go out at once, so the walk
costs one round trip. External report destinations are checked for their
``<domain>._report._dmarc.<destination>`` authorization record (RFC 7489 §7.1).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sentinel.dns.client import DnsAnswer, DnsClient
from sentinel.dns.dmarc import DmarcRecord, ReportUri, is_dmarc_record, parse_dmarc
from sentinel.dns.findings import JSON, Findings, Issue
from sentinel.dns.spf import is_spf_record
from sentinel.domains.names import organizational_domain


def walk_names(domain: str) -> list[str]:
    """The names whose ``_dmarc`` record the tree walk may read, longest first (§4.10)."""
    labels = domain.rstrip(".").lower().split(".")
    names = [".".join(labels)]
    start = len(labels) - 7 if len(labels) > 8 else 1
    names.extend(".".join(labels[i:]) for i in range(start, len(labels)))
    return names


def _records(answer: DnsAnswer) -> list[str]:
    return [r for r in answer.records if is_dmarc_record(r)]


def _org_domain(domain: str, names: list[str], found: dict[str, DmarcRecord]) -> tuple[str, str]:
    """(Organizational Domain, name of the record that decided it) per RFC 9989 §4.10.2."""
    collected = [n for n in names if n in found]
    for name in collected:
        psd = found[name].psd
        if psd == "n":
            return name, name
        if psd == "y":
            labels = domain.split(".")
            below = ".".join(labels[len(labels) - len(name.split(".")) - 1:])
            return (below if below != name else name), name
    if collected:
        return collected[-1], collected[-1]
    return organizational_domain(domain), ""


async def check_dmarc(client: DnsClient, domain: str) -> tuple[JSON, list[Issue]]:
    """Discover and check the DMARC policy that applies to ``domain``. Never raises."""
    findings = Findings()
    names = walk_names(domain)
    answers = await asyncio.gather(
        client.query(domain, "TXT"), *(client.query(f"_dmarc.{n}", "TXT") for n in names)
    )
    apex, walked = answers[0], dict(zip(names, answers[1:], strict=True))
    result: JSON = _empty(domain)
    result["walk"] = [{"name": f"_dmarc.{n}", "status": walked[n].status,
                       "found": bool(_records(walked[n]))} for n in names]
    if apex.ok and any(is_dmarc_record(r) for r in apex.records):
        findings.warning("DMARC_RECORD_AT_APEX", f"A DMARC record is published at {domain} "
                         f"itself, where it has no effect; move it to _dmarc.{domain}.")
    own = walked[domain]
    if any(is_spf_record(r) for r in own.records):
        findings.warning("DMARC_SPF_AT_DMARC", f"An SPF record is published at _dmarc.{domain}; "
                         "SPF belongs at the domain itself.")
    found: dict[str, DmarcRecord] = {}
    for name in names:
        records = _records(walked[name])
        if len(records) == 1:
            found[name] = parse_dmarc(records[0])
    own_records = _records(own)
    failures = [walked[n] for n in names if walked[n].failed]
    if own.failed or (not own_records and failures):
        failed = own if own.failed else failures[0]
        result.update(status="error", error=failed.error, valid=None)
        findings.warning("DMARC_DNS_ERROR", f"Could not look up the DMARC policy of {domain}: "
                         f"{failed.error}. Try again later.")
        return _finish(result, findings)
    if len(own_records) > 1:
        result.update(found=True, records=own_records, recordName=f"_dmarc.{domain}")
        findings.error("DMARC_MULTIPLE_RECORDS", f"_dmarc.{domain} has {len(own_records)} DMARC "
                       "records, so receivers apply none of them (RFC 7489 §6.6.3). Keep one.")
        return _finish(result, findings)
    org, decider = _org_domain(domain, names, found)
    result["orgDomain"] = org
    if own_records:
        location, applied_at = "domain", domain
    elif org in found:
        location, applied_at = "organizational", org
    elif decider and found[decider].psd == "y":
        location, applied_at = "psd", decider
    else:
        result["status"] = "not_found"
        findings.error("DMARC_MISSING", f"No DMARC policy applies to {domain}: publish a TXT "
                       f"record at _dmarc.{org} such as 'v=DMARC1; p=none; "
                       f"rua=mailto:dmarc@{org}' and tighten p= once reports look clean.")
        return _finish(result, findings)
    record = found[applied_at]
    result.update(found=True, record=record.text, records=_records(walked[applied_at]),
                  recordName=f"_dmarc.{applied_at}", location=location)
    if location != "domain":
        findings.info("DMARC_INHERITED", f"{domain} has no DMARC record of its own; the policy "
                      f"at _dmarc.{applied_at} applies to it.")
    _fill(result, record, domain, location, found.get(org))
    _judge(findings, record, applied_at)
    await _authorize(client, result, findings, applied_at)
    result["valid"] = not record.errors
    return _finish(result, findings)


def _empty(domain: str) -> JSON:
    return {
        "status": "ok", "error": None, "found": False, "record": None, "records": [],
        "recordName": None, "location": None, "orgDomain": organizational_domain(domain),
        "policy": None, "subdomainPolicy": None, "nonexistentSubdomainPolicy": None,
        "effectivePolicy": None, "effectiveSubdomainPolicy": None, "pct": None,
        "testing": False, "adkim": None, "aspf": None, "fo": None, "psd": None,
        "rua": [], "ruf": [], "tags": {}, "walk": [], "valid": False,
    }


def _fill(result: JSON, rec: DmarcRecord, domain: str, location: str,
          org_rec: DmarcRecord | None) -> None:
    # An invalid p, sp or np leaves receivers with p=none at best (RFC 7489 §6.6.3 step 6).
    own_p = "none" if rec.policy_lost else rec.policy or "none"
    own_sp = "none" if rec.policy_lost else rec.subdomain_policy or "none"
    if location == "domain":
        effective = own_p
        # Below the Organizational Domain, subdomains fall back to the org record (§4.10).
        is_org = result["orgDomain"] == domain or org_rec is None
        sub = own_sp if is_org else (org_rec.subdomain_policy if org_rec else own_sp)
    else:
        effective = sub = own_sp
    result.update(
        policy=rec.policy, subdomainPolicy=rec.subdomain_policy,
        nonexistentSubdomainPolicy=rec.nonexistent_policy, effectivePolicy=effective,
        effectiveSubdomainPolicy=sub or "none", pct=rec.pct, testing=rec.testing,
        # The values receivers use: a bad one is replaced by its default (RFC 9989 §4.8).
        adkim=rec.effective("adkim"), aspf=rec.effective("aspf"),
        fo=rec.effective("fo"), psd=rec.psd, tags=dict(rec.tags),
        rua=[_uri(u) for u in rec.rua], ruf=[_uri(u) for u in rec.ruf],
    )


def _uri(uri: ReportUri) -> dict[str, Any]:
    data = uri.as_dict()
    data.update(external=False, authorized=None)
    return data


def _judge(findings: Findings, rec: DmarcRecord, at: str) -> None:
    where = f"the DMARC record at _dmarc.{at}"
    for error in rec.errors:
        findings.error("DMARC_SYNTAX_ERROR", f"In {where}: {error}.")
    for warning in rec.warnings:
        if warning in rec.ignored:
            code = "DMARC_TAG_VALUE_IGNORED"
        else:
            code = "DMARC_REMOVED_TAG" if "DMARCbis" in warning else "DMARC_TAG_WARNING"
        findings.warning(code, f"In {where}: {warning}.")
    if rec.policy == "none" or rec.policy is None:
        findings.warning("DMARC_POLICY_NONE", f"{where.capitalize()} has p=none: spoofed mail is only "
                         "monitored, not stopped. Move to p=quarantine, then p=reject.")
    elif rec.subdomain_policy == "none":
        findings.warning("DMARC_SUBDOMAIN_POLICY_NONE", f"{where.capitalize()} protects the domain but "
                         "sp=none leaves its subdomains open to spoofing.")
    if rec.testing:
        findings.warning("DMARC_TESTING", f"{where.capitalize()} is in testing mode (t=y or pct<100): "
                         "receivers may apply a weaker policy.")
    if not rec.has_valid_rua:
        findings.warning("DMARC_NO_RUA", f"{where.capitalize()} has no rua= address, so nobody receives "
                         "aggregate reports. Add rua=mailto:<your report address>.")


async def _authorize(client: DnsClient, result: JSON, findings: Findings, at: str) -> None:
    """Check external report destinations' authorization records (RFC 7489 §7.1)."""
    org = organizational_domain(at)
    pending: list[tuple[dict[str, Any], str]] = []
    for tag in ("rua", "ruf"):
        for uri in result[tag]:
            dest = uri["domain"]
            if dest and organizational_domain(dest) != org:
                uri["external"] = True
                pending.append((uri, f"{at}._report._dmarc.{dest}"))
    answers = await asyncio.gather(*(client.query(name, "TXT") for _, name in pending))
    for (uri, name), answer in zip(pending, answers, strict=True):
        if answer.failed:
            findings.warning("DMARC_REPORT_AUTH_DNS_ERROR", f"Could not check whether "
                             f"{uri['domain']} accepts reports for {at}: {answer.error}.")
            continue
        uri["authorized"] = any(is_dmarc_record(r) for r in answer.records)
        if not uri["authorized"]:
            findings.warning("DMARC_REPORT_DEST_UNAUTHORIZED", f"Reports to {uri['address']} "
                             f"will not be sent: {uri['domain']} does not publish "
                             f"'{name} TXT \"v=DMARC1\"' to accept reports about {at}.")


def _finish(result: JSON, findings: Findings) -> tuple[JSON, list[Issue]]:
    result["errors"] = findings.errors
    result["warnings"] = findings.warnings
    return result, findings.items
