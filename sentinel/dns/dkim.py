"""DKIM key records (RFC 6376 §3.6.1, Ed25519 per RFC 8463): parsing and selector probing.

The configured selectors and a built-in list of common ones are probed concurrently at
``<selector>._domainkey.<domain>``; CNAME'd selectors are followed by the resolver and
reported. Key sizes come from parsing the key with ``cryptography``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from sentinel.dns.client import DnsAnswer, DnsClient
from sentinel.dns.findings import JSON, Findings, Issue
from sentinel.domains.selectors import MAX_SELECTOR_LENGTH as MAX_SELECTOR_LENGTH
from sentinel.domains.selectors import is_valid_selector as is_valid_selector
from sentinel.domains.selectors import selector_problem as selector_problem

#: Selectors of the most common signers (Microsoft 365, Google, Mailchimp, SendGrid,
#: Fastmail, Mandrill, Proton, Zoho, self-hosted defaults), probed on every scan. Kept
#: short on purpose: each costs a query, and the domain's own selectors are configured.
COMMON_SELECTORS: tuple[str, ...] = (
    "default", "selector1", "selector2", "google", "k1", "k2", "k3", "s1", "s2", "dkim",
    "mail", "smtp", "fm1", "mandrill", "protonmail", "zoho",
)
WEAK_BITS = 1024


@dataclass
class DkimKey:
    """A parsed key record; ``bits`` is None when the key could not be read."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    key_type: str = "rsa"
    bits: int | None = None
    revoked: bool = False
    testing: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def key_bits(key_type: str, data: bytes) -> int:
    """Size in bits of a public key as DKIM publishes it; raises ValueError if unreadable."""
    if key_type == "ed25519":
        ed25519.Ed25519PublicKey.from_public_bytes(data)  # RFC 8463 §4.2: raw 32 bytes
        return 256
    try:
        key = load_der_public_key(data)
    except (ValueError, TypeError):
        # Some signers publish a bare PKCS#1 RSAPublicKey instead of SubjectPublicKeyInfo.
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(data)
        key = load_pem_public_key(pem + b"-----END RSA PUBLIC KEY-----\n")
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("k=rsa but the key is not an RSA key")
    return key.key_size


