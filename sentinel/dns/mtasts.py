"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record and the HTTPS policy, validated.

The TXT record (§3.1) is ``v=STSv1; id=<1-32 alphanumerics>``; the policy (§3.2) is
fetched from ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` and must carry
``version: STSv1``, a ``mode``, ``max_age`` and, unless mode is none, ``mx`` patterns
that cover the domain's MX hosts (§4.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sentinel.dns.client import DnsClient
from sentinel.dns.findings import JSON, Findings, Issue, part_status, split_tags
from sentinel.dns.https import HttpsFetcher

_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
MAX_AGE_LIMIT = 31557600  # §3.2: up to one year


@dataclass
class StsPolicy:
    """A parsed MTA-STS policy file; never raises while parsing."""

    version: str | None = None
    mode: str | None = None
    max_age: int | None = None
    mx: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_sts_policy(body: str) -> StsPolicy:
    """Parse the key/value lines of a policy (RFC 8461 §3.2, CRLF or LF line ends)."""
    policy = StsPolicy()
    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            policy.errors.append(f"line '{line[:60]}' is not 'key: value'")
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "version":
            policy.version = value
        elif key == "mode":
            policy.mode = value
        elif key == "max_age":
            policy.max_age = int(value) if value.isdigit() else None
            if policy.max_age is None or policy.max_age > MAX_AGE_LIMIT:
                policy.errors.append(f"max_age {value} must be 0..{MAX_AGE_LIMIT} seconds")
        elif key == "mx":
            policy.mx.append(value.lower())
    if policy.version != "STSv1":
        policy.errors.append("the policy must start with 'version: STSv1'")
    if policy.mode not in ("enforce", "testing", "none"):
        policy.errors.append(f"mode '{policy.mode}' must be enforce, testing or none")
    if policy.max_age is None and not any("max_age" in e for e in policy.errors):
        policy.errors.append("max_age is missing")
    if policy.mode in ("enforce", "testing") and not policy.mx:
        policy.errors.append("no mx: patterns although mode is not none")
    return policy


def mx_matches(host: str, pattern: str) -> bool:
    """Does an MX host match a policy pattern (RFC 8461 §4.1; ``*.`` covers one label)?"""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def parse_sts_record(text: str) -> tuple[dict[str, str], list[str]]:
    """Tags of an ``_mta-sts`` TXT record and its problems (RFC 8461 §3.1)."""
    try:
        tags = dict(split_tags(text))
    except ValueError as exc:
        return {}, [str(exc)]
    errors = []
    if tags.get("v") != "STSv1":
        errors.append("the record must start with v=STSv1")
    if not _ID.match(tags.get("id", "")):
        errors.append("id= must be 1 to 32 letters or digits")
    return tags, errors


async def check_mta_sts(client: DnsClient, https: HttpsFetcher | None, domain: str
                        ) -> tuple[JSON, list[Issue]]:
    """Check the MTA-STS record and fetch and validate its policy. Never raises."""
    findings = Findings()
    answer = await client.query(f"_mta-sts.{domain}", "TXT")
    records = [r for r in answer.records if r.lower().startswith("v=stsv1")]
    status, error = part_status(answer)
    if answer.ok and not records:
        status = "not_found"
    url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
    result: JSON = {"status": status, "error": error, "found": bool(records),
                    "record": records[0] if records else None, "id": None, "policyUrl": url,
                    "policy": None, "policyError": None, "uncoveredMx": [], "valid": False}
    if answer.failed:
        findings.warning("MTA_STS_DNS_ERROR", f"Could not look up _mta-sts.{domain}: {error}.")
    elif not records:
        findings.info("MTA_STS_MISSING", f"{domain} has no MTA-STS policy: mail to it can be "
                      "downgraded to plain text in transit (RFC 8461).")
    elif len(records) > 1:
        findings.error("MTA_STS_MULTIPLE_RECORDS", f"_mta-sts.{domain} has {len(records)} "
                       "records; senders then ignore MTA-STS (RFC 8461 §3.1).")
    else:
        await _check_policy(https, domain, records[0], result, findings)
    result["errors"] = findings.errors
    result["warnings"] = findings.warnings
    return result, findings.items


async def _check_policy(https: HttpsFetcher | None, domain: str, record: str,
                        result: JSON, findings: Findings) -> None:
    tags, errors = parse_sts_record(record)
    result["id"] = tags.get("id")
    for problem in errors:
        findings.error("MTA_STS_INVALID_RECORD", f"_mta-sts.{domain}: {problem}.")
    if https is None:
        result["policyError"] = "policy not fetched (no HTTPS fetcher configured)"
        result["valid"] = None
        return
    fetched = await https.get(result["policyUrl"])
    if fetched.status != "ok" or fetched.http_status != 200 or fetched.body is None:
        why = fetched.error or f"HTTP status {fetched.http_status}"
        result["policyError"] = why
        findings.error("MTA_STS_POLICY_UNAVAILABLE", f"The MTA-STS policy at "
                       f"{result['policyUrl']} could not be fetched: {why}.")
        return
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    if media != "text/plain":
        findings.warning("MTA_STS_POLICY_MEDIA_TYPE", f"The MTA-STS policy is served as "
                         f"'{media or 'no type'}'; RFC 8461 §3.2 requires text/plain.")
    policy = parse_sts_policy(fetched.body)
    result["policy"] = {"version": policy.version, "mode": policy.mode,
                        "maxAge": policy.max_age, "mx": policy.mx}
    for problem in policy.errors:
        findings.error("MTA_STS_INVALID_POLICY", f"MTA-STS policy of {domain}: {problem}.")
    if policy.mode == "testing":
        findings.info("MTA_STS_TESTING", f"The MTA-STS policy of {domain} is in testing mode.")
    result["valid"] = not errors and not policy.errors


def mx_coverage(result: JSON, mx_hosts: list[str]) -> list[Issue]:
    """Issues for MX hosts a valid testing/enforce policy does not cover (RFC 8461 §4.1).

    Updates the part's ``errors`` and ``uncoveredMx`` in place.
    """
    policy = result.get("policy")
    if not policy or policy["mode"] not in ("enforce", "testing"):
        return []
    uncovered = [h for h in mx_hosts if not any(mx_matches(h, p) for p in policy["mx"])]
    result["uncoveredMx"] = uncovered
    if not uncovered:
        return []
    issue = Issue("error", "MTA_STS_MX_MISMATCH", f"MX hosts {', '.join(uncovered)} are not "
                  "covered by the MTA-STS policy's mx patterns; senders enforcing it will "
                  "refuse to deliver to them.")
    result["errors"].append(issue.message)
    result["valid"] = False
    return [issue]
