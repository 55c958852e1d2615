"""API tokens: issuing, authenticating, listing, revoking and rotating.

Only a SHA-256 hash of each secret is stored; the secret is shown once.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from sentinel.accounts.principal import SCOPES, Principal, Role
from sentinel.accounts.views import token_view
from sentinel.clock import Clock, IdGenerator, isoformat
from sentinel.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from sentinel.pagination import PageRequest, page_meta, paginate
from sentinel.store.db import Database
from sentinel.store.models import ApiToken, CacheGeneration, Membership, Organization
from sentinel.store.prepared import Prepared

TOKEN_PREFIX = "ms_live_"
SECRET_LENGTH = 40
MAX_TOKEN_LENGTH = 200
# Writing last-used time on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


# Built once: authentication runs on every request, and a prebuilt statement skips
# constructing and cache-keying the query each time. Plain columns on a plain connection:
# no ORM objects or session on the request path.
_TOKEN_BY_DIGEST = (
    select(
        ApiToken.id,
        ApiToken.user_id,
        ApiToken.organization_id,
        ApiToken.secret_hash,
        ApiToken.scopes,
        ApiToken.last_used_at,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        Organization.plan,
    )
    .join(Organization, Organization.id == ApiToken.organization_id)
    .where(ApiToken.secret_hash == bindparam("digest"))
)
_ROLES_OF_USER = select(Membership.organization_id, Membership.role).where(Membership.user_id == bindparam("user_id"))
_TOUCH = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now"))
PRINCIPALS = "principals"
# Plain SQL, run on a DBAPI connection on every request (Database.read_value).
_GENERATION_SQL = f"SELECT value FROM {CacheGeneration.__tablename__} WHERE name = '{PRINCIPALS}'"
_BUMP = update(CacheGeneration).where(CacheGeneration.name == PRINCIPALS).values(value=CacheGeneration.value + 1)

# The create's statements, compiled once, run on a DBAPI cursor: no ORM unit of work.
_LOCK_ORGANIZATION = Prepared(
    select(Organization.id).where(Organization.id == bindparam("organization_id")).with_for_update()
)
_NEW_TOKEN_COLUMNS = (
    "id", "user_id", "organization_id", "name", "secret_hash", "secret_hint", "scopes", "created_at", "expires_at"
)
# The membership check rides on the insert: a caller who is not (or no longer) a member of
# the organization inserts no row (rowcount 0).
_INSERT_IF_MEMBER = Prepared(
    insert(ApiToken).from_select(
        _NEW_TOKEN_COLUMNS,
        select(
            *(type_coerce(bindparam(name), ApiToken.__table__.c[name].type) for name in _NEW_TOKEN_COLUMNS)
        ).where(
            exists().where(
                Membership.organization_id == bindparam("organization_id"), Membership.user_id == bindparam("user_id")
            )
        ),
    )
)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _hint(secret: str) -> str:
    return f"{TOKEN_PREFIX}...{secret[-4:]}"


def parse_scopes(scopes: list[str] | None) -> str:
    """Validate requested scopes; both by default. Raises ValidationError."""
    if scopes is None:
        return ",".join(SCOPES)
    chosen = []
    for scope in scopes:
        if scope not in SCOPES:
            raise ValidationError.field("scopes", f"Unknown scope '{scope}': use 'read' and/or 'write'.")
        if scope not in chosen:
            chosen.append(scope)
    if not chosen:
        raise ValidationError.field("scopes", "At least one scope is required.")
    return ",".join(s for s in SCOPES if s in chosen)


@dataclass(frozen=True, slots=True)
class _Inserted:
    """A token row as inserted (`_NEW_TOKEN_COLUMNS`), for its view without an ORM object."""

    id: str
    user_id: str
    organization_id: str
    name: str
    secret_hash: str
    secret_hint: str
    scopes: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: None = None
    revoked_at: None = None
    rotated_at: None = None


class PrincipalCache:
    """Authenticated principals by secret digest, exact across processes.

    Every change that can alter a principal (revocation, rotation, memberships, plan)
    bumps a generation counter (`TokenService.forget_principals`): in the database, in
    the change's own transaction, where every instance reads it on every request and
    drops its entries when it moved (`local=True`: a counter in this process, for a
    deployment that is one process, the mock). An entry is filled only under the
    generation read before its look-up, so a look-up that raced a change is never kept.
    An entry also lapses after LAST_USED_RESOLUTION, so the token's last-used time keeps
    being written.
    """

    def __init__(self, *, local: bool = False) -> None:
        self.local = local
        self._entries: dict[str, tuple[Principal, datetime | None, datetime]] = {}
        # The generation the entries were read under (None: nothing read yet).
        self._generation: int | None = 0 if local else None
        self._local_generation = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """This process's own counter (`local` caches)."""
        return self._local_generation

    def get(self, digest: str, now: datetime, generation: int) -> Principal | None:
        if generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    self._entries.clear()
                    self._generation = generation
            return None
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, expires_at, cached_at = entry
        if (expires_at is not None and expires_at <= now) or not cached_at <= now < cached_at + LAST_USED_RESOLUTION:
            self._entries.pop(digest, None)
            return None
        return principal

    def put(
        self, digest: str, principal: Principal, expires_at: datetime | None, now: datetime, generation: int
    ) -> None:
        with self._lock:
            if generation == self._generation:
                self._entries[digest] = (principal, expires_at, now)

    def forget(self) -> None:
        with self._lock:
            self._local_generation += 1
            if self.local:
                self._generation = self._local_generation
            self._entries.clear()


