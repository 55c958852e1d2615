"""The composition root: the one place that chooses concrete ports for a mode.

`serve` uses the configured database, the system clock, random IDs, the configured
resolver and real HTTPS; `mock` swaps in an in-memory database, a controllable clock,
deterministic IDs, DNS answered from the zone files in mocks/zones and static HTTPS
pages (see mocks/ports.py). Handlers and services are the same in every mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from connexion import AsyncApp
from connexion.jsonifier import Jsonifier
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.types import ASGIApp

from sentinel.accounts.organizations import OrganizationService
from sentinel.accounts.tokens import PrincipalCache, TokenService
from sentinel.clock import Clock, IdGenerator, RandomIds, SystemClock
from sentinel.dns.client import DnsClient, make_dns_client
from sentinel.dns.https import HttpsFetcher, HttpxFetcher
from sentinel.domains.service import DomainService
from sentinel.ratelimit import Limiter, build_limiter
from sentinel.reports.service import ReportService
from sentinel.reports.workers import InThread, ParseProcesses, Parsing
from sentinel.scans.service import ScanService
from sentinel.settings import Settings
from sentinel.store.db import Database
from sentinel.web import errors as web_errors
from sentinel.web.admission import Admission, AdmitBeforeBody
from sentinel.web.body import BodyLimits
from sentinel.web.executors import Blocking, ThreadPort, in_thread_pool, inline
from sentinel.web.health import HealthProbe
from sentinel.web.middleware import SentinelMiddleware
from sentinel.web.ratelimit import RateLimitHeaders
from sentinel.web.resolver import BlockingResolver
from sentinel.web.responses import dumps
from sentinel.web.routing import without_slash_redirects
from sentinel.web.spec import SpecDocuments, documents_for
from sentinel.web.validation import BODY_VALIDATORS, NamedParameterValidator

if TYPE_CHECKING:
    from mocks.state import MockState

Mode = Literal["serve", "mock"]

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
# Where the spec is served (and its .yaml sibling), as written.
SPEC_URL = "/api/openapi.json"

try:
    VERSION = version("mailsentinel-server")
except PackageNotFoundError:  # running from a source tree without installation
    VERSION = "0.0.0"


@dataclass
class Services:
    """Everything a handler or CLI command may call, already wired."""

    settings: Settings
    mode: Mode
    db: Database
    clock: Clock
    ids: IdGenerator
    tokens: TokenService
    organizations: OrganizationService
    domains: DomainService
    # Plan limits per organization and failed-authentication limits per client address.
    limiter: Limiter
    # The DNS and HTTPS ports the scan service uses (zone files and static pages in mock mode).
    dns: DnsClient
    https: HttpsFetcher
    scans: ScanService
    # DMARC aggregate reports: ingestion, stored reports, stats and sources.
    reports: ReportService
    # The database ping of /health, on a thread and a connection of its own.
    health: HealthProbe
    # Caps on scans and uploads in flight, per organization and per process.
    admission: Admission
    # How the web layer runs blocking calls: handlers and the token look-up, and slow
    # work (scans, verification, uploads) on a pool of its own.
    blocking: Blocking = in_thread_pool
    slow: Blocking = in_thread_pool
    version: str = VERSION
    # Seed, reset and clock controls; only in mock mode.
    mock: MockState | None = None


def build_services(
    settings: Settings,
    mode: Mode = "serve",
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    dns: DnsClient | None = None,
    https: HttpsFetcher | None = None,
    migrate: bool = True,
    limiter: Limiter | None = None,
) -> Services:
    """Wire the services for a mode; brings the schema up to date unless told not to.

    In mock mode every port not passed in is the mock's (mocks/ports.py) and the seed is
    loaded. Raises ValidationError for malformed nameservers or a bad seed file.
    """
    if mode == "mock":
        from mocks import ports

        db = db or ports.memory_database()
        clock = clock or ports.mock_clock()
        ids = ids or ports.mock_ids()
        dns = dns or ports.zone_dns()
        https = https or ports.static_https()
        limiter = limiter or ports.mock_limiter(settings)
    database = db or Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        pool_timeout=settings.db_pool_timeout,
        lock_timeout=settings.db_lock_timeout,
        health_timeout=settings.health_timeout,
    )
    if migrate:
        database.migrate(settings.migrate_timeout)
    clock = clock or SystemClock()
    ids = ids or RandomIds()
    if dns is None:
        dns = make_dns_client(list(settings.nameservers), settings.dns_timeout, settings.dns_lifetime)
    if https is None:
        https = HttpxFetcher(
            dns,
            ca_bundle=settings.https_ca_bundle,
            port=settings.mta_sts_port,
            allow_networks=settings.allowed_target_networks,
        )
    # One process holds all of the mock's state, so its principals can be cached exactly.
    tokens = TokenService(database, clock, ids, PrincipalCache() if mode == "mock" else None)
    domains = DomainService(database, clock, ids)
    # Uploads are parsed in processes of their own (started at the first upload, or by
    # `serve` at start-up); the mock keeps everything in its one process.
    parsing: Parsing = (
        ParseProcesses(settings.parse_processes) if mode == "serve" and settings.parse_processes else InThread()
    )
    services = Services(
        settings=settings,
        mode=mode,
        db=database,
        clock=clock,
        ids=ids,
        tokens=tokens,
        organizations=OrganizationService(database, clock, ids, tokens),
        domains=domains,
        limiter=limiter or build_limiter(settings),
        dns=dns,
        https=https,
        scans=ScanService(database, clock, ids, domains, dns, https),
        reports=ReportService(database, clock, ids, domains, parsing=parsing),
        health=HealthProbe(database, settings.health_timeout),
        admission=Admission(
            per_organization={"scan": settings.scans_per_organization, "upload": settings.uploads_per_organization},
            in_flight={"upload": settings.uploads_in_flight},
        ),
        blocking=ThreadPort(settings.worker_threads, "sentinel-worker"),
        slow=ThreadPort(settings.slow_threads, "sentinel-slow"),
    )
    if mode == "mock":
        from mocks.state import MockState

        services.blocking = services.slow = inline

        services.mock = MockState.start(services, settings)
    return services


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file with libyaml when PyYAML has it (several times faster on the spec)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        return dict(yaml.load(fh, Loader=loader))


def load_spec() -> dict[str, Any]:
    return load_yaml(SPEC_PATH)


class _CompactJson(Jsonifier):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(json_module=None)

    def dumps(self, data: Any, **kwargs: Any) -> str:
        return dumps(data).decode("utf-8")


def create_app(
    settings: Settings | None = None,
    mode: Mode = "serve",
    *,
    services: Services | None = None,
    validate_responses: bool = False,
) -> ASGIApp:
    """The ASGI application for `mode`, served by uvicorn or driven in-process by tests."""
    settings = settings or Settings.from_env()
    services = services or build_services(settings, mode)
    logging.getLogger("sentinel").setLevel(settings.log_level.upper())
    app = AsyncApp(__name__, specification_dir=str(ROOT), jsonifier=_CompactJson(), pythonic_params=True)
    spec = load_spec()
    documents = documents_for(SPEC_PATH, spec, SPEC_URL)
    if mode == "mock":
        from mocks.server import install

        # Before the main API: its mount at "/" would otherwise claim /_mock too.
        spec = install(app, services, spec, documents)
    resolver = BlockingResolver(services.blocking, services.slow)
    app.add_api(
        # Handed over parsed: connexion's own loading would parse the YAML again, slowly.
        load_spec(),
        strict_validation=True,
        validator_map={"parameter": NamedParameterValidator, "body": BODY_VALIDATORS},
        validate_responses=validate_responses,
        resolver=resolver,
        # The UI reads SPEC_URL, which SpecDocuments answers with the spec as written.
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, spec_path=SPEC_URL, swagger_ui_path="/api/ui"),
    )
    # After routing and the bearer-security step: nothing reads a body before the token is
    # accepted, nor before slow work (an upload) is admitted. Added in this order, they run in it.
    app.add_middleware(
        AdmitBeforeBody,
        position=MiddlewarePosition.BEFORE_VALIDATION,
        admission=services.admission,
        kinds=resolver.kinds,
    )
    app.add_middleware(
        BodyLimits,
        position=MiddlewarePosition.BEFORE_VALIDATION,
        max_body_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
    )
    web_errors.install(app, web_errors.AllowedMethods(spec))
    without_slash_redirects(app)
    inner = SentinelMiddleware(SpecDocuments(app, documents), services)
    # Outside everything, so even the body-size refusals get X-RateLimit-* headers.
    return RateLimitHeaders(inner, services.limiter, settings.trusted_proxies)
