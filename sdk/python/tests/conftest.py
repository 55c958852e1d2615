"""The SDK under test talks to `mailsentinel mock`, started once per session on a free loopback
port exactly as a client developer starts it; every test begins from the seed again (POST /_mock/reset)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sdk_testing import HANG_GUARD, OWNER_TOKEN, ROOT, VIEWER_TOKEN, Receiver, free_port

from mailsentinel import MailSentinel


@pytest.fixture(scope="session")
def mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("mock") / "mock.log"
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
    # Limits that never bind, so the tests see each operation's own answers.
    env |= {
        "MAILSENTINEL_LOG_LEVEL": "warning",
        "MAILSENTINEL_RATE_LIMITS": "free=1000000/0,pro=1000000/0,enterprise=1000000/0",
        "MAILSENTINEL_AUTH_FAILURES_PER_MINUTE": "1000000",
    }
    with log.open("w", encoding="utf-8") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sentinel.cli", "mock", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mailsentinel mock exited: {log.read_text(encoding='utf-8')}")
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mailsentinel mock never answered /health")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "seed_unchanged: the test changes nothing on the mock (reads, refusals, Prefer simulations)"
    )


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    """Back to the seed (same IDs) before every test that talks to the mock and may change it."""
    if "mock_url" in request.fixturenames and request.node.get_closest_marker("seed_unchanged") is None:
        url = request.getfixturevalue("mock_url")
        assert httpx.post(f"{url}/_mock/reset", timeout=60).status_code == 200


@pytest.fixture
def client(mock_url: str) -> Iterator[MailSentinel]:
    with MailSentinel(api_key=OWNER_TOKEN, base_url=mock_url) as c:
        yield c


@pytest.fixture
def viewer(mock_url: str) -> Iterator[MailSentinel]:
    with MailSentinel(api_key=VIEWER_TOKEN, base_url=mock_url) as c:
        yield c


@pytest.fixture
def org_id(client: MailSentinel) -> str:
    return client.me.get()["memberships"][0]["organization"]["id"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on loopback for the mock's webhook deliveries."""
    r = Receiver()
    yield r
    r.close()

