"""Configuration: the only reader of MAILSENTINEL_* environment variables."""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from sentinel.errors import ValidationError
from sentinel.net.policy import parse_networks

DEFAULT_DATABASE_FILE = "mailsentinel.db"


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}"


@dataclass(frozen=True)
class Settings:
    """Everything an instance can be told; built once, passed explicitly.

    Every field is read from the variable VARIABLES lists for it (MAILSENTINEL_<FIELD>).
    """

    database_url: str = field(default_factory=_default_database_url)
    redis_url: str | None = None
    # Prefix of every Redis key; instances sharing a prefix share their rate-limit counts.
    redis_key_prefix: str = "mailsentinel"
    nameservers: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    # The largest request body accepted (report uploads are the big ones).
    max_body_bytes: int = 25 * 1024 * 1024
    # Seconds a request body may take to arrive in full, counted once the token was accepted.
    body_timeout: float = 60.0
    # The request line plus headers: at most this many bytes, this many header lines, and
    # all of it within this many seconds of the connection opening (or the request starting).
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    # uvicorn's line per request; off by default, as building and discarding it costs every request.
    access_log: bool = False
    dns_timeout: float = 2.0
    dns_lifetime: float = 5.0
    # Comma-separated proxy addresses whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    # Plan limits as "plan=per_minute/per_day" overrides, e.g. "free=600/10000".
    rate_limits: tuple[str, ...] = ()
    auth_failures_per_minute: int = 30
    # Networks that outbound fetches (MTA-STS policies, BIMI logos, webhooks) may reach
    # despite sentinel.net.policy, e.g. "127.0.0.0/8" in tests; empty in production.
    allowed_target_networks: tuple[str, ...] = ()
    https_ca_bundle: str | None = None
    mta_sts_port: int = 443
    # The JSON seed `mailsentinel mock` loads (default: mocks/seed.json).
    mock_seed: str | None = None
    # Threads for request handlers and token checks, and a separate pool for slow work
    # (scans, verification, report uploads), so slow work never starves the rest.
    worker_threads: int = 32
    slow_threads: int = 8
    # Database connections per process; 0 sizes the pool to the threads that use it
    # (worker + slow threads + 2), so no thread waits for a connection.
    db_pool_size: int = 0
    # PostgreSQL connections `serve` opens at start-up, before its first request (at most the pool's size).
    db_pool_warm: int = 32
    # Seconds to wait for a free connection, and for a lock (SQLite busy timeout,
    # PostgreSQL lock_timeout), before answering 503 with Retry-After.
    db_pool_timeout: float = 5.0
    db_lock_timeout: float = 10.0
    # Seconds the start-up migration keeps retrying while the database is unreachable,
    # lost or locked (a PostgreSQL restart) before the command fails.
    migrate_timeout: float = 60.0
    # Seconds /health waits for its database ping before answering 503.
    health_timeout: float = 1.0
    # Concurrent scans (and verifications) and uploads per organization (429 beyond),
    # and uploads in flight in this process (503 beyond).
    scans_per_organization: int = 4
    uploads_per_organization: int = 2
    uploads_in_flight: int = 4
    # Scans wait for DNS on the event loop, holding no thread: this bounds how many one
    # process runs at once across all organizations.
    scans_in_flight: int = 64
    # Keys (Fernet: url-safe base64 of 32 bytes) that encrypt webhook secrets at rest; the
    # first encrypts, every one decrypts, so a key can be replaced without losing secrets.
    webhook_secret_keys: tuple[str, ...] = ()
    # Seconds one delivery attempt may take in all (a 2xx within it is a success).
    webhook_timeout: float = 15.0
    # An endpoint whose every attempt failed for this many days is disabled.
    webhook_disable_after_days: float = 5.0
    # 1: `serve` runs a delivery worker in its own process; 0 when dedicated workers run.
    serve_worker: int = 1
    # Origins whose pages may call the API from a browser (CORS), e.g. "https://console.example.com"; "*" any.
    cors_origins: tuple[str, ...] = ()
    # Worker processes that parse uploaded reports (0: parse in the request's thread, which
    # holds the GIL the event loop needs while it runs).
    parse_processes: int = 2
    # Pages of domain lists each process keeps (exact across processes: the database bumps a
    # version on every change to an organization's domains); 0 computes every page.
    list_cache_pages: int = 256

    @property
    def database_pool_size(self) -> int:
        return self.db_pool_size or self.worker_threads + self.slow_threads + 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the MAILSENTINEL_* variables VARIABLES lists; keyword overrides win.

        Raises ValidationError when a variable has an unusable value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for var in VARIABLES:
            raw = env.get(var.name, "").strip()
            if raw:
                values[var.field] = var.parse(raw)
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raises ValidationError for limits, pool sizes, caps or timeouts that cannot work."""
        positive = (
            "max_body_bytes", "body_timeout", "max_header_bytes", "max_headers", "header_timeout",
            "worker_threads", "slow_threads", "db_pool_timeout", "db_lock_timeout", "health_timeout",
            "scans_per_organization", "uploads_per_organization", "uploads_in_flight", "scans_in_flight",
            "webhook_timeout", "webhook_disable_after_days",
        )
        for name in positive:
            value = getattr(self, name)
            if not value > 0:
                raise ValidationError(f"MAILSENTINEL_{name.upper()} must be above zero, got {value!r}.")
        if self.migrate_timeout < 0:
            raise ValidationError(f"MAILSENTINEL_MIGRATE_TIMEOUT must be 0 (no retry) or more, got "
                                  f"{self.migrate_timeout}.")
        if self.parse_processes < 0:
            raise ValidationError(f"MAILSENTINEL_PARSE_PROCESSES must be 0 (parse in the request's thread) or "
                                  f"more, got {self.parse_processes}.")
        if self.db_pool_warm < 0:
            raise ValidationError(f"MAILSENTINEL_DB_POOL_WARM must be 0 (none) or more, got {self.db_pool_warm}.")
        if self.db_pool_size < 0:
            raise ValidationError(f"MAILSENTINEL_DB_POOL_SIZE must be 0 (automatic) or more, got {self.db_pool_size}.")
        # Fail at start-up, not at the first fetch, on an allow-list entry that is no network.
        parse_networks(self.allowed_target_networks)
        if self.serve_worker not in (0, 1):
            raise ValidationError(f"MAILSENTINEL_SERVE_WORKER must be 0 or 1, got {self.serve_worker}.")
        for key in self.webhook_secret_keys:
            if not _is_fernet_key(key):
                raise ValidationError(
                    "MAILSENTINEL_WEBHOOK_SECRET_KEYS: each key must be url-safe base64 of 32 bytes "
                    f"(e.g. from `mailsentinel webhooks new-key`), got one of {len(key)} characters."
                )
        self.allowed_origins()

    def allowed_origins(self) -> frozenset[str]:
        """`cors_origins` as browsers send an Origin (`scheme://host[:port]`, lower-case), or `*`.

        Raises ValidationError for an entry that is neither, so a typo fails at start-up.
        """
        origins: set[str] = set()
        for value in self.cors_origins:
            parts = urlsplit(value)
            extra = parts.path or parts.query or parts.fragment
            if value != "*" and (parts.scheme not in ("http", "https") or not parts.hostname or extra):
                raise ValidationError(
                    f"MAILSENTINEL_CORS_ORIGINS: {value!r} is not an origin such as https://console.example.com, nor *."
                )
            origins.add(value.lower())
        return frozenset(origins)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        return False


Kind = Literal["text", "list", "int", "float", "bool"]
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})

# The commands of sentinel/cli.py, for the variables each one reads.
SERVERS = ("serve", "mock")
DATABASE = ("serve", "migrate", "bootstrap", "token", "ingest", "worker", "alerts")
# The worker rescans domains (alerts) as well as delivering webhooks.
DNS = ("serve", "scan", "worker")
# The commands that sign and deliver webhooks.
DELIVERY = ("serve", "worker", "mock")


@dataclass(frozen=True)
class Variable:
    """One MAILSENTINEL_* variable: the Settings field it sets, how to read it, what it means."""

    field: str
    kind: Kind
    meaning: str
    commands: tuple[str, ...]
    # How the default reads when it is computed (a default_factory) rather than a value.
    shown_default: str | None = None

    @property
    def name(self) -> str:
        return f"MAILSENTINEL_{self.field.upper()}"

    def parse(self, raw: str) -> Any:
        """The value of a non-empty variable; raises ValidationError for a bad number."""
        if self.kind == "list":
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if self.kind == "bool":
            if raw.lower() not in _TRUE | _FALSE:
                raise ValidationError(f"{self.name} must be true or false, got {raw!r}.")
            return raw.lower() in _TRUE
        if self.kind in ("int", "float"):
            try:
                return int(raw) if self.kind == "int" else float(raw)
            except ValueError:
                raise ValidationError(f"{self.name} must be a number, got {raw!r}.") from None
        return raw

    @property
    def default(self) -> str:
        """The default as the README's configuration table and --help show it."""
        if self.shown_default is not None:
            return self.shown_default
        spec = next(f for f in dataclasses.fields(Settings) if f.name == self.field)
        value = spec.default
        if value is None or value == ():
            return "unset"
        return f"`{value}`"


