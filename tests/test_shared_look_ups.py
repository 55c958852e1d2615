"""Concurrent first uses of one token share one look-up, and only under the same generation:
a caller that read a newer generation (a change committed) never takes an older look-up's answer."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import event

from sentinel.accounts.tokens import hash_secret
from sentinel.app import Services
from sentinel.errors import Unauthorized

# Guards against a hang only; nothing asserts how long anything takes.
HANG_GUARD = 30.0


def _is_token_query(statement: str) -> bool:
    # The look-up by digest (tokens._TOKEN_BY_DIGEST), not the by-id reads of the token's row.
    return "WHERE api_tokens.secret_hash =" in statement


class TokenQueries:
    """Counts the token look-ups on the services' engine; holds the first one, after it ran,
    until `release` is set."""

    def __init__(self, services: Services) -> None:
        self.engine = services.db.engine
        self.count = 0
        self.first_ran = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    def reset(self) -> None:
        self.count = 0
        self.first_ran.clear()
        self.release.clear()

    def __call__(self, *args: Any) -> None:
        statement = args[2]
        if not _is_token_query(statement):
            return
        with self.lock:
            self.count += 1
            first = self.count == 1
        if first:
            self.first_ran.set()
            self.release.wait(HANG_GUARD)


@pytest.fixture
def queries(services: Services) -> Iterator[TokenQueries]:
    seen = TokenQueries(services)
    event.listen(seen.engine, "after_cursor_execute", seen)
    try:
        yield seen
    finally:
        seen.release.set()
        event.remove(seen.engine, "after_cursor_execute", seen)


def _followers(services: Services, secret: str) -> int:
    flight = services.tokens._flights.get(hash_secret(secret))
    return flight.followers if flight is not None else 0


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


@pytest.mark.db
def test_concurrent_first_uses_of_a_token_make_one_look_up(services: Services, queries: TokenQueries) -> None:
    boot = services.organizations.bootstrap(f"burst-{secrets.token_hex(4)}@example.com", "Burst", "pro")
    callers = 8
    with ThreadPoolExecutor(callers) as pool:
        futures = [pool.submit(services.tokens.authenticate, boot.token) for _ in range(callers)]
        queries.first_ran.wait(HANG_GUARD)
        # Every other caller is waiting for the one look-up in flight before it may finish.
        _wait_for(lambda: _followers(services, boot.token) == callers - 1)
        queries.release.set()
        principals = [f.result(HANG_GUARD) for f in futures]
    assert queries.count == 1
    assert {p.token_id for p in principals} == {boot.token_id}
    assert all(p.roles == principals[0].roles for p in principals)


@pytest.mark.db
def test_a_caller_after_a_revocation_does_not_take_an_earlier_look_up(services: Services,
                                                                       queries: TokenQueries) -> None:
    boot = services.organizations.bootstrap(f"race-{secrets.token_hex(4)}@example.com", "Race", "pro")
    queries.release.set()  # not held
    owner = services.tokens.authenticate(boot.token)
    queries.reset()  # counted and held from here: the second token's look-ups
    created = services.tokens.create(owner, name="second", scopes=None, expires_at=None, organization_id=None)
    secret, token_id = created["token"]["token"], created["token"]["id"]
    with ThreadPoolExecutor(1) as pool:
        # The first look-up has read the token (still valid) and is held there.
        early = pool.submit(services.tokens.authenticate, secret)
        queries.first_ran.wait(HANG_GUARD)
        services.tokens.revoke(owner, token_id)
        # Asked after the revocation committed: its own look-up, which sees it.
        with pytest.raises(Unauthorized, match="revoked"):
            services.tokens.authenticate(secret)
        queries.release.set()
        early.result(HANG_GUARD)  # read before the revocation: its request began before it
    assert queries.count == 2
    # The early answer was read under the old generation: it is not cached.
    with pytest.raises(Unauthorized, match="revoked"):
        services.tokens.authenticate(secret)


@pytest.mark.db
def test_a_failed_look_up_is_shared_as_its_error(services: Services, queries: TokenQueries) -> None:
    unknown = "ms_live_" + secrets.token_hex(20)
    callers = 4
    with ThreadPoolExecutor(callers) as pool:
        futures = [pool.submit(services.tokens.authenticate, unknown) for _ in range(callers)]
        queries.first_ran.wait(HANG_GUARD)
        _wait_for(lambda: _followers(services, unknown) == callers - 1)
        queries.release.set()
        errors = [f.exception(HANG_GUARD) for f in futures]
    assert queries.count == 1
    assert all(isinstance(e, Unauthorized) and e.message == "Invalid API token." for e in errors)
    assert len({id(e) for e in errors}) == callers  # each caller raises its own copy
