"""Standard Webhooks v1 signing (https://www.standardwebhooks.com), through the reference
`standardwebhooks` library so that what we send is what every receiver's library checks.

A secret is ``whsec_`` + base64 of 32 random bytes. The signature of an attempt is
``v1,`` + base64(HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")); during a
rotation's overlap both secrets sign and the signatures are space-separated. Pure: no I/O.
"""

from __future__ import annotations

import base64
import math
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def is_secret(text: str) -> bool:
    """Whether `text` is a usable signing secret: whsec_ + base64 of 24 to 64 bytes."""
    if not text.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(text[len(SECRET_PREFIX):], validate=True)
    except ValueError:
        return False
    return 24 <= len(raw) <= 64


def signature(secret: str, message_id: str, timestamp: datetime, body: str) -> str:
    """One ``v1,<base64>`` signature."""
    return Webhook(secret).sign(message_id, timestamp, body)


def signed_headers(
    message_id: str, body: str, secrets_: Sequence[str], timestamp: datetime
) -> list[tuple[str, str]]:
    """The headers of one attempt: webhook-id, webhook-timestamp (Unix seconds),
    webhook-signature (one signature per secret, space-separated), content-type."""
    return [
        ("webhook-id", message_id),
        ("webhook-timestamp", str(math.floor(timestamp.timestamp()))),
        ("webhook-signature", " ".join(signature(s, message_id, timestamp, body) for s in secrets_)),
        ("content-type", "application/json"),
    ]