class _Flight:
    """One look-up of a digest in flight, read under `generation`, that concurrent callers
    reading the same generation wait for instead of querying again."""

    __slots__ = ("done", "error", "followers", "generation", "result")

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.done = threading.Event()
        self.result: tuple[Principal, datetime | None] | None = None
        self.error: Exception | None = None
        self.followers = 0


class TokenService:
    def __init__(self, db: Database, clock: Clock, ids: IdGenerator, cache: PrincipalCache | None = None) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.cache = cache
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()

    def forget_principals(self, session: Session) -> None:
        """Invalidate every process's cached principals: call inside the transaction that
        changes tokens, memberships or plans, so the change and the bump commit together."""
        session.execute(_BUMP)
        if self.cache is not None:
            self.cache.forget()

    def _generation(self) -> int | None:
        """The principals' generation now; None when nothing may be cached."""
        if self.cache is None:
            return None
        if self.cache.local:
            return self.cache.generation
        value = self.db.read_value(_GENERATION_SQL)
        return None if value is None else int(value)

    @staticmethod
    def _digest(secret: str | None) -> str:
        if not secret:
            raise Unauthorized()
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
            raise Unauthorized(f"Malformed API token: tokens start with '{TOKEN_PREFIX}'.")
        return hash_secret(secret)

    def cached(self, secret: str | None) -> Principal | None:
        """The cached principal for this secret, or None when it must be looked up (also
        for a malformed secret: `authenticate` gives that its error). One query: the generation."""
        if self.cache is None:
            return None
        try:
            digest = self._digest(secret)
        except Unauthorized:
            return None
        generation = self._generation()
        return None if generation is None else self.cache.get(digest, self.clock.now(), generation)

    def _new_row(
        self,
        *,
        user_id: str,
        organization_id: str,
        name: str,
        scopes: str,
        expires_at: datetime | None,
        secret: str | None,
    ) -> tuple[dict[str, Any], str]:
        """The columns of a new token (`_NEW_TOKEN_COLUMNS`) and its secret."""
        secret = secret or TOKEN_PREFIX + self.ids.secret(SECRET_LENGTH)
        row = {
            "id": self.ids.new("tok"),
            "user_id": user_id,
            "organization_id": organization_id,
            "name": name,
            "secret_hash": hash_secret(secret),
            "secret_hint": _hint(secret),
            "scopes": scopes,
            "created_at": self.clock.now(),
            "expires_at": expires_at,
        }
        return row, secret

    def issue(
        self,
        session: Session,
        *,
        user_id: str,
        organization_id: str,
        name: str,
        scopes: str,
        expires_at: datetime | None = None,
        secret: str | None = None,
    ) -> tuple[ApiToken, str]:
        """Create a token row inside the caller's transaction; returns it with its secret."""
        row, secret = self._new_row(
            user_id=user_id,
            organization_id=organization_id,
            name=name,
            scopes=scopes,
            expires_at=expires_at,
            secret=secret,
        )
        token = ApiToken(**row)
        session.add(token)
        return token, secret

    def authenticate(self, secret: str | None) -> Principal:
        """Resolve a bearer secret to a Principal.

        Raises Unauthorized when the secret is missing, malformed, unknown, revoked or expired.
        """
        digest = self._digest(secret)
        now = self.clock.now()
        # Read before the look-up: a change committing in between leaves this entry behind.
        generation = self._generation()
        if self.cache is None or generation is None:
            return self._look_up(digest, now)[0]
        cached = self.cache.get(digest, now, generation)
        if cached is not None:
            return cached
        return self._look_up_shared(self.cache, digest, now, generation)

    def _look_up_shared(self, cache: PrincipalCache, digest: str, now: datetime, generation: int) -> Principal:
        """The look-up of an uncached digest, run once for all the callers that ask at the same
        time under the same generation (a client's burst of requests as a token is first
        used, or after any change cleared the cache): one query instead of one per thread.

        Exact as the cache is: a caller joins only a look-up read under the generation it read
        itself, so nothing that could change the principal committed between the two reads."""
        with self._flights_lock:
            flight = self._flights.get(digest)
            if flight is not None and flight.generation == generation:
                flight.followers += 1
                lead = False
            else:
                # The leader stores its outcome in the cache before it leaves: look there again.
                cached = cache.get(digest, now, generation)
                if cached is not None:
                    return cached
                flight = self._flights[digest] = _Flight(generation)
                lead = True
        if not lead:
            flight.done.wait()
            if flight.error is not None:
                # A copy: one exception object raised in many threads would share its traceback.
                raise copy.copy(flight.error)
            assert flight.result is not None
            return flight.result[0]
        try:
            flight.result = self._look_up(digest, now)
            cache.put(digest, flight.result[0], flight.result[1], now, generation)
            return flight.result[0]
        except Exception as exc:
            flight.error = exc
            raise
        finally:
            with self._flights_lock:
                if self._flights.get(digest) is flight:
                    del self._flights[digest]
            flight.done.set()

    def _look_up(self, digest: str, now: datetime) -> tuple[Principal, datetime | None]:
        with self.db.reading() as connection:
            # The plan comes with the token in one query: rate limiting needs it on every request.
            token = connection.execute(_TOKEN_BY_DIGEST, {"digest": digest}).first()
            # Compare digests in constant time even though the lookup was by digest.
            if token is None or not hmac.compare_digest(token.secret_hash, digest):
                raise Unauthorized("Invalid API token.")
            if token.revoked_at is not None:
                raise Unauthorized("This API token has been revoked.")
            if token.expires_at is not None and token.expires_at <= now:
                raise Unauthorized(f"This API token expired at {isoformat(token.expires_at)}.")
            rows = connection.execute(_ROLES_OF_USER, {"user_id": token.user_id}).all()
            if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
                # The one write, at most once a minute per token (this connection is otherwise read-only).
                connection.execute(_TOUCH, {"token_id": token.id, "now": now})
                connection.commit()
        principal = Principal(
            user_id=token.user_id,
            token_id=token.id,
            organization_id=token.organization_id,
            scopes=frozenset(token.scopes.split(",")),
            roles={org_id: Role[role] for org_id, role in rows},
            plan=token.plan or "free",
        )
        return principal, token.expires_at

    def list_for_user(self, principal: Principal, page: PageRequest) -> dict[str, Any]:
        stmt = (
            select(ApiToken)
            .where(ApiToken.user_id == principal.user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
        now = self.clock.now()
        with self.db.transaction() as session:
            rows, total = paginate(session, stmt, page)
            return {
                "tokens": [token_view(row[0], now) for row in rows],
                "pagination": page_meta(page, total),
            }

    def create(
        self,
        principal: Principal,
        *,
        name: str,
        scopes: list[str] | None,
        expires_at: datetime | None,
        organization_id: str | None,
    ) -> dict[str, Any]:
        """Issue a token for the caller. Raises ValidationError, NotFound, Forbidden."""
        principal.require_write()
        name = name.strip()
        if not name:
            raise ValidationError.field("name", "Token name must not be blank.")
        scope_text = parse_scopes(scopes)
        if not set(scope_text.split(",")) <= principal.scopes:
            raise Forbidden("A token cannot grant scopes that the calling token does not have.")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise ValidationError.field("expiresAt", "expiresAt must be in the future.")
        org_id = organization_id or principal.organization_id
        principal.role_in(org_id)
        # Locked as membership changes are: a removal running now either sees this token
        # (and revokes it) or has already removed the membership (and this is NOT_FOUND).
        # On SQLite the write lock taken at BEGIN already excludes every other writer.
        dialect = self.db.engine.dialect
        with self.db.cursor_transaction(write_lock=True) as cursor:
            if dialect.name != "sqlite":
                # Its own statement: in READ COMMITTED the insert's snapshot then starts after
                # the lock is had, so it sees a removal that committed while this waited.
                _LOCK_ORGANIZATION.run(cursor, dialect, {"organization_id": org_id})
            row, secret = self._new_row(
                user_id=principal.user_id,
                organization_id=org_id,
                name=name,
                scopes=scope_text,
                expires_at=expires_at,
                secret=None,
            )
            if _INSERT_IF_MEMBER.run(cursor, dialect, row) != 1:
                raise NotFound(f"Organization '{org_id}' was not found.")
        return {"token": token_view(_Inserted(**row), now, secret)}

    def _own(self, session: Session, principal: Principal, token_id: str) -> ApiToken:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != principal.user_id:
            raise NotFound(f"Token '{token_id}' was not found.")
        return token

    def get(self, principal: Principal, token_id: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            return {"token": token_view(self._own(session, principal, token_id), self.clock.now())}

    def revoke(self, principal: Principal, token_id: str) -> dict[str, Any]:
        """Revoke one of the caller's tokens; revoking twice keeps the first time."""
        principal.require_write()
        now = self.clock.now()
        with self.db.transaction() as session:
            token = self._own(session, principal, token_id)
            if token.revoked_at is None:
                token.revoked_at = now
            view = {"token": token_view(token, now)}
            self.forget_principals(session)
        return view

    def rotate(self, principal: Principal, token_id: str) -> dict[str, Any]:
        """Replace a token's secret; the old secret stops working at once.

        Raises NotFound, Conflict (revoked or expired tokens cannot be rotated).
        """
        principal.require_write()
        now = self.clock.now()
        with self.db.transaction() as session:
            token = self._own(session, principal, token_id)
            if token.revoked_at is not None:
                raise Conflict("A revoked token cannot be rotated; create a new one.")
            if token.expires_at is not None and token.expires_at <= now:
                raise Conflict("An expired token cannot be rotated; create a new one.")
            secret = TOKEN_PREFIX + self.ids.secret(SECRET_LENGTH)
            token.secret_hash = hash_secret(secret)
            token.secret_hint = _hint(secret)
            token.rotated_at = now
            view = {"token": token_view(token, now, secret)}
            self.forget_principals(session)
        return view
