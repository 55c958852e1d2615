"""TLS-RPT (RFC 8460 §3): the ``_smtp._tls`` record and its report URIs."""

from __future__ import annotations

from sentinel.dns.client import DnsClient
from sentinel.dns.findings import JSON, Findings, Issue, finish, part_status, split_tags


async def check_tls_rpt(client: DnsClient, domain: str) -> tuple[JSON, list[Issue]]:
    """Check ``_smtp._tls.<domain>``: ``v=TLSRPTv1; rua=mailto:...|https://...``."""
    findings = Findings()
    name = f"_smtp._tls.{domain}"
    answer = await client.query(name, "TXT")
    records = [r for r in answer.records if r.lower().startswith("v=tlsrptv1")]
    status, error = part_status(answer)
    if answer.ok and not records:
        status = "not_found"
    result: JSON = {"status": status, "error": error, "found": bool(records),
                    "record": records[0] if records else None, "rua": [], "valid": False}
    if answer.failed:
        findings.warning("TLS_RPT_DNS_ERROR", f"Could not look up {name}: {error}.")
    elif not records:
        findings.info("TLS_RPT_MISSING", f"{domain} publishes no TLS-RPT record, so it gets "
                      "no reports of TLS delivery failures (RFC 8460).")
    elif len(records) > 1:
        findings.error("TLS_RPT_MULTIPLE_RECORDS", f"{name} has {len(records)} TLS-RPT "
                       "records; senders ignore them all (RFC 8460 §3).")
    else:
        problems = _tls_rpt_problems(records[0], result)
        for problem in problems:
            findings.error("TLS_RPT_INVALID", f"{name}: {problem}.")
        result["valid"] = not problems
    return finish(result, findings)


def _tls_rpt_problems(record: str, result: JSON) -> list[str]:
    try:
        tags = split_tags(record)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    if not tags or tags[0] != ("v", "TLSRPTv1"):
        problems.append("the record must start with v=TLSRPTv1")
    rua = dict(tags).get("rua")
    if not rua:
        return [*problems, "the required rua= tag is missing"]
    for uri in (u.strip() for u in rua.split(",")):
        result["rua"].append(uri)
        scheme = uri.partition(":")[0].lower()
        if scheme not in ("mailto", "https") or ":" not in uri:
            problems.append(f"rua '{uri}' must be a mailto: or https: URI")
    return problems
