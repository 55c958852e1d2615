"""A readable terminal report of a scan object (what ``mailsentinel scan`` prints)."""

from __future__ import annotations

import textwrap
from typing import Any

_MARK = {"error": "✗", "warning": "!", "info": "i"}
_WIDTH = 96


def _status(part: dict[str, Any], found_text: str) -> str:
    if part.get("status") == "error":
        return f"could not check ({part.get('error')})"
    if not part.get("found"):
        return "not found"
    return found_text


def _line(label: str, text: str) -> str:
    return f"  {label:<10} {text}"


def _spf_tree(node: dict[str, Any], depth: int = 0) -> list[str]:
    prefix = "    " + "  " * depth + ("└ " if depth else "")
    via = f"{node['qualifier'] or ''}{node['via']}:" if depth else ""
    extra = f" [{node['status']}: {node['error']}]" if node["status"] != "ok" else ""
    lines = [f"{prefix}{via}{node['domain']} ({node['dnsLookups']} lookups){extra}"]
    for child in node["children"]:
        lines.extend(_spf_tree(child, depth + 1))
    return lines


def _dmarc(d: dict[str, Any]) -> list[str]:
    lines = [_line("DMARC", _status(d, f"{d['recordName']}: {d['record']}"))]
    if d.get("found") and d.get("record"):
        where = {"domain": "own record", "organizational": "inherited from the org domain",
                 "psd": "public suffix domain policy"}.get(d["location"] or "", "")
        lines.append(_line("", f"policy {d['effectivePolicy']} (subdomains "
                           f"{d['effectiveSubdomainPolicy']}), {where}"
                           + (", testing" if d["testing"] else "")))
        for uri in d["rua"]:
            auth = "" if not uri["external"] else (
                " (authorized)" if uri["authorized"] else " (NOT authorized)")
            lines.append(_line("", f"rua {uri['uri']}{auth}"))
    return lines


def _spf(s: dict[str, Any]) -> list[str]:
    lines = [_line("SPF", _status(s, str(s.get("record"))))]
    if s.get("record"):
        lines.append(_line("", f"{s['dnsLookups']}/{s['dnsLookupLimit']} DNS lookups, "
                           f"{s['voidLookups']}/{s['voidLookupLimit']} void lookups"))
        if s.get("includeTree"):
            lines.extend(_spf_tree(s["includeTree"]))
    return lines


def _dkim(k: dict[str, Any]) -> list[str]:
    found = [s for s in k["selectors"] if s["found"]]
    lines = [_line("DKIM", _status(k, f"{len(found)} key(s) among "
                                      f"{k['checkedSelectors']} selectors checked"))]
    for sel in k["selectors"]:
        if not sel["found"]:
            lines.append(_line("", f"{sel['selector']}: not found"))
            continue
        what = "revoked" if sel["revoked"] else f"{sel['keyType']} {sel['keyBits'] or '?'} bits"
        flags = (" testing" if sel["testing"] else "") + (
            f" -> {sel['cname']}" if sel["cname"] else "")
        lines.append(_line("", f"{sel['selector']}: {what}{flags}"))
    return lines


def _mx(m: dict[str, Any]) -> list[str]:
    if m.get("nullMx"):
        return [_line("MX", "null MX (accepts no mail)")]
    hosts = ", ".join(f"{h['preference']} {h['host']}" for h in m["hosts"])
    return [_line("MX", _status(m, hosts))]


def render_text(result: dict[str, Any]) -> str:
    """Format a scan object as plain text for a terminal."""
    lines = [f"MailSentinel scan of {result['domain']}  ({result['scannedAt']}, "
             f"{result['durationMs']} ms)", ""]
    lines += _dmarc(result["dmarc"]) + _spf(result["spf"]) + _dkim(result["dkim"])
    lines += _mx(result["mx"])
    sts = result["mtaSts"]
    mode = (sts.get("policy") or {}).get("mode")
    lines.append(_line("MTA-STS", _status(sts, f"id={sts['id']}, mode {mode or '?'}")))
    tls = result["tlsRpt"]
    lines.append(_line("TLS-RPT", _status(tls, ", ".join(tls["rua"]) or str(tls["record"]))))
    bimi = result["bimi"]
    lines.append(_line("BIMI", _status(bimi, str(bimi["logo"] or bimi["record"]))))
    sec = result["dnssec"]
    signed = "signed" + (" and validated" if sec["authenticated"] else "")
    lines.append(_line("DNSSEC", "could not check" if sec["status"] == "error"
                       else signed if sec["signed"] else "not signed"))
    issues = result["issues"]
    counts = {s: sum(1 for i in issues if i["severity"] == s) for s in _MARK}
    lines += ["", f"Issues: {counts['error']} errors, {counts['warning']} warnings, "
                  f"{counts['info']} notes"]
    for issue in issues:
        head = f"  {_MARK[issue['severity']]} [{issue['code']}] "
        body = textwrap.wrap(issue["message"], _WIDTH - len(head)) or [""]
        lines.append(head + body[0])
        lines.extend(" " * len(head) + rest for rest in body[1:])
    return "\n".join(lines) + "\n"
