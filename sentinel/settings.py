"""Configuration: the only reader of MAILSENTINEL_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sentinel.errors import ValidationError
from sentinel.net.policy import parse_networks

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
    # Networks that outbound fetches (MTA-STS policies, BIMI logos, webhooks) may reach
    # despite sentinel.net.policy, e.g. "127.0.0.0/8" in tests; empty in production.
    allowed_target_networks: tuple[str, ...] = ()
    https_ca_bundle: str | None = None
    mta_sts_port: int = 443
    # The JSON seed `mailsentinel mock` loads (default: mocks/seed.json).
    mock_seed: str | None = None

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
        }
        values.update({k: v for k, v in simple.items() if v is not None})
        values.update(overrides)
        # Fail at start-up, not at the first fetch, on an allow-list entry that is no network.
        parse_networks(values.get("allowed_target_networks", ()))
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)

