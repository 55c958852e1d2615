"""The apps under contract test (serve and the mock), the worlds the cases act in, and the
one way a case is run: authenticated, recorded, and never with credentials it can destroy.

schemathesis loads the schema when the test module is imported, so the targets are built at
import time too (a temporary SQLite file, or MAILSENTINEL_TEST_DATABASE_URL).

Cannot go blind, by construction: operations that can take the caller's own access away
(every PATCH and DELETE, and token rotation) run each case as a fresh user with a fresh
organization and token made for that case alone; the others share one long-lived world
whose token, organization and membership no fuzzed call can address. Every answer is
counted by `guard.LEDGER`, which fails the run when that construction breaks.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contract_tests.guard import LEDGER, Credentials, Ledger
from mocks.ports import ZONES_DIR, loopback_policy, static_https
from sentinel.app import Services, build_services, create_app
from sentinel.errors import SentinelError
from sentinel.pagination import PageRequest
from sentinel.settings import Settings
from tests.support.dns_server import LoopbackDnsServer

EXAMPLES = int(os.environ.get("MAILSENTINEL_FUZZ_EXAMPLES", "25"))
REPORT = Path(__file__).resolve().parent.parent / "mocks" / "reports" / "google.com!example.com!20260113.xml"
# 87.9% of its messages pass DMARC: the default dmarc_pass_rate rule opens a dmarc_failure alert.
FAILING_REPORT = REPORT.with_name("yahoo.com!legacy.example.org!20260114.xml")
# Limits that never bind (whatever plan a fuzzed PATCH picks), so every answer stays the operation's own.
NO_LIMITS = ("free=100000000/0", "pro=100000000/0", "enterprise=100000000/0")
# Webhooks of the worlds point at the discard port on loopback: nothing listens, nothing leaves.
HOOK_URL = "http://127.0.0.1:9/mailsentinel"
_ID = re.compile(r"[a-z]{3}_[A-Za-z0-9]{1,40}")
_serial = itertools.count(1)


@dataclass
class World:
    """A principal and real IDs of what it owns, by path-parameter name."""

    credentials: Credentials
    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Target:
    name: str
    app: Any
    services: Services
    shared: World

    @property
    def token(self) -> str:
        return self.shared.credentials.token

    @property
    def org_id(self) -> str:
        return self.shared.ids["orgId"]

    @property
    def auth(self) -> dict[str, str]:
        return self.shared.credentials.headers

    def fresh_world(self, needs: set[str] | frozenset[str] = frozenset({"all"})) -> World:
        return make_world(self.services, needs)


def credentials(services: Services, token: str, kind: str) -> Credentials:
    def still_valid() -> bool:
        try:
            services.tokens.authenticate(token)
        except SentinelError:
            return False
        return True

    return Credentials(token, still_valid, kind)


def make_world(services: Services, needs: set[str] | frozenset[str], kind: str = "fresh") -> World:
    """A new user owning a new enterprise organization, with what `needs` names (or "all")."""
    n = next(_serial)
    boot = services.organizations.bootstrap(f"contract-{n}@example.com", f"Contract {n}", "enterprise")
    world = World(credentials(services, boot.token, kind), {"orgId": boot.organization_id, "tokenId": boot.token_id})
    return fill(services, world, needs)


def fill(services: Services, world: World, needs: set[str] | frozenset[str]) -> World:
    """Add (or find) a second member, a domain, a report and a scan, as far as `needs` asks."""
    want = (lambda name: True) if "all" in needs else needs.__contains__
    principal = services.tokens.authenticate(world.credentials.token)
    org_id = world.ids["orgId"]
    if want("userId"):
        members = services.organizations.list_members(principal, org_id, PageRequest(1, 100))["members"]
        others = [m["userId"] for m in members if m["userId"] != principal.user_id]
        world.ids["userId"] = (
            others[0]
            if others
            else services.organizations.add_member(
                principal, org_id, f"member-{next(_serial)}@example.com", "member", None
            )["member"]["userId"]
        )
    if want("webhookId") or want("deliveryId"):
        hooks = services.webhooks.list(principal, org_id, PageRequest(1, 1))["webhooks"]
        world.ids["webhookId"] = (
            hooks[0]["id"] if hooks else services.webhooks.create(principal, org_id, {"url": HOOK_URL})["webhook"]["id"]
        )
        if hooks and not hooks[0]["enabled"]:
            # A fuzzed PATCH may have disabled it; redeliver and recover refuse a disabled endpoint.
            services.webhooks.update(principal, world.ids["webhookId"], {"enabled": True})
        if want("deliveryId"):
            # One attempt to a closed loopback port: a real delivery, answered at once.
            world.ids["deliveryId"] = services.webhooks.test(principal, world.ids["webhookId"])["delivery"]["id"]
    if want("ruleId"):
        rules = services.alerts.list_rules(principal, org_id, PageRequest(1, 100))["rules"]
        # The pass-rate rule: the spec's update_alert_rule example sets its threshold.
        world.ids["ruleId"] = next((r["id"] for r in rules if r["type"] == "dmarc_pass_rate"), rules[0]["id"])
    if want("alertId"):
        world.ids["alertId"] = open_alert(services, principal, org_id)
    if not (want("domainId") or want("reportId") or want("scanId")):
        return world
    domains = services.domains.list_for_org(principal, org_id, PageRequest(1, 100))["domains"]
    named = {d["domain"]: d["id"] for d in domains}
    world.ids["domainId"] = (
        named.get("example.com") or services.domains.create(principal, org_id, "example.com")["domain"]["id"]
    )
    if want("reportId"):
        reports = services.reports.list_reports(principal, PageRequest(1, 1), organization_id=org_id)["reports"]
        world.ids["reportId"] = (
            reports[0]["id"]
            if reports
            else services.reports.upload(principal, org_id, REPORT.read_bytes()).report["id"]
        )
    if want("scanId"):
        world.ids["scanId"] = services.scans.scan(principal, world.ids["domainId"])["id"]
    return world


# Webhook secrets need a key on PostgreSQL (a SQLite file gets a key file beside it).
SECRET_KEY = "q0GJ1PKFd1rF0m8eBoIn4BVyBgXcXp1ZWcPzs8VcG0Y="
def open_alert(services: Services, principal: Any, org_id: str) -> str:
    """An unresolved alert of the organization, opened by uploading a failing report if need be."""
    found = services.alerts.list_alerts(principal, org_id, PageRequest(1, 100), status="open")["alerts"]
    if not found:
        domains = services.domains.list_for_org(principal, org_id, PageRequest(1, 100), q="legacy.example.org")
        if not domains["domains"]:
            services.domains.create(principal, org_id, "legacy.example.org")
        services.reports.upload(principal, org_id, FAILING_REPORT.read_bytes())
        found = services.alerts.list_alerts(principal, org_id, PageRequest(1, 100), status="open")["alerts"]
    return str(found[0]["id"])


def _settings(**overrides: Any) -> Settings:
    # schemathesis sends thousands of requests, many deliberately unauthenticated; deliveries
    # give up fast (they only ever reach loopback: see make_target).
    return Settings(rate_limits=NO_LIMITS, auth_failures_per_minute=100_000_000, webhook_secret_keys=(SECRET_KEY,),
                    webhook_timeout=2.0, **overrides)


_DNS: LoopbackDnsServer | None = None


def loopback_dns() -> LoopbackDnsServer:
    """One real DNS server on loopback answering from the mock's zone files, for serve's scans."""
    global _DNS
    if _DNS is None:
        _DNS = LoopbackDnsServer(sorted(ZONES_DIR.glob("*.zone"))).start()
        atexit.register(_DNS.stop)
    return _DNS


def make_target() -> Target:
    tmp = Path(tempfile.mkdtemp(prefix="mailsentinel-contract-"))
    url = os.environ.get("MAILSENTINEL_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'contract.db'}"
    settings = _settings(database_url=url, nameservers=(loopback_dns().nameserver,), dns_timeout=0.5, dns_lifetime=1.0)
    # MTA-STS policies come from the mock's static pages and webhooks reach loopback only (a
    # fuzzed URL with a public address is refused): nothing leaves the machine.
    services = build_services(settings, https=static_https(), webhook_policy=loopback_policy())
    shared = make_world(services, {"all"}, kind="shared")
    return Target("serve", create_app(settings, services=services), services, shared)


def make_mock_target() -> Target:
    """The mock, composed as `mailsentinel mock` composes it, acting as the seed's owner."""
    settings = _settings()
    services = build_services(settings, "mock")
    assert services.mock is not None
    owner = services.mock.tokens[0]
    world = World(
        credentials(services, owner.secret, "shared"), {"orgId": owner.organization_id, "tokenId": owner.token_id}
    )
    shared = fill(services, world, {"all"})
    return Target("mock", create_app(settings, "mock", services=services), services, shared)


def operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId"))


def can_take_access_away(operation: Any) -> bool:
    """PATCH/DELETE and rotation can revoke, unbind or demote the caller; they get a world of their own."""
    return operation.method.upper() in {"PATCH", "DELETE"} or str(operation.path).endswith("/rotate")


def use_real_ids(case: Any, world: World) -> None:
    """For the spec's examples and about half of the other cases whose path IDs are well-formed,
    aim them at real resources.

    Chosen from the generated values themselves, so a replayed case makes the same choice; a
    malformed ID (a negative case) is left as generated.
    """
    params = dict(case.path_parameters or {})
    examples = {p.name: p.definition.get("example") for p in case.operation.path_parameters}
    # The spec's example IDs stand for real ones: the examples phase sends each just once.
    from_examples = bool(params) and all(params[name] == examples.get(name) for name in params)
    if not params or (not from_examples and zlib.crc32(repr(sorted(params.items())).encode()) % 2):
        return
    for name, value in params.items():
        real = world.ids.get(name)
        if real is None or not isinstance(value, str) or not _ID.fullmatch(value) or value[:4] != real[:4]:
            return
    case.path_parameters = {**params, **{name: world.ids[name] for name in params}}


# The shared worlds already monitor example.com, the name the spec's create_domain example
# adds: in a world of its own that example can succeed. Resolving an alert uses it up, so each
# case resolves one of its own and the shared alert stays open for the others. A fuzzed update
# or delete of the shared webhook would disable or remove it, and recover and redeliver refuse
# a disabled endpoint: all four act on an endpoint of their own world.
OWN_WORLD_FOR_THE_EXAMPLE = {
    "create_domain", "resolve_alert", "update_webhook", "delete_webhook", "recover_webhook",
    "redeliver_webhook_delivery",
}


