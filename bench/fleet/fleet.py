"""The fleet: PostgreSQL database, private Redis, loopback DNS, two serve instances (and workers)."""

from __future__ import annotations

import os
import shutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from .procs import ROOT, STOPPING, Instance, PrivateRedis, ThrowawayDatabase, Timeline

sys.path.insert(0, str(ROOT))

from tests.support.dns_server import LoopbackDnsServer

MONITORED = ("fleet-a.example.com", "fleet-b.example.com", "fleet-c.example.com", "fleet-d.example.com")
ED25519_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
# Seconds one delivery attempt may take: it also sets the lease a killed worker's claims keep
# (5 rounds of it + 2 s, sentinel/events/delivery.py), so its deliveries are sent again within the run.
WEBHOOK_TIMEOUT = 5


def zone_text() -> str:
    """example.com with the monitored domains: MX, SPF, DMARC and a DKIM key each; no HTTPS
    policies (no MTA-STS or BIMI), so a scan sends nothing but DNS to the loopback server."""
    lines = ["$ORIGIN example.com.", "$TTL 300", "@ SOA ns1 hostmaster 1 3600 600 86400 300", "@ NS ns1",
             "ns1 A 127.0.0.53"]
    for name in MONITORED:
        label = name.split(".")[0]
        lines += [
            f"{label} MX 10 mx.{label}",
            f"mx.{label} A 127.0.0.25",
            f'{label} TXT "v=spf1 mx -all"',
            f'_dmarc.{label} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{name}"',
            f's0._domainkey.{label} TXT "v=DKIM1; k=ed25519; p={ED25519_KEY}"',
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Tenant:
    token: str
    org_id: str
    plan: str


@dataclass
class Fleet:
    workdir: Path
    rate_limit: int
    timeline: Timeline = field(default_factory=Timeline)
    db: ThrowawayDatabase = field(default_factory=ThrowawayDatabase)
    redis: PrivateRedis | None = None
    dns: LoopbackDnsServer | None = None
    instances: list[Instance] = field(default_factory=list)
    workers: list[Instance] = field(default_factory=list)
    worker_command: str | None = None
    prefix: str = ""
    secret_key: str = field(default_factory=lambda: Fernet.generate_key().decode("ascii"))

    def env(self) -> dict[str, str]:
        assert self.redis is not None and self.dns is not None
        # Only the run's own settings: nothing inherited may point an instance elsewhere.
        base = {k: v for k, v in os.environ.items() if not k.startswith("MAILSENTINEL_")}
        return {
            **base,
            "MAILSENTINEL_DATABASE_URL": self.db.url,
            "MAILSENTINEL_REDIS_URL": self.redis.url,
            "MAILSENTINEL_REDIS_KEY_PREFIX": self.prefix,
            "MAILSENTINEL_NAMESERVERS": self.dns.nameserver,
            "MAILSENTINEL_DNS_TIMEOUT": "1",
            "MAILSENTINEL_DNS_LIFETIME": "2",
            "MAILSENTINEL_LOG_LEVEL": "WARNING",
            # free: the plan of the organizations whose limit is measured; enterprise: the load's.
            "MAILSENTINEL_RATE_LIMITS": f"free={self.rate_limit}/0,enterprise=1000000/0",
            # Deliveries are the two workers' job, not the instances'.
            "MAILSENTINEL_SERVE_WORKER": "0",
            # The receiver is on loopback, which the outbound policy refuses unless allowed.
            "MAILSENTINEL_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
            # PostgreSQL stores webhook secrets encrypted: a key of the run's own.
            "MAILSENTINEL_WEBHOOK_SECRET_KEYS": self.secret_key,
            "MAILSENTINEL_WEBHOOK_TIMEOUT": str(WEBHOOK_TIMEOUT),
        }

    def start(self) -> None:
        self.prefix = f"fleet-{self.db.name}"
        self.db.create()
        self.redis = PrivateRedis(self.workdir)
        self.redis.start()
        self.dns = LoopbackDnsServer([zone_text()]).start()
        env = self.env()
        # One migration before any instance starts: instances migrating at once would race
        # (two `migrate` on a fresh database: one fails on alembic_version). What `migrate` runs.
        from sentinel.store.db import Database

        database = Database(self.db.url)
        try:
            database.migrate()
        finally:
            database.dispose()
        self.instances = [Instance(name, env, self.workdir) for name in ("A", "B")]
        # Started together, as a deployment would; each still migrates (a no-op by now) first.
        began = [(instance, instance.start(wait=False)) for instance in self.instances]
        for instance, _ in began:
            instance.wait_ready(instance.started)
        self.worker_command = self.find_worker_command()
        if self.worker_command:
            self.workers = [Instance(f"worker{i}", env, self.workdir, self.worker_command) for i in (1, 2)]
            for worker in self.workers:
                worker.start()

    def bootstrap(self, label: str, plan: str) -> Tenant:
        """A user owning an organization on `plan`, with a token: through the services, as the CLI does."""
        from sentinel.app import build_services
        from sentinel.settings import Settings

        services = build_services(Settings(database_url=self.db.url, webhook_secret_keys=(self.secret_key,),
                                           parse_processes=0), migrate=False)
        try:
            boot = services.organizations.bootstrap(f"{label}@fleet.example", f"Fleet {label}", plan)
        finally:
            services.db.dispose()
        return Tenant(boot.token, boot.organization_id, plan)

    def find_worker_command(self) -> str | None:
        """`worker` when the product has it (None for a tree from before webhooks)."""
        import argparse

        from sentinel.cli import build_parser

        commands: set[str] = set()
        for action in build_parser()._actions:
            if isinstance(action, argparse._SubParsersAction):
                commands.update(action.choices)
        return "worker" if "worker" in commands else None

    def dead_processes(self) -> list[str]:
        """The processes of the fleet that are not running (none, when all is well)."""
        dead = [p.name for p in self.instances + self.workers if p.proc is None or p.proc.poll() is not None]
        if self.redis is None or self.redis.proc is None or self.redis.proc.poll() is not None:
            dead.append("Redis")
        return dead

    def close(self, keep: bool = False) -> list[str]:
        """Stop and remove everything, each step on its own; returns what could not be cleaned."""
        STOPPING.set()
        problems = []
        steps = [
            *(("stop " + p.name, p.stop) for p in self.workers + self.instances),
            ("stop DNS", self.dns.stop if self.dns else None),
            ("stop Redis", self.redis.stop if self.redis else None),
            ("drop database", self.db.drop),
        ]
        for label, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:  # cleanup goes on whatever one step raised
                problems.append(f"{label}: {traceback.format_exc(limit=1).strip()}")
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return problems
