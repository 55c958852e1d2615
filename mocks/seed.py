"""The mock's seed: a JSON fixture applied through the real services on start and on reset.

Format (version 1; mocks/seed.json is the default and README.md documents it)::

    {
      "version": 1,
      "clock": "2026-01-15T10:00:00Z",            # the mock clock's start (optional)
      "organizations": [{
        "id": "org_123",                           # optional: org_ + 1-40 letters or digits
        "name": "Example Corp", "plan": "pro",     # plan optional, default "free"
        "owner": {"email": "owner@example.com",
                  "token": {"name": "...", "secret": "ms_live_<40 base62>"}},   # token optional
        "members": [{"email": "...", "name": "...", "role": "viewer",
                     "token": {"name": "...", "secret": "ms_live_...", "scopes": ["read"]}}],
        "domains": [{"domain": "example.com", "description": "...", "dkimSelectors": ["selector1"],
                     "verified": true}],       # verified through the API's own check against
                                               # mocks/zones (the TXT must be published there)
        "reports": [{"file": "google.com!example.com!20260113.xml"},   # shipped in mocks/reports
                    {"xml": "<feedback>...</feedback>"}],            # or inline
        "webhooks": [{"url": "http://127.0.0.1:9000/hook",             # loopback receivers only
                      "events": ["report.received"],                   # optional, default all
                      "secret": "whsec_<base64 of 24-64 bytes>",       # optional, so tests know it
                      "description": "...", "enabled": true}],
        "alertRules": [{"name": "...", "type": "dns_error", "params": {"spfLookupThreshold": 8},
                        "domains": ["example.org"]}]     # besides the defaults every organization gets
      }]

A domain with `"scan": true` is scanned once (against mocks/zones) after the reports are
stored, so the scan rules have seen it.
    }

Everything is created through the services the API uses, so a seed that the API would
refuse (a bad domain name, an unknown role) is refused here too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel.accounts.principal import SCOPES, Principal, Role
from sentinel.accounts.tokens import TOKEN_PREFIX, parse_scopes
from sentinel.clock import SequentialIds
from sentinel.errors import ValidationError

if TYPE_CHECKING:
    from sentinel.app import Services

SEED_VERSION = 1
_SECRET = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9]{{20,120}}$")
_ORG_ID = re.compile(r"org_[A-Za-z0-9]{1,40}")
_REPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._!@-]{0,200}$")
REPORTS_DIR = Path(__file__).with_name("reports")


@dataclass(frozen=True)
class SeedToken:
    name: str
    secret: str
    scopes: tuple[str, ...] = SCOPES


@dataclass(frozen=True)
class SeedMember:
    email: str
    role: str
    name: str | None = None
    token: SeedToken | None = None


@dataclass(frozen=True)
class SeedOrganization:
    name: str
    plan: str
    owner: SeedMember
    # The organization's id when the seed names one (the default seed's is the docs' org_123).
    id: str | None = None
    members: tuple[SeedMember, ...] = ()
    domains: tuple[dict[str, Any], ...] = ()
    reports: tuple[dict[str, Any], ...] = ()
    webhooks: tuple[dict[str, Any], ...] = ()
    alert_rules: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Seed:
    source: str
    clock: datetime | None
    organizations: tuple[SeedOrganization, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SeededToken:
    """A well-known token the seed created, as `mailsentinel mock` prints it."""

    secret: str
    token_id: str
    user_id: str
    email: str
    organization_id: str
    role: str
    scopes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "token": self.secret,
            "tokenId": self.token_id,
            "userId": self.user_id,
            "email": self.email,
            "organizationId": self.organization_id,
            "role": self.role,
            "scopes": list(self.scopes),
        }


def _bad(where: str, message: str) -> ValidationError:
    return ValidationError.field(where, f"Seed {where}: {message}")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(where, "must be a JSON object.")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(where, "must be a JSON array.")
    return value


def _text(obj: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{where}.{key}", "must be a non-empty string.")
    return value


def _token(raw: Any, where: str) -> SeedToken | None:
    if raw is None:
        return None
    obj = _object(raw, where)
    secret = _text(obj, "secret", where) or ""
    if not _SECRET.match(secret):
        raise _bad(f"{where}.secret", f"must be '{TOKEN_PREFIX}' followed by 20 to 120 letters or digits.")
    scopes = parse_scopes(_list(obj.get("scopes"), f"{where}.scopes") or None).split(",")
    name = _text(obj, "name", where, required=False) or "mock token"
    return SeedToken(name=name, secret=secret, scopes=tuple(scopes))


def _member(raw: Any, where: str, role: str | None = None) -> SeedMember:
    obj = _object(raw, where)
    chosen = role or _text(obj, "role", where) or ""
    Role.parse(chosen, field_name=f"{where}.role")
    return SeedMember(
        email=_text(obj, "email", where) or "",
        role=chosen,
        name=_text(obj, "name", where, required=False),
        token=_token(obj.get("token"), f"{where}.token"),
    )


def parse_seed(document: Any, source: str = "inline") -> Seed:
    """Check a seed document's shape. Raises ValidationError naming the offending place."""
    doc = _object(document, "document")
    version = doc.get("version", SEED_VERSION)
    if version != SEED_VERSION:
        raise _bad("version", f"only version {SEED_VERSION} is understood.")
    clock = None
    if doc.get("clock") is not None:
        try:
            clock = datetime.fromisoformat(str(doc["clock"]).replace("Z", "+00:00"))
        except ValueError:
            raise _bad("clock", "must be an RFC 3339 time such as 2026-01-15T10:00:00Z.") from None
        clock = clock.replace(tzinfo=UTC) if clock.tzinfo is None else clock.astimezone(UTC)
    orgs: list[SeedOrganization] = []
    secrets: set[str] = set()
    for i, raw in enumerate(_list(doc.get("organizations"), "organizations")):
        where = f"organizations[{i}]"
        obj = _object(raw, where)
        owner = _member(obj.get("owner"), f"{where}.owner", role=Role.owner.name)
        members = tuple(_member(m, f"{where}.members[{j}]") for j, m in enumerate(_list(obj.get("members"), where)))
        for person in (owner, *members):
            if person.token and person.token.secret in secrets:
                raise _bad(f"{where}", f"token secret {person.token.secret[:12]}... is used twice.")
            if person.token:
                secrets.add(person.token.secret)
        org_id = _text(obj, "id", where, required=False)
        if org_id is not None and not _ORG_ID.fullmatch(org_id):
            raise _bad(f"{where}.id", "must be org_ followed by 1 to 40 letters or digits.")
        if org_id is not None and org_id in {o.id for o in orgs}:
            raise _bad(f"{where}.id", f"{org_id} is used twice.")
        orgs.append(
            SeedOrganization(
                id=org_id,
                name=_text(obj, "name", where) or "",
                plan=_text(obj, "plan", where, required=False) or "free",
                owner=owner,
                members=members,
                domains=tuple(
                    _object(d, f"{where}.domains[{j}]") for j, d in enumerate(_list(obj.get("domains"), where))
                ),
                reports=tuple(_list(obj.get("reports"), f"{where}.reports")),
                webhooks=tuple(
                    _object(w, f"{where}.webhooks[{j}]") for j, w in enumerate(_list(obj.get("webhooks"), where))
                ),
                alert_rules=tuple(
                    _object(r, f"{where}.alertRules[{j}]")
                    for j, r in enumerate(_list(obj.get("alertRules"), f"{where}.alertRules"))
                ),
            )
        )
    return Seed(source=source, clock=clock, organizations=tuple(orgs), raw=doc)