def world_for(target: Target, case: Any) -> World:
    if can_take_access_away(case.operation) or operation_id(case) in OWN_WORLD_FOR_THE_EXAMPLE:
        return target.fresh_world({p.name for p in case.operation.path_parameters})
    return target.shared


def is_authenticated(case: Any) -> bool:
    return case.operation.definition.raw.get("security") != []


def run_case(target: Target, case: Any, ledger: Ledger = LEDGER, **kwargs: Any) -> Any:
    """Call and validate one case as a principal it cannot blind; the answer goes in the ledger."""
    world = world_for(target, case)
    use_real_ids(case, world)
    response = case.call(headers=world.credentials.headers)
    credentials = world.credentials if is_authenticated(case) else None
    ledger.record(target.name, operation_id(case), response.status_code, credentials)
    case.validate_response(response, **kwargs)
    return response


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if LEDGER.statuses:
        LEDGER.save()


@pytest.fixture
def ledger_scope() -> Iterator[None]:
    """Fails the test when an operation it exercised saw only 401/403 while authenticated."""
    before = {key: sum(c.values()) for key, c in LEDGER.statuses.items()}
    yield
    touched = [key for key, counts in LEDGER.statuses.items() if sum(counts.values()) != before.get(key, 0)]
    LEDGER.verify(touched)


def _schemathesis_config() -> Any:
    from schemathesis.config import SchemathesisConfig

    return SchemathesisConfig.from_path(str(Path(__file__).resolve().parent.parent / "schemathesis.toml"))


SCHEMATHESIS_CONFIG = _schemathesis_config()
