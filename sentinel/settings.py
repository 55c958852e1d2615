"""Configuration: the only reader of MAILSENTINEL_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sentinel.errors import ValidationError

DEFAULT_DATABASE_FILE = "mailsentinel.db"


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}"


@dataclass(frozen=True)
class Settings:
    """Everything an instance can be told; built once, passed explicitly."""

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
    dns_timeout: float = 2.0
    dns_lifetime: float = 5.0
    # Comma-separated proxy addresses whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    # Plan limits as "plan=per_minute/per_day" overrides, e.g. "free=600/10000".
    rate_limits: tuple[str, ...] = ()
    auth_failures_per_minute: int = 30
    # Networks that outbound HTTPS (MTA-STS policies, BIMI logos) may reach despite not
    # being public, e.g. "127.0.0.0/8" in tests; empty in production (SSRF guard).
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
    # Seconds to wait for a free connection, and for a lock (SQLite busy timeout,
    # PostgreSQL lock_timeout), before answering 503 with Retry-After.
    db_pool_timeout: float = 5.0
    db_lock_timeout: float = 10.0
    # Seconds /health waits for its database ping before answering 503.
    health_timeout: float = 1.0
    # Concurrent scans (and verifications) and uploads per organization (429 beyond),
    # and uploads in flight in this process (503 beyond).
    scans_per_organization: int = 4
    uploads_per_organization: int = 2
    uploads_in_flight: int = 4

    @property
    def database_pool_size(self) -> int:
        return self.db_pool_size or self.worker_threads + self.slow_threads + 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read MAILSENTINEL_* variables; keyword overrides win over the environment.

        Raises ValidationError when a variable has an unusable value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}

        def text(name: str) -> str | None:
            raw = env.get(f"MAILSENTINEL_{name}")
            return raw.strip() if raw and raw.strip() else None

        def number(name: str, kind: type[int] | type[float]) -> int | float | None:
            raw = text(name)
            if raw is None:
                return None
            try:
                return kind(raw)
            except ValueError:
                raise ValidationError(f"MAILSENTINEL_{name} must be a number, got {raw!r}.") from None

        def listing(name: str) -> tuple[str, ...] | None:
            raw = text(name)
            return tuple(p.strip() for p in raw.split(",") if p.strip()) if raw else None

        simple = {
            "database_url": text("DATABASE_URL"),
            "redis_url": text("REDIS_URL"),
            "redis_key_prefix": text("REDIS_KEY_PREFIX"),
            "host": text("HOST"),
            "log_level": text("LOG_LEVEL"),
            "https_ca_bundle": text("HTTPS_CA_BUNDLE"),
            "mock_seed": text("MOCK_SEED"),
            "nameservers": listing("NAMESERVERS"),
            "trusted_proxies": listing("TRUSTED_PROXIES"),
            "rate_limits": listing("RATE_LIMITS"),
            "allowed_target_networks": listing("ALLOWED_TARGET_NETWORKS"),
            "port": number("PORT", int),
            "max_body_bytes": number("MAX_BODY_BYTES", int),
            "dns_timeout": number("DNS_TIMEOUT", float),
            "dns_lifetime": number("DNS_LIFETIME", float),
            "auth_failures_per_minute": number("AUTH_FAILURES_PER_MINUTE", int),
            "mta_sts_port": number("MTA_STS_PORT", int),
            "worker_threads": number("WORKER_THREADS", int),
            "slow_threads": number("SLOW_THREADS", int),
            "db_pool_size": number("DB_POOL_SIZE", int),
            "db_pool_timeout": number("DB_POOL_TIMEOUT", float),
            "db_lock_timeout": number("DB_LOCK_TIMEOUT", float),
            "health_timeout": number("HEALTH_TIMEOUT", float),
            "scans_per_organization": number("SCANS_PER_ORGANIZATION", int),
            "uploads_per_organization": number("UPLOADS_PER_ORGANIZATION", int),
            "uploads_in_flight": number("UPLOADS_IN_FLIGHT", int),
        }
        values.update({k: v for k, v in simple.items() if v is not None})
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raises ValidationError for pool sizes, caps or timeouts that cannot work."""
        positive = {
            "WORKER_THREADS": self.worker_threads,
            "SLOW_THREADS": self.slow_threads,
            "DB_POOL_TIMEOUT": self.db_pool_timeout,
            "DB_LOCK_TIMEOUT": self.db_lock_timeout,
            "HEALTH_TIMEOUT": self.health_timeout,
            "SCANS_PER_ORGANIZATION": self.scans_per_organization,
            "UPLOADS_PER_ORGANIZATION": self.uploads_per_organization,
            "UPLOADS_IN_FLIGHT": self.uploads_in_flight,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValidationError(f"MAILSENTINEL_{name} must be positive, got {value}.")
        if self.db_pool_size < 0:
            raise ValidationError(f"MAILSENTINEL_DB_POOL_SIZE must be 0 (automatic) or more, got {self.db_pool_size}.")

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)