def load_seed(path: Path | str) -> Seed:
    """Read and check a seed file. Raises ValidationError (unreadable, not JSON, wrong shape)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError.field("seed", f"Cannot read the seed file {path}: {exc.strerror}.") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError.field("seed", f"The seed file {path} is not JSON: {exc}.") from None
    from mocks.ports import display_path

    return parse_seed(document, display_path(Path(path)))


def apply_seed(services: Services, seed: Seed) -> list[SeededToken]:
    """Create the seed's organizations, members, tokens and domains; returns the tokens.

    Raises ValidationError or Conflict when the services refuse part of the seed.
    """
    tokens: list[SeededToken] = []
    for org in seed.organizations:
        owner = org.owner
        if org.id is not None:
            if not isinstance(services.ids, SequentialIds):
                raise ValidationError("A seed can name organization ids only with the mock's identifiers.")
            services.ids.reserve("org", org.id)
        boot = services.organizations.bootstrap(
            owner.email,
            org.name,
            org.plan,
            token_secret=owner.token.secret if owner.token else None,
            token_name=owner.token.name if owner.token else "mock owner token",
        )
        # The owner acting through their seeded token, without marking it as used.
        principal = Principal(
            user_id=boot.user_id,
            token_id=boot.token_id,
            organization_id=boot.organization_id,
            scopes=frozenset(SCOPES),
            roles={boot.organization_id: Role.owner},
            plan=org.plan,
        )
        if owner.token:
            tokens.append(
                SeededToken(owner.token.secret, boot.token_id, boot.user_id, owner.email, boot.organization_id,
                            Role.owner.name, SCOPES)
            )
        for member in org.members:
            added = services.organizations.add_member(principal, boot.organization_id, member.email, member.role,
                                                      member.name)
            if member.token:
                tokens.append(_issue(services, member, added["member"]["userId"], boot.organization_id))
        names: dict[str, str] = {}
        for domain in org.domains:
            created = services.domains.create(
                principal, boot.organization_id, str(domain.get("domain", "")), domain.get("description"),
                domain.get("dkimSelectors"),
            )["domain"]
            names[created["domain"]] = created["id"]
            if domain.get("verified"):
                _verify(services, principal, created)
        # Before the reports, so seeded receivers get their report.received deliveries.
        for hook in org.webhooks:
            body: dict[str, Any] = {k: hook[k] for k in ("url", "description", "events", "enabled") if k in hook}
            services.webhooks.create(principal, boot.organization_id, body, secret=hook.get("secret"))
        _seed_rules(services, principal, org, names)
        _seed_reports(services, principal, org)
        for domain in org.domains:
            if domain.get("scan"):
                services.scans.scan(principal, names[str(domain["domain"]).lower()])
    return tokens


def _issue(services: Services, member: SeedMember, user_id: str, organization_id: str) -> SeededToken:
    assert member.token is not None
    with services.db.transaction() as session:
        token, secret = services.tokens.issue(
            session, user_id=user_id, organization_id=organization_id, name=member.token.name,
            scopes=",".join(member.token.scopes), secret=member.token.secret,
        )
        token_id = token.id
    return SeededToken(secret, token_id, user_id, member.email, organization_id, member.role, member.token.scopes)


def _verify(services: Services, principal: Principal, domain: dict[str, Any]) -> None:
    """Verify a seeded domain the way the API does; raises ValidationError when DNS disagrees."""
    outcome = services.scans.verify(principal, domain["id"])["verification"]
    if not outcome["verified"]:
        raise ValidationError.field(
            "verified", f"Seed domain {domain['domain']} cannot be verified: {outcome['message']}"
        )


def _seed_rules(services: Services, principal: Principal, org: SeedOrganization, names: dict[str, str]) -> None:
    """Create the seed's alert rules (besides the defaults), naming domains by name."""
    for index, raw in enumerate(org.alert_rules):
        where = f"alertRules[{index}]"
        body = {k: v for k, v in raw.items() if k != "domains"}
        if "domains" in raw:
            unknown = [d for d in _list(raw["domains"], f"{where}.domains") if d not in names]
            if unknown:
                raise _bad(f"{where}.domains", f"{unknown[0]!r} is not one of this organization's seeded domains.")
            body["domainIds"] = [names[d] for d in raw["domains"]]
        services.alerts.create_rule(principal, principal.organization_id, body)


def _seed_reports(services: Services, principal: Principal, org: SeedOrganization) -> None:
    """Store each seeded report through the reports service, as an upload would.

    An entry is {"file": NAME} (a report shipped in mocks/reports/; names only, so a seed
    posted to /_mock/seed cannot read other files) or {"xml": TEXT}. Raises ValidationError
    for a bad entry, and InvalidReport or ValidationError for a report the API would refuse.
    """
    for index, entry in enumerate(org.reports):
        where = f"reports[{index}]"
        item = _object(entry, where)
        if ("file" in item) == ("xml" in item):
            raise _bad(where, 'give either "file" (a name in mocks/reports) or "xml" (the report itself).')
        if "file" in item:
            name = str(item["file"])
            path = REPORTS_DIR / name
            if not _REPORT_NAME.match(name) or not path.is_file():
                known = ", ".join(sorted(p.name for p in REPORTS_DIR.iterdir()))
                raise _bad(where, f"no shipped report named {name!r}; known: {known}.")
            data = path.read_bytes()
        else:
            data = str(item["xml"]).encode("utf-8")
        services.reports.upload(principal, principal.organization_id, data)
