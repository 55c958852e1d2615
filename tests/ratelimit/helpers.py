"""Assertions about the rate-limit headers."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def window(response: httpx.Response) -> tuple[int, int, int]:
    """(limit, remaining, reset) from a response that must carry all three headers."""
    missing = [h for h in HEADERS if h not in response.headers]
    assert not missing, (response.status_code, missing, dict(response.headers))
    limit, remaining, reset = (int(response.headers[h]) for h in HEADERS)
    assert 0 <= remaining <= limit
    # Unix seconds, within the longest window (a day) of the server's own Date header; not
    # against the test's clock, which a loaded machine can leave seconds behind the answer.
    sent = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert sent - 60 <= reset <= max(sent, time.time()) + 86_400 + 1, (reset, sent)
    return limit, remaining, reset


def refused(response: httpx.Response) -> int:
    """Assert a clean 429 RATE_LIMITED; returns Retry-After."""
    assert response.status_code == 429, (response.status_code, response.text)
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "RATE_LIMITED", body
    assert body["error"]["requestId"] == response.headers["x-request-id"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 86_400
    assert window(response)[1] == 0
    return retry_after
