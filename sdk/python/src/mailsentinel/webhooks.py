"""Verify MailSentinel webhooks (Standard Webhooks v1) without a client.

    event = mailsentinel.webhooks.verify(request_body, request_headers, "whsec_...")

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`, its HMAC-SHA256 under the
base64 key after `whsec_`, sent as `webhook-signature: v1,<base64>` (several, space-separated,
while a secret is rotated). Pass the body exactly as received: bytes, before any JSON parsing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from ._errors import WebhookVerificationError

__all__ = ["DEFAULT_TOLERANCE", "WebhookVerificationError", "sign", "verify"]

DEFAULT_TOLERANCE = 300  # seconds a timestamp may be off, either way (replay window)
SECRET_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as error:
        raise WebhookVerificationError("The webhook secret is not a base64 whsec_ secret.") from error


def _signature(key: bytes, msg_id: str, timestamp: str, payload: bytes) -> bytes:
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + payload
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(payload: Union[bytes, str], secret: str, *, msg_id: str, timestamp: int) -> str:
    """The `webhook-signature` value for a payload (for your own tests of a webhook receiver)."""
    body = payload.encode() if isinstance(payload, str) else payload
    digest = _signature(_key(secret), msg_id, str(timestamp), body)
    return "v1," + base64.b64encode(digest).decode()


def verify(
    payload: Union[bytes, str],
    headers: Mapping[str, str],
    secret: Union[str, Sequence[str]],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Optional[float] = None,
) -> dict[str, Any]:
    """The parsed event (`{"id", "event", "timestamp", "data"}`) once its signature checks out.

    `secret` may be several secrets (old and new, while rotating). Raises WebhookVerificationError
    when a header is missing, the timestamp is more than `tolerance` seconds away from now, no
    `v1` signature matches, or the verified body is not a JSON object.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise WebhookVerificationError("The webhook-timestamp header is not Unix seconds.") from error
    current = time.time() if now is None else now
    if sent_at < current - tolerance:
        raise WebhookVerificationError("The webhook's timestamp is too old (a replay?).")
    if sent_at > current + tolerance:
        raise WebhookVerificationError("The webhook's timestamp is in the future.")
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    candidates: list[bytes] = []
    for item in signatures.split():
        version, _, value = item.partition(",")
        if version != "v1":
            continue
        try:
            candidates.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise WebhookVerificationError("No webhook secret given.")
    for one in secrets:
        expected = _signature(_key(one), msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            break
    else:
        raise WebhookVerificationError("No webhook signature matches.")
    try:
        event = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise WebhookVerificationError("The webhook body is not JSON.") from error
    if not isinstance(event, dict):
        raise WebhookVerificationError("The webhook body is not a JSON object.")
    return event