def parse_dkim_key(text: str) -> DkimKey:
    """Parse a DKIM key record (RFC 6376 §3.6.1); never raises."""
    key = DkimKey(text)
    for index, part in enumerate(p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            key.errors.append(f"'{part}' is not a tag=value pair")
            continue
        name = name.strip().lower()
        if name in key.tags:
            key.errors.append(f"the tag '{name}' appears more than once")
        key.tags[name] = "".join(value.split())
        if name == "v" and index != 0:
            key.errors.append("v=DKIM1 must be the first tag")
    if key.tags.get("v", "DKIM1") != "DKIM1":
        key.errors.append(f"v={key.tags['v']} is not DKIM1")
    key.key_type = key.tags.get("k", "rsa").lower()
    flags = key.tags.get("t", "").lower().split(":")
    key.testing = "y" in flags
    if key.tags.get("h"):
        hashes = key.tags["h"].lower().split(":")
        if "sha256" not in hashes:
            key.errors.append(f"h={key.tags['h']} excludes sha256")
        elif "sha1" in hashes:
            key.warnings.append("h= still allows sha1, which is deprecated (RFC 8301)")
    if "p" not in key.tags:
        key.errors.append("the required p= tag is missing")
        return key
    if key.tags["p"] == "":
        key.revoked = True
        return key
    if key.key_type not in ("rsa", "ed25519"):
        key.errors.append(f"unknown key type k={key.key_type}")
        return key
    try:
        data = base64.b64decode(key.tags["p"], validate=True)
        key.bits = key_bits(key.key_type, data)
    except (binascii.Error, ValueError, TypeError) as exc:
        key.errors.append(f"the p= key cannot be read ({exc})")
        return key
    if key.key_type == "rsa" and key.bits < WEAK_BITS:
        key.errors.append(f"the RSA key has only {key.bits} bits; use 2048 (RFC 8301 §3.2)")
    elif key.key_type == "rsa" and key.bits == WEAK_BITS:
        key.warnings.append("the RSA key has 1024 bits; rotate to a 2048-bit key")
    return key


def _selector_result(selector: str, configured: bool, answer: DnsAnswer) -> JSON:
    return {
        "selector": selector, "configured": configured, "name": answer.name, "status": "ok",
        "error": None, "found": False, "record": None, "cname": answer.cnames[-1]
        if answer.cnames else None, "keyType": None, "keyBits": None, "revoked": False,
        "testing": False, "errors": [], "warnings": [],
    }


def _check_selector(selector: str, configured: bool, answer: DnsAnswer,
                    domain: str) -> tuple[JSON, list[Issue]]:
    item = _selector_result(selector, configured, answer)
    findings = Findings()
    name = f"{selector}._domainkey.{domain}"
    if answer.failed:
        item.update(status="error", error=answer.error)
        findings.warning("DKIM_DNS_ERROR", f"Could not look up DKIM selector '{selector}': "
                         f"{answer.error}. Try again later.")
    keys = [r for r in answer.records if "p=" in r or r.lower().startswith("v=dkim1")]
    if not keys:
        if not answer.failed:
            item["status"] = "not_found"
            if configured:
                findings.error("DKIM_SELECTOR_NOT_FOUND", f"The configured DKIM selector "
                               f"'{selector}' has no key at {name}.")
        item.update(errors=findings.errors, warnings=findings.warnings)
        return item, findings.items
    item.update(found=True, record=keys[0])
    if len(keys) > 1:
        findings.error("DKIM_MULTIPLE_KEYS", f"{name} has {len(keys)} key records; verifiers "
                       "may pick either. Publish one.")
    key = parse_dkim_key(keys[0])
    item.update(keyType=key.key_type, keyBits=key.bits, revoked=key.revoked,
                testing=key.testing)
    for error in key.errors:
        code = "DKIM_WEAK_KEY" if "bits" in error else "DKIM_INVALID_KEY"
        findings.error(code, f"DKIM selector '{selector}': {error}.")
    for warning in key.warnings:
        code = "DKIM_1024_BIT_KEY" if "1024" in warning else "DKIM_KEY_WARNING"
        findings.warning(code, f"DKIM selector '{selector}': {warning}.")
    if key.revoked:
        findings.info("DKIM_KEY_REVOKED", f"DKIM selector '{selector}' is revoked (empty p=); "
                      "mail signed with it fails DKIM.")
    if key.testing:
        findings.warning("DKIM_TESTING", f"DKIM selector '{selector}' has t=y (testing): "
                         "verifiers may ignore failures. Remove t=y once signing works.")
    if item["cname"]:
        findings.info("DKIM_SELECTOR_CNAME", f"DKIM selector '{selector}' is a CNAME to "
                      f"{item['cname']} (typically managed by your mail provider).")
    item.update(errors=findings.errors, warnings=findings.warnings)
    return item, findings.items


async def check_dkim(client: DnsClient, domain: str, selectors: Sequence[str] = (),
                     common: Sequence[str] = COMMON_SELECTORS) -> tuple[JSON, list[Issue]]:
    """Probe configured and common selectors concurrently. Never raises.

    Configured selectors are always listed; common ones only when a key is found there.
    """
    findings = Findings()
    wanted: list[tuple[str, bool]] = []
    for sel in selectors:
        sel = sel.strip().lower()
        if not is_valid_selector(sel):
            findings.error("DKIM_INVALID_SELECTOR", f"'{sel[:60]}' is not a valid DKIM selector.")
        elif sel not in (w for w, _ in wanted):
            wanted.append((sel, True))
    configured = {w for w, _ in wanted}
    wanted.extend((sel, False) for sel in common if sel not in configured)
    answers = await asyncio.gather(
        *(client.query(f"{sel}._domainkey.{domain}", "TXT") for sel, _ in wanted)
    )
    items: list[JSON] = []
    for (sel, is_configured), answer in zip(wanted, answers, strict=True):
        item, issues = _check_selector(sel, is_configured, answer, domain)
        if is_configured or item["found"]:
            items.append(item)
            findings.extend(issues)
    failed = [a for a in answers if a.failed]
    found = [i for i in items if i["found"]]
    status, error = "ok", None
    if not found:
        if failed:
            status, error = "error", failed[0].error
            if not any(i["configured"] for i in items):
                findings.warning("DKIM_DNS_ERROR", f"Could not probe DKIM selectors: "
                                 f"{error}. Try again later.")
        else:
            status = "not_found"
            findings.warning("DKIM_NOT_FOUND", f"No DKIM key found for {domain} among "
                             f"{len(wanted)} selectors. Add your signing selectors to the "
                             "domain so they are checked.")
    result: JSON = {
        "status": status, "error": error, "found": bool(found), "selectors": items,
        "checkedSelectors": len(wanted), "errors": findings.errors,
        "warnings": findings.warnings,
    }
    return result, findings.items
