"""The SPF check: fetch the record and walk its include/redirect tree (RFC 7208).

Counts the DNS-querying terms over the whole tree against the limit of 10 (§4.6.4),
reporting the true total past 10; void lookups against 2 (§4.6.4); more than 10 MX
names per ``mx`` term (§4.6.4); include loops; multiple records (§4.5). Every record's
lookups at one level run concurrently, so wall time follows the depth of the tree.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sentinel.dns.client import DnsAnswer, DnsClient
from sentinel.dns.findings import JSON, Findings, Issue
from sentinel.dns.spf import SpfTerm, is_spf_record, parse_spf

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
MX_NAME_LIMIT = 10
#: Stop expanding pathological trees here; the count stays a lower bound past it.
MAX_TREE_NODES = 60


@dataclass
class _Walk:
    client: DnsClient
    findings: Findings
    nodes: int = 0
    temp_errors: list[str] = field(default_factory=list)
    truncated: bool = False


def spf_records(answer: DnsAnswer) -> list[str]:
    return [r for r in answer.records if is_spf_record(r)]


async def check_spf(client: DnsClient, domain: str) -> tuple[JSON, list[Issue]]:
    """Check the SPF policy of ``domain``: the result part and its issues. Never raises."""
    findings = Findings()
    answer = await client.query(domain, "TXT")
    result: JSON = {
        "status": "ok", "error": None, "found": False, "record": None, "records": [],
        "valid": False, "dnsLookups": 0, "dnsLookupLimit": LOOKUP_LIMIT, "voidLookups": 0,
        "voidLookupLimit": VOID_LIMIT, "allQualifier": None, "includeTree": None,
    }
    if answer.failed:
        result.update(status="error", error=answer.error, valid=None)
        findings.warning("SPF_DNS_ERROR", f"Could not look up the SPF record of {domain}: "
                         f"{answer.error}. Try again later.")
        return _finish(result, findings)
    records = spf_records(answer)
    result["records"] = records
    if not records:
        result["status"] = "not_found"
        findings.error("SPF_MISSING", f"{domain} publishes no SPF record: publish a TXT record "
                       "'v=spf1 ... -all' listing the servers that send its mail (RFC 7208).")
        return _finish(result, findings)
    result["found"] = True
    if len(records) > 1:
        findings.error("SPF_MULTIPLE_RECORDS", f"{domain} publishes {len(records)} SPF records; "
                       "receivers treat that as a permanent error (RFC 7208 §4.5). "
                       "Merge them into one.")
        return _finish(result, findings)
    record = records[0]
    result["record"] = record
    walk = _Walk(client, findings)
    tree = await _expand(walk, domain, record, "root", None, (domain.lower(),))
    result["includeTree"] = tree
    lookups, voids = _totals(tree)
    result.update(dnsLookups=lookups, voidLookups=voids)
    all_term = parse_spf(record).all_term
    result["allQualifier"] = all_term.qualifier if all_term else None
    _judge_totals(findings, domain, lookups, voids, walk.truncated)
    _judge_all(findings, domain, record)
    if len(record) > 450:
        findings.info("SPF_RECORD_LONG", f"The SPF record is {len(record)} characters; answers "
                      "over 512 bytes may need TCP (RFC 7208 §3.4).")
    if walk.temp_errors:
        result["valid"] = None
        findings.warning("SPF_DNS_ERROR", "Part of the SPF tree could not be checked: "
                         + "; ".join(walk.temp_errors[:3]) + ". Try again later.")
    else:
        result["valid"] = not any(i.severity == "error" for i in findings.items)
    return _finish(result, findings)


def _finish(result: JSON, findings: Findings) -> tuple[JSON, list[Issue]]:
    result["errors"] = findings.errors
    result["warnings"] = findings.warnings
    return result, findings.items


def _totals(node: JSON) -> tuple[int, int]:
    lookups, voids = int(node["dnsLookups"]), int(node["voidLookups"])
    for child in node["children"]:
        sub = _totals(child)
        lookups, voids = lookups + sub[0], voids + sub[1]
    return lookups, voids


def _judge_totals(findings: Findings, domain: str, lookups: int, voids: int, cut: bool) -> None:
    if lookups > LOOKUP_LIMIT:
        more = " at least" if cut else ""
        findings.error("SPF_TOO_MANY_LOOKUPS", f"The SPF record of {domain} needs{more} "
                       f"{lookups} DNS lookups, over the limit of {LOOKUP_LIMIT} "
                       "(RFC 7208 §4.6.4): receivers return permerror. Flatten includes or "
                       "replace a/mx terms with ip4/ip6.")
    elif lookups >= LOOKUP_LIMIT - 1:
        findings.warning("SPF_NEAR_LOOKUP_LIMIT", f"The SPF record of {domain} needs {lookups} "
                         f"of the {LOOKUP_LIMIT} allowed DNS lookups.")
    if voids > VOID_LIMIT:
        findings.error("SPF_TOO_MANY_VOID_LOOKUPS", f"{voids} lookups in the SPF tree of "
                       f"{domain} return no data, over the limit of {VOID_LIMIT} "
                       "(RFC 7208 §4.6.4). Remove terms naming domains that do not exist.")


def _judge_all(findings: Findings, domain: str, record: str) -> None:
    parsed = parse_spf(record)
    term = parsed.all_term
    if term is None:
        if parsed.modifier("redirect") is None:
            findings.warning("SPF_NO_ALL", f"The SPF record of {domain} ends without 'all': "
                             "unlisted senders get a neutral result. End it with '-all' "
                             "or '~all'.")
        return
    if term.qualifier == "+":
        findings.error("SPF_PLUS_ALL", f"The SPF record of {domain} ends with '+all', which "
                       "authorises every server on the Internet. Use '-all' or '~all'.")
    elif term.qualifier == "?":
        findings.warning("SPF_NEUTRAL_ALL", f"The SPF record of {domain} ends with '?all' "
                         "(neutral), which protects nothing. Use '-all' or '~all'.")
    elif term.qualifier == "~":
        findings.info("SPF_SOFTFAIL_ALL", f"The SPF record of {domain} ends with '~all' "
                      "(softfail); '-all' is stricter once all senders are listed.")


def _node(domain: str, via: str, qualifier: str | None, record: str | None) -> JSON:
    return {
        "domain": domain, "via": via, "qualifier": qualifier, "record": record,
        "status": "ok", "error": None, "dnsLookups": 0, "voidLookups": 0, "children": [],
    }


async def _expand(
    walk: _Walk, domain: str, record: str, via: str, qualifier: str | None,
    ancestors: tuple[str, ...],
) -> JSON:
    """One node of the tree: parse, query all its terms concurrently, then recurse."""
    walk.nodes += 1
    node = _node(domain, via, qualifier, record)
    parsed = parse_spf(record)
    where = f"in the SPF record of {domain}"
    for error in parsed.errors:
        walk.findings.error("SPF_SYNTAX_ERROR", f"Syntax error {where}: {error}.")
    for warning in parsed.warnings:
        walk.findings.warning("SPF_TERM_AFTER_ALL", f"{warning[0].upper()}{warning[1:]} ({where}).")
    if parsed.errors:
        node["status"] = "error"
        node["error"] = parsed.errors[0]
    terms = [t for t in parsed.mechanisms if t.counts_lookup]
    if parsed.redirect is not None:
        terms.append(parsed.redirect)
    elif parsed.modifier("redirect") is not None:
        walk.findings.info("SPF_REDIRECT_IGNORED", f"The redirect {where} is ignored because "
                           "the record has an 'all' mechanism (RFC 7208 §6.1).")
    node["dnsLookups"] = len(terms)
    if any(t.name == "ptr" for t in terms):
        walk.findings.warning("SPF_PTR_DEPRECATED", f"The 'ptr' mechanism {where} is slow and "
                              "unreliable and must not be used (RFC 7208 §5.5). Use ip4/ip6.")
    if parsed.uses_macros:
        walk.findings.info("SPF_MACROS", f"The SPF record of {domain} uses macros (RFC 7208 §7); "
                           "terms with macros are counted but cannot be followed here.")
    results = await asyncio.gather(*(_term(walk, domain, t, ancestors) for t in terms))
    for voids, child in results:
        node["voidLookups"] += voids
        if child is not None:
            node["children"].append(child)
    return node


async def _term(
    walk: _Walk, domain: str, term: SpfTerm, ancestors: tuple[str, ...]
) -> tuple[int, JSON | None]:
    """Query one DNS-costing term; returns (void lookups, child node or None)."""
    if term.has_macro or term.name == "ptr":
        return 0, None
    target = (term.target or domain).rstrip(".").lower()
    if term.name in ("include", "redirect"):
        return await _follow(walk, domain, term, target, ancestors)
    if term.name == "mx":
        answer = await walk.client.query(target, "MX")
        if answer.failed:
            walk.temp_errors.append(answer.error or target)
            return 0, None
        names = [r.split(" ", 1)[1] for r in answer.records if not r.endswith(" .")]
        if len(names) > MX_NAME_LIMIT:
            walk.findings.error("SPF_TOO_MANY_MX_NAMES", f"'{term.text}' in the SPF record of "
                                f"{domain} resolves to {len(names)} MX names, over the limit of "
                                f"{MX_NAME_LIMIT} (RFC 7208 §4.6.4).")
        return int(answer.missing), None
    # a and exists: an address query; void when neither family answers.
    answers = await asyncio.gather(
        walk.client.query(target, "A"),
        *([walk.client.query(target, "AAAA")] if term.name == "a" else []),
    )
    if any(a.failed for a in answers):
        walk.temp_errors.append(next(a.error or target for a in answers if a.failed))
        return 0, None
    return int(all(a.missing for a in answers)), None


async def _follow(
    walk: _Walk, domain: str, term: SpfTerm, target: str, ancestors: tuple[str, ...]
) -> tuple[int, JSON | None]:
    kind = term.name
    qualifier = term.qualifier if kind == "include" else None
    if target in ancestors:
        child = _node(target, kind, qualifier, None)
        child.update(status="loop", error=f"loop back to {target}")
        walk.findings.error("SPF_INCLUDE_LOOP", f"The SPF tree of {ancestors[0]} loops: "
                            f"{' -> '.join((*ancestors, target))}. Receivers return permerror.")
        return 0, child
    if walk.nodes >= MAX_TREE_NODES:
        walk.truncated = True
        child = _node(target, kind, qualifier, None)
        child.update(status="skipped", error="tree too large; not expanded")
        return 0, child
    answer = await walk.client.query(target, "TXT")
    child = _node(target, kind, qualifier, None)
    if answer.failed:
        walk.temp_errors.append(answer.error or target)
        child.update(status="error", error=answer.error)
        return 0, child
    records = spf_records(answer)
    if len(records) != 1:
        problem = "no SPF record" if not records else f"{len(records)} SPF records"
        child.update(status="not_found" if not records else "error", error=problem)
        code = "SPF_INCLUDE_NO_RECORD" if kind == "include" else "SPF_REDIRECT_NO_RECORD"
        if records:
            code = "SPF_MULTIPLE_RECORDS"
        walk.findings.error(code, f"'{term.text}' in the SPF record of {domain} points to "
                            f"{target}, which has {problem}: receivers return permerror "
                            "(RFC 7208 §5.2, §6.1).")
        return int(answer.missing), child
    sub = await _expand(walk, target, records[0], kind, qualifier, (*ancestors, target))
    return 0, sub


def tree_depth(node: dict[str, Any]) -> int:
    """Depth of an include tree (1 for a record without includes)."""
    children = node.get("children") or []
    return 1 + max((tree_depth(c) for c in children), default=0)
