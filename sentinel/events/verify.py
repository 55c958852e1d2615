"""`mailsentinel webhooks verify`: does a recorded delivery carry a valid signature?

The input is one HTTP request as a receiver saw it: an optional request line, header lines,
a blank line, the body (CRLF or LF line ends). Signatures are computed with the
`standardwebhooks` library (Standard Webhooks v1), and compared in constant time.
"""

from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from sentinel.events.signing import is_secret

_NEEDED = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass(frozen=True)
class Verdict:
    valid: bool
    text: str


def split_message(data: bytes) -> tuple[dict[str, str], bytes]:
    """Headers (lower-cased names) and body of a recorded request."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in data:
            head, body = data.split(separator, 1)
            break
    else:
        head, body = data, b""
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon and " " not in name.strip():
            headers[name.strip().lower()] = value.strip()
    return headers, body


def verify_message(secret: str, data: bytes, *, tolerance: float = 300.0, now: float | None = None) -> Verdict:
    """Check the signatures of a recorded delivery against `secret`. `tolerance` (seconds,
    0 for any) bounds the age of webhook-timestamp as receivers' libraries do."""
    if not is_secret(secret):
        return Verdict(False, "invalid: the secret is not whsec_ followed by base64 of 24 to 64 bytes")
    headers, body = split_message(data)
    missing = [name for name in _NEEDED if not headers.get(name)]
    if missing:
        return Verdict(False, f"invalid: missing header(s) {', '.join(missing)}")
    try:
        stamp = int(headers["webhook-timestamp"])
    except ValueError:
        return Verdict(False, "invalid: webhook-timestamp is not Unix seconds")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict(False, "invalid: the body is not UTF-8")
    expected = Webhook(secret).sign(headers["webhook-id"], datetime.fromtimestamp(stamp, UTC), text).split(",", 1)[1]
    offered = [part.split(",", 1) for part in headers["webhook-signature"].split()]
    matched = any(len(p) == 2 and p[0] == "v1" and hmac.compare_digest(_raw(p[1]), _raw(expected)) for p in offered)
    if not matched:
        return Verdict(False, f"invalid: none of the {len(offered)} signature(s) matches this secret and body")
    age = (time.time() if now is None else now) - stamp
    if tolerance and abs(age) > tolerance:
        return Verdict(False, f"invalid: the signature matches, but webhook-timestamp is {age:+.0f} s from now "
                              f"(beyond the {tolerance:g} s tolerance; --tolerance 0 ignores the age)")
    return Verdict(True, f"valid: signature matches (webhook-id {headers['webhook-id']}, timestamp {age:+.0f} s "
                         "from now)")


def _raw(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except ValueError:
        return b""
