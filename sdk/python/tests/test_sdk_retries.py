"""Retries against the mock's `Prefer` simulations: how many attempts, and the waits computed
(recorded instead of slept; no test measures time)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from sdk_testing import OWNER_TOKEN, AsyncSleeplessClient, Recorder, SleeplessClient, free_port

import mailsentinel
from mailsentinel import _retry
from mailsentinel._retry import MAX_BACKOFF, backoff, retry_wait

RATE_LIMITED = {"Prefer": "code=429"}

# Simulated answers and refusals only: the seed stays as it is, so no reset between tests.
pytestmark = pytest.mark.seed_unchanged


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(mock_url: str, recorder: Recorder) -> Iterator[SleeplessClient]:
    hooks = {"request": [recorder.on_request], "response": [recorder.on_response]}
    with httpx.Client(event_hooks=hooks) as http:
        yield SleeplessClient(api_key=OWNER_TOKEN, base_url=mock_url, http_client=http)


def test_429_is_retried_as_retry_after_says_then_raised(
    client: SleeplessClient, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mailsentinel"), pytest.raises(mailsentinel.RateLimitError) as caught:
        client.me.get(extra_headers=RATE_LIMITED)
    assert len(recorder.requests) == 3  # max_retries=2
    told = [float(r.headers["Retry-After"]) for r in recorder.responses]
    assert all(t >= 1 for t in told)
    assert client.sleeps == told[:2]
    assert caught.value.retry_after == told[2] and caught.value.status == 429
    assert caught.value.headers["X-RateLimit-Remaining"] == "0"
    retries = [r for r in caplog.records if r.getMessage().startswith("Retrying GET /api/me")]
    assert [r.levelno for r in retries] == [logging.DEBUG, logging.DEBUG]
    assert "(retry 1 of 2) after status 429" in retries[0].getMessage()


def test_a_retried_429_then_succeeds(mock_url: str) -> None:
    attempts: list[httpx.Request] = []

    def only_the_first_is_limited(request: httpx.Request) -> None:
        attempts.append(request)
        if len(attempts) > 1:
            del request.headers["Prefer"]

    with httpx.Client(event_hooks={"request": [only_the_first_is_limited]}) as http:
        client = SleeplessClient(api_key=OWNER_TOKEN, base_url=mock_url, http_client=http)
        raw = client.with_raw_response.me.get(extra_headers=RATE_LIMITED)
    assert raw.status_code == 200 and raw.retries_taken == 1 and len(attempts) == 2
    assert len(client.sleeps) == 1 and client.sleeps[0] >= 1


def test_without_retry_after_the_rate_limit_reset_is_waited_for(mock_url: str) -> None:
    resets: list[int] = []

    def drop_retry_after(response: httpx.Response) -> None:
        del response.headers["Retry-After"]
        resets.append(int(response.headers["X-RateLimit-Reset"]))

    with httpx.Client(event_hooks={"response": [drop_retry_after]}) as http:
        client = SleeplessClient(api_key=OWNER_TOKEN, base_url=mock_url, http_client=http, max_retries=1)
        client.fixed_now = resets_now = time.time()
        with pytest.raises(mailsentinel.RateLimitError) as caught:
            client.me.get(extra_headers=RATE_LIMITED)
    assert caught.value.retry_after is None
    assert client.sleeps == [max(resets[0] - resets_now, 0.0)]


def test_a_wait_longer_than_a_minute_is_not_waited_for(mock_url: str) -> None:
    def a_day(response: httpx.Response) -> None:
        response.headers["Retry-After"] = "86400"

    with httpx.Client(event_hooks={"response": [a_day]}) as http:
        client = SleeplessClient(api_key=OWNER_TOKEN, base_url=mock_url, http_client=http)
        with pytest.raises(mailsentinel.RateLimitError) as caught:
            client.me.get(extra_headers=RATE_LIMITED)
    assert client.sleeps == [] and caught.value.retry_after == 86400


def test_5xx_is_retried_for_idempotent_requests_only(client: SleeplessClient, recorder: Recorder, org_id: str) -> None:
    recorder.requests.clear()
    with pytest.raises(mailsentinel.InternalServerError):
        client.domains.list(org_id, extra_headers={"Prefer": "code=500"})
    assert len(recorder.requests) == 3
    assert 0.375 <= client.sleeps[0] <= 0.5 and 0.75 <= client.sleeps[1] <= 1.0  # 0.5 s doubling, jittered

    recorder.requests.clear()
    client.sleeps.clear()
    with pytest.raises(mailsentinel.InternalServerError):
        client.domains.create(org_id, domain="example.info", extra_headers={"Prefer": "code=500"})
    assert len(recorder.requests) == 1 and client.sleeps == []  # a POST may have done its work

    recorder.requests.clear()
    keyed = {"Prefer": "code=500", "Idempotency-Key": "create-example-info-1"}
    with pytest.raises(mailsentinel.InternalServerError):
        client.domains.create(org_id, domain="example.info", extra_headers=keyed)
    assert len(recorder.requests) == 3


def test_503_honours_retry_after(client: SleeplessClient, recorder: Recorder) -> None:
    with pytest.raises(mailsentinel.ServiceUnavailableError) as caught:
        client.me.get(extra_headers={"Prefer": "code=503"})
    assert len(recorder.requests) == 3 and client.sleeps == [2.0, 2.0]
    assert caught.value.retry_after == 2.0 and caught.value.code == "SERVICE_UNAVAILABLE"


def test_health_503_without_envelope_or_retry_after(client: SleeplessClient, recorder: Recorder) -> None:
    with pytest.raises(mailsentinel.ServiceUnavailableError) as caught:
        client.health.get(extra_headers={"Prefer": "code=503"})
    assert len(recorder.requests) == 3 and 0.375 <= client.sleeps[0] <= 0.5  # backoff: nothing said
    assert caught.value.retry_after is None and caught.value.code == "SERVICE_UNAVAILABLE"
    assert "unreachable" in caught.value.message  # /health's own body


def test_timeouts_are_retried_then_raised(client: SleeplessClient, recorder: Recorder) -> None:
    with pytest.raises(mailsentinel.APITimeoutError):
        client.me.get(extra_headers={"Prefer": "delay=2000"}, timeout=0.05)
    assert len(recorder.requests) == 3 and len(client.sleeps) == 2


def test_connection_errors_are_retried_then_raised() -> None:
    client = SleeplessClient(api_key=OWNER_TOKEN, base_url=f"http://127.0.0.1:{free_port()}", max_retries=3)
    with client, pytest.raises(mailsentinel.APIConnectionError) as caught:
        client.organizations.create(name="never sent")  # refused before sending: safe even for a POST
    assert not isinstance(caught.value, mailsentinel.APITimeoutError)
    assert len(client.sleeps) == 3 and client.sleeps[2] <= 2.0


def test_no_retries_when_max_retries_is_0(client: SleeplessClient, recorder: Recorder) -> None:
    with pytest.raises(mailsentinel.RateLimitError):
        client.with_options(max_retries=0).me.get(extra_headers=RATE_LIMITED)
    assert len(recorder.requests) == 1


def test_async_client_retries_alike(mock_url: str) -> None:
    async def main() -> AsyncSleeplessClient:
        async with AsyncSleeplessClient(api_key=OWNER_TOKEN, base_url=mock_url) as client:
            with pytest.raises(mailsentinel.RateLimitError):
                await client.me.get(extra_headers=RATE_LIMITED)
            with pytest.raises(mailsentinel.InternalServerError):
                await client.me.get(extra_headers={"Prefer": "code=500"})
        return client

    client = asyncio.run(main())
    assert len(client.sleeps) == 4 and all(s >= 1 for s in client.sleeps[:2])


def test_backoff_doubles_from_half_a_second_up_to_eight() -> None:
    no_jitter = [backoff(n, rand=lambda: 0.0) for n in range(7)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0] and MAX_BACKOFF == 8.0
    assert backoff(0, rand=lambda: 1.0) == 0.375  # at most a quarter less
    assert retry_wait(0, 429, {"retry-after": "7"}, now=0.0) == 7.0
    assert retry_wait(0, 429, {"x-ratelimit-reset": "1030"}, now=1000.0) == 30.0
    assert retry_wait(0, 503, {"x-ratelimit-reset": "1030"}, now=1000.0, rand=lambda: 0.0) == 0.5
    assert retry_wait(0, 429, {"retry-after": "120"}, now=0.0) == 120.0
    assert retry_wait(0, 429, {"retry-after": "121"}, now=0.0) is None
    assert _retry.repeatable("POST", {"idempotency-key": "k"}) and not _retry.repeatable("POST", {})
    assert _retry.repeatable("DELETE", {}) and _retry.repeatable("POST", {}, safe=True)
