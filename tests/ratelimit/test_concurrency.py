"""Eight concurrent clients hammering one free organization: never more than 60 admitted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.ratelimit.conftest import Instance
from tests.ratelimit.helpers import window

CLIENTS = 8
REQUESTS_EACH = 12  # 96 attempts against a limit of 60


def hammer(server: Instance) -> Counter[int]:
    tenant = server.tenant("free")

    def client(_: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tenant.token}"}, timeout=60) as http:
            for _ in range(REQUESTS_EACH):
                r = http.get("/api/me")
                window(r)
                statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(status for statuses in pool.map(client, range(CLIENTS)) for status in statuses)


def test_memory_storage_admits_exactly_the_limit(start_server: Callable[..., Instance]) -> None:
    statuses = hammer(start_server())
    assert statuses == Counter({200: 60, 429: CLIENTS * REQUESTS_EACH - 60})


@pytest.mark.redis
def test_redis_storage_admits_exactly_the_limit(
    start_server: Callable[..., Instance], shared_redis: str, redis_prefix: str
) -> None:
    statuses = hammer(start_server(redis_url=shared_redis, redis_key_prefix=redis_prefix))
    assert statuses == Counter({200: 60, 429: CLIENTS * REQUESTS_EACH - 60})
