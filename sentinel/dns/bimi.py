"""BIMI (draft-brand-indicators-for-message-identification §4): record syntax, https logo."""

from __future__ import annotations

from urllib.parse import urlsplit

from sentinel.dns.client import DnsClient
from sentinel.dns.findings import JSON, Findings, Issue, finish, part_status, split_tags


async def check_bimi(client: DnsClient, domain: str, selector: str = "default"
                     ) -> tuple[JSON, list[Issue]]:
    """Check ``<selector>._bimi.<domain>``: ``v=BIMI1; l=<https SVG>; a=<https VMC>``."""
    findings = Findings()
    name = f"{selector}._bimi.{domain}"
    answer = await client.query(name, "TXT")
    records = [r for r in answer.records if r.lower().startswith("v=bimi1")]
    status, error = part_status(answer)
    if answer.ok and not records:
        status = "not_found"
    result: JSON = {"status": status, "error": error, "found": bool(records),
                    "record": records[0] if records else None, "logo": None,
                    "authority": None, "valid": False}
    if answer.failed:
        findings.warning("BIMI_DNS_ERROR", f"Could not look up {name}: {error}.")
    elif len(records) > 1:
        findings.error("BIMI_MULTIPLE_RECORDS", f"{name} has {len(records)} BIMI records.")
    elif records:
        problems = _bimi_problems(records[0], result)
        for problem in problems:
            findings.error("BIMI_INVALID", f"{name}: {problem}.")
        result["valid"] = not problems
    return finish(result, findings)


def _bimi_problems(record: str, result: JSON) -> list[str]:
    try:
        tags = dict(split_tags(record))
    except ValueError as exc:
        return [str(exc)]
    problems = []
    if tags.get("v") != "BIMI1":
        problems.append("the record must start with v=BIMI1")
    for tag, key in (("l", "logo"), ("a", "authority")):
        value = tags.get(tag)
        result[key] = value or None
        if value and urlsplit(value).scheme != "https":
            problems.append(f"{tag}= must be an https:// URL, not '{value[:80]}'")
    if "l" not in tags:
        problems.append("the l= logo tag is missing")
    elif result["logo"] and not result["logo"].lower().endswith(".svg"):
        problems.append("the logo must be an SVG (Tiny PS) file")
    return problems
