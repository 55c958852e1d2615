"""The ports mock mode plugs into the composition root: nothing here leaves the machine.

- database: a private in-memory SQLite database, safe under uvicorn's thread pool;
- clock: a ManualClock that only moves when `/_mock/clock` says so;
- ids: SequentialIds, so the same seed gives the same IDs on every start;
- dns: a ZoneClient answering from the zone files in mocks/zones (dnspython, no sockets);
- https: a StaticFetcher serving the pages of mocks/https_pages.yaml (MTA-STS policies);
- limiter: the real rate limiter counting in this process's memory, never in Redis;
- webhook deliveries: real, signed, retried on the mock's clock, to loopback addresses only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from sentinel.clock import ManualClock, SequentialIds
from sentinel.dns.https import StaticFetcher
from sentinel.dns.zones import ZoneClient
from sentinel.events.targets import ListedOnly
from sentinel.net.policy import AddressPolicy
from sentinel.ratelimit import Limiter, build_limiter
from sentinel.ratelimit.memory import MemoryWindows
from sentinel.settings import Settings
from sentinel.store.db import Database

HERE = Path(__file__).resolve().parent
ZONES_DIR = HERE / "zones"
HTTPS_PAGES = HERE / "https_pages.yaml"
DEFAULT_SEED = HERE / "seed.json"
CONTROL_SPEC = HERE / "control.yaml"
# The instant the mock's clock shows until a seed or /_mock/clock says otherwise.
DEFAULT_START = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def display_path(path: Path) -> str:
    """A path as the mock prints it: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(HERE.parent).as_posix()
    except ValueError:
        return str(path)


def mock_limiter(settings: Settings) -> Limiter:
    """The configured plan limits (MAILSENTINEL_RATE_LIMITS applies), counted in memory."""
    return build_limiter(settings, storage=MemoryWindows())


def loopback_policy() -> AddressPolicy:
    """Deliveries reach loopback receivers (http or https) and nothing else: a mock never
    leaves the machine."""
    return ListedOnly(AddressPolicy(("127.0.0.0/8", "::1/128")), "is not a loopback address; the mock delivers "
                                                                 "to loopback receivers only")


def memory_database() -> Database:
    return Database("sqlite://")


def mock_clock(start: datetime = DEFAULT_START) -> ManualClock:
    return ManualClock(start)


def mock_ids() -> SequentialIds:
    return SequentialIds()


def zone_dns(directory: Path = ZONES_DIR) -> ZoneClient:
    """DNS answered from zone files; raises OSError or dns.exception.DNSException for bad files."""
    return ZoneClient.from_directory(directory)


def static_pages(path: Path = HTTPS_PAGES) -> dict[str, str]:
    """URL -> body; raises OSError or yaml.YAMLError for an unreadable file."""
    with path.open(encoding="utf-8") as fh:
        pages = yaml.safe_load(fh) or {}
    return {str(url): str(body) for url, body in pages.items()}


def static_https(path: Path = HTTPS_PAGES) -> StaticFetcher:
    return StaticFetcher(static_pages(path))