# The one list of variables: from_env reads these, `--help` and the README table show them
# (tests/test_settings.py checks both against Settings).
VARIABLES: tuple[Variable, ...] = (
    Variable("database_url", "text", "SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user@host/db`",
             DATABASE, shown_default="`sqlite:///./mailsentinel.db`"),
    Variable("redis_url", "text", "Redis for rate-limit counters shared by several instances "
             "(unset: this process's memory; the mock always counts in memory)", ("serve",)),
    Variable("redis_key_prefix", "text", "prefix of every Redis key; instances sharing it share their counts",
             ("serve",)),
    Variable("nameservers", "list", "comma-separated `ip[:port]` resolvers for scans (unset: the system's)", DNS),
    Variable("dns_timeout", "float", "seconds to wait for one DNS server's answer", DNS),
    Variable("dns_lifetime", "float", "seconds one DNS query may take in all, retries included", DNS),
    Variable("host", "text", "address `serve` and `mock` listen on", SERVERS),
    Variable("port", "int", "port `serve` listens on (`mock`: 4010 unless `--port`)", ("serve",)),
    Variable("log_level", "text", "logging level", SERVERS),
    Variable("access_log", "bool", "log one line per request (uvicorn's access log; off: it costs every "
             "request and the proxy in front usually keeps one)", SERVERS),
    Variable("max_body_bytes", "int", "largest accepted request body (JSON bodies: 1 MiB)", SERVERS),
    Variable("body_timeout", "float", "seconds a request body may take to arrive in full, counted once the "
             "token was accepted (then 408)", SERVERS),
    Variable("max_header_bytes", "int", "largest request line plus headers, in bytes (then 431 and the "
             "connection is closed)", SERVERS),
    Variable("max_headers", "int", "most header lines in one request (then 431)", SERVERS),
    Variable("header_timeout", "float", "seconds from the connection opening (or a request's first byte) to its "
             "last header line (then 408)", SERVERS),
    Variable("rate_limits", "list", "plan limit overrides, `plan=per_minute/per_day`, e.g. "
             "`free=120/2000,pro=600/0` (`0`: no daily cap; unset: the plans' own)", SERVERS),
    Variable("auth_failures_per_minute", "int", "failed authentications allowed per client address per minute",
             SERVERS),
    Variable("trusted_proxies", "list", "comma-separated proxy addresses or networks whose `X-Forwarded-For` "
             "is believed", SERVERS),
    Variable("allowed_target_networks", "list", "comma-separated networks outbound fetches may reach despite the "
             "address policy, e.g. `127.0.0.0/8` for a local test server; leave unset in production", DNS),
    Variable("https_ca_bundle", "text", "CA bundle (PEM file) for outbound HTTPS instead of the system's", DNS),
    Variable("mta_sts_port", "int", "port MTA-STS policies are fetched from", DNS),
    Variable("worker_threads", "int", "threads for request handlers and token checks", SERVERS),
    Variable("slow_threads", "int", "a separate pool for report uploads, verification and the database steps of scans "
             "(a scan waits for DNS on the event loop)", SERVERS),
    Variable("db_pool_size", "int", "database connections per process, no overflow (`0`: worker + slow "
             "threads + 2)", DATABASE),
    Variable("db_pool_warm", "int", "PostgreSQL connections `serve` opens at start-up, before its first request, so "
             "a burst of requests finds them open (at most the pool size; `0`: open them on demand)", ("serve",)),
    Variable("db_pool_timeout", "float", "seconds to wait for a free connection before answering 503", DATABASE),
    Variable("db_lock_timeout", "float", "seconds to wait for a lock (SQLite busy timeout, PostgreSQL "
             "`lock_timeout`) before answering 503", DATABASE),
    Variable("migrate_timeout", "float", "seconds the start-up migration retries, with backoff, while the database "
             "is unreachable, lost or locked, before the command fails", DATABASE),
    Variable("health_timeout", "float", "seconds `/health` waits for its database ping before answering 503",
             SERVERS),
    Variable("scans_per_organization", "int", "scans and verifications in flight per organization (429 beyond)",
             SERVERS),
    Variable("uploads_per_organization", "int", "report uploads in flight per organization (429 beyond)",
             SERVERS),
    Variable("uploads_in_flight", "int", "report uploads in flight per process (503 beyond)", SERVERS),
    Variable("scans_in_flight", "int", "scans and verifications in flight per process, all organizations together "
             "(503 beyond)", SERVERS),
    Variable("webhook_secret_keys", "list", "comma-separated keys encrypting webhook secrets at rest (url-safe "
             "base64 of 32 bytes; the first encrypts, all decrypt; unset: a key file beside a SQLite database, "
             "required on PostgreSQL)", DELIVERY),
    Variable("webhook_timeout", "float", "seconds one webhook delivery attempt may take (a 2xx within it is a "
             "success)", DELIVERY),
    Variable("webhook_disable_after_days", "float", "days of nothing but failed attempts after which an endpoint "
             "is disabled", DELIVERY),
    Variable("serve_worker", "int", "`1`: `serve` runs a webhook delivery worker in-process; `0`: off, when "
             "`mailsentinel worker` processes run", ("serve",)),
    Variable("cors_origins", "list", "comma-separated origins whose pages may call the API from a browser "
             "(CORS), e.g. `https://console.example.com`; `*` for any (tokens are never cookies)", SERVERS),
    Variable("parse_processes", "int", "worker processes that parse uploaded reports, at a lower CPU priority "
             "(`0`: in the request's thread)", ("serve",)),
    Variable("list_cache_pages", "int", "pages of domain lists each process keeps, each under the versions the "
             "database bumps on every change to an organization's domains, so never stale, whoever wrote (`0`: "
             "every page read anew)", SERVERS),
    Variable("mock_seed", "text", "JSON seed `mock` loads (unset: `mocks/seed.json`; `--seed` wins)", ("mock",)),
)


def variables_for(command: str) -> tuple[Variable, ...]:
    """The variables a `mailsentinel` subcommand reads."""
    return tuple(v for v in VARIABLES if command in v.commands)
