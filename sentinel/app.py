"""The composition root: the one place that chooses concrete ports for a mode.

`serve` uses the configured database, the system clock, random IDs, the configured
resolver and real HTTPS; `mock` swaps in an in-memory database, a controllable clock,
deterministic IDs, DNS answered from the zone files in mocks/zones and static HTTPS
pages (see mocks/ports.py). Handlers and services are the same in every mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
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
from sentinel.alerts.engine import AlertEngine
from sentinel.alerts.jobs import monitoring_jobs
from sentinel.alerts.service import AlertService
from sentinel.clock import Clock, IdGenerator, RandomIds, SystemClock
from sentinel.dns.client import DnsClient, make_dns_client
from sentinel.dns.https import HttpsFetcher, HttpxFetcher
from sentinel.domains.service import DomainService
from sentinel.errors import ServiceUnavailable
from sentinel.events.delivery import Deliverer, DeliveryJob, DispatchJob
from sentinel.events.secrets import box_for
from sentinel.events.sender import Sender
from sentinel.events.service import WebhookService
from sentinel.events.targets import LocalhostAware, Targets
from sentinel.net.policy import AddressPolicy
from sentinel.ratelimit import Limiter, build_limiter
from sentinel.ratelimit.memory import MemoryWindows
from sentinel.reports.service import ReportService
from sentinel.reports.workers import InThread, ParseProcesses, Parsing
from sentinel.scans.service import ScanService
from sentinel.settings import Settings
from sentinel.store.db import Database
from sentinel.web import errors as web_errors
from sentinel.web.admission import Admission, AdmitBeforeBody
from sentinel.web.body import BodyLimits
from sentinel.web.console import ConsoleAssets
from sentinel.web.cors import Cors
from sentinel.web.executors import Blocking, ThreadPort, in_thread_pool, inline
from sentinel.web.health import HealthProbe
from sentinel.web.middleware import SentinelMiddleware
from sentinel.web.operations import decorate_once
from sentinel.web.ratelimit import RateLimitHeaders
from sentinel.web.resolver import BlockingResolver
from sentinel.web.responses import dumps
from sentinel.web.routing import without_slash_redirects
from sentinel.web.security import SECURITY_MAP
from sentinel.web.spec import SpecDocuments, documents_for
from sentinel.web.validation import BODY_VALIDATORS, NamedParameterValidator
from sentinel.worker import Job

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
    # Alert rules, alerts and record changes; the engine evaluates rules after scans and reports.
    alerts: AlertService
    alert_engine: AlertEngine
    # The database ping of /health, on a thread and a connection of its own.
    health: HealthProbe
    # Caps on scans and uploads in flight, per organization and per process.
    admission: Admission
    # Webhook endpoints and deliveries; the delivery engine's parts.
    webhooks: WebhookService
    deliverer: Deliverer
    # What a worker runs (mailsentinel worker, serve's in-process worker, the mock's clock):
    # scheduled rescans and time-based rules first, so the events they record are dispatched
    # and delivered in the same round.
    jobs: list[Job]
    # How the web layer runs blocking calls: handlers and the token look-up, and slow
    # work (scans, verification, uploads) on a pool of its own.
    blocking: Blocking = in_thread_pool
    slow: Blocking = in_thread_pool
    # Whether a cached principal may be checked on the event loop (web.security.bearer_info):
    # when that reads only SQLite and memory, never the network. `quick` runs the handlers
    # marked quick_read: inline then too, else as `blocking` does.
    inline_auth: bool = False
    quick: Blocking = in_thread_pool
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
    webhook_policy: AddressPolicy | None = None,
    webhook_network: Any = None,
    parsing: Parsing | None = None,
) -> Services:
    """Wire the services for a mode; brings the schema up to date unless told not to.

    In mock mode every port not passed in is the mock's (mocks/ports.py) and the seed is
    loaded. `webhook_policy` replaces the outbound-address policy of deliveries (the mock's
    reaches loopback only) and `webhook_network` their network backend (a test's recorder).
    Raises ValidationError for malformed nameservers or a bad seed file.
    """
    if mode == "mock":
        from mocks import ports

        db = db or ports.memory_database()
        clock = clock or ports.mock_clock()
        ids = ids or ports.mock_ids()
        dns = dns or ports.zone_dns()
        https = https or ports.static_https()
        limiter = limiter or ports.mock_limiter(settings)
        webhook_policy = webhook_policy or ports.loopback_policy()
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
    # Principals are cached exactly: the mock is one process holding all state (a counter
    # of its own), serve's instances share a generation counter in the database.
    tokens = TokenService(database, clock, ids, PrincipalCache(local=mode == "mock"))
    domains = DomainService(database, clock, ids, list_cache_pages=settings.list_cache_pages)
    box = box_for(settings.webhook_secret_keys, settings.database_url, database.in_memory)
    targets = Targets(LocalhostAware(dns), webhook_policy or AddressPolicy(settings.allowed_target_networks))
    sender = Sender(targets, settings.webhook_timeout, settings.https_ca_bundle, webhook_network)
    deliverer = Deliverer(database, clock, box, sender, timedelta(days=settings.webhook_disable_after_days))
    engine = AlertEngine(ids, clock)
    scans = ScanService(database, clock, ids, domains, dns, https, engine)
    # Uploads are parsed in processes of their own (started at the first upload, or by
    # `serve` at start-up); the mock keeps everything in its one process.
    # A caller may bring its own: `mailsentinel ingest` starts its parse process before importing this.
    if parsing is None:
        processes = settings.parse_processes if mode == "serve" else 0
        parsing = ParseProcesses(processes) if processes else InThread()
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
        scans=scans,
        reports=ReportService(database, clock, ids, domains, parsing=parsing, after_store=engine.after_report),
        alerts=AlertService(database, clock, ids, domains),
        alert_engine=engine,
        health=HealthProbe(database, settings.health_timeout),
        admission=Admission(
            per_organization={"scan": settings.scans_per_organization, "upload": settings.uploads_per_organization},
            in_flight={"upload": settings.uploads_in_flight, "scan": settings.scans_in_flight},
        ),
        webhooks=WebhookService(database, clock, ids, box, targets, deliverer),
        deliverer=deliverer,
        jobs=[*monitoring_jobs(database, scans, engine), DispatchJob(database, ids), DeliveryJob(deliverer)],
        blocking=ThreadPort(settings.worker_threads, "sentinel-worker"),
        slow=ThreadPort(settings.slow_threads, "sentinel-slow"),
    )
    services.inline_auth = database.engine.dialect.name == "sqlite" and isinstance(
        getattr(services.limiter, "storage", None), MemoryWindows
    )
    services.quick = inline if database.engine.dialect.name == "sqlite" else services.blocking
    if mode == "mock":
        from mocks.state import MockState

        services.blocking = services.slow = services.quick = inline

        services.mock = MockState.start(services, settings)
    return services


def warm_up(services: Services) -> None:
    """Before `serve` takes requests: every handler and slow-work thread started, on PostgreSQL
    the pool's connections (MAILSENTINEL_DB_POOL_WARM) open, and the health ping's own. Otherwise the
    first burst of requests pays for all of it at once, in threads competing with the event
    loop for the GIL (and on PostgreSQL with a new server process per connection for the
    CPU), and /health, answered on the loop, waits behind them. A database unavailable now
    is logged: the connections then open on demand."""
    for port in (services.blocking, services.slow):
        prestart = getattr(port, "prestart", None)
        if prestart is not None:
            prestart()
    try:
        # On PostgreSQL only: there each connection is a new server process, on SQLite it opens in
        # microseconds, and idle ones taking turns (the pool is FIFO) would each grow a page cache.
        if services.db.engine.dialect.name != "sqlite":
            services.db.warm(services.settings.db_pool_warm)
        services.health.warm()
    except (ServiceUnavailable, TimeoutError) as exc:
        logging.getLogger("sentinel.web").warning("start-up: database connections not opened: %s", exc)


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
    app = AsyncApp(
        __name__,
        specification_dir=str(ROOT),
        jsonifier=_CompactJson(),
        pythonic_params=True,
        security_map=SECURITY_MAP,
    )
    decorate_once(app)
    spec = load_spec()
    documents = documents_for(SPEC_PATH, spec, SPEC_URL)
    if mode == "mock":
        from mocks.server import install

        # Before the main API: its mount at "/" would otherwise claim /_mock too.
        spec = install(app, services, spec, documents)
    resolver = BlockingResolver(services.blocking, services.slow, services.quick)
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
    # The console's built files at / and /assets/ (sentinel/web/console.py), then the spec documents.
    inner = SentinelMiddleware(ConsoleAssets(SpecDocuments(app, documents)), services)
    # Outside everything, so even the body-size refusals get X-RateLimit-* headers.
    limited = RateLimitHeaders(inner, services.limiter, settings.trusted_proxies)
    # Outside that, so a browser can read every answer to an allowed origin, errors included.
    origins = settings.allowed_origins()
    return Cors(limited, origins) if origins else limited
