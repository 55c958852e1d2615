"""The mock's own state: its seed, its clock and the recorded events; reset and reload.

Reset empties every table, restarts the deterministic IDs and the clock, and applies the
seed again through the services, so the same seed always yields the same IDs and answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dns.exception import DNSException
from sqlalchemy import delete, select

from mocks.ports import DEFAULT_SEED, DEFAULT_START, ZONES_DIR
from mocks.seed import Seed, SeededToken, apply_seed, load_seed
from sentinel.clock import ManualClock, SequentialIds, isoformat
from sentinel.dns.zones import ZoneClient, ZoneSet
from sentinel.errors import ValidationError
from sentinel.events import event_payload
from sentinel.events.delivery import DispatchJob
from sentinel.store.models import Base, CacheGeneration, Event
from sentinel.worker import Worker

if TYPE_CHECKING:
    from sentinel.app import Services
    from sentinel.settings import Settings


@dataclass
class MockState:
    services: Services
    seed: Seed
    tokens: list[SeededToken] = field(default_factory=list)
    # One reset or seed load at a time; requests keep flowing and see the old or new state.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, services: Services, settings: Settings) -> MockState:
        """Load the configured seed (default mocks/seed.json) and apply it. Raises ValidationError."""
        seed = load_seed(Path(settings.mock_seed) if settings.mock_seed else DEFAULT_SEED)
        state = cls(services, seed)
        state.tokens = state._apply(seed)
        return state

    @property
    def clock(self) -> ManualClock:
        clock = self.services.clock
        if not isinstance(clock, ManualClock):
            raise ValidationError("The mock's clock is not a ManualClock; it cannot be moved.")
        return clock

    def _wipe(self) -> None:
        with self.services.db.transaction() as session:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name != CacheGeneration.__tablename__:  # counters, not data: they only move on
                    session.execute(delete(table))
            self.services.tokens.forget_principals(session)
        storage = getattr(self.services.limiter, "storage", None)
        if storage is not None and hasattr(storage, "reset"):
            storage.reset()
        if isinstance(self.services.ids, SequentialIds):
            self.services.ids.reset()
        clock = self.services.clock
        if isinstance(clock, ManualClock):
            clock.set(self.seed.clock or DEFAULT_START)
        if isinstance(self.services.dns, ZoneClient):
            self.services.dns.zones = ZoneSet.from_directory(ZONES_DIR)

    def _apply(self, seed: Seed) -> list[SeededToken]:
        self.seed = seed
        self._wipe()
        tokens = apply_seed(self.services, seed)
        # The seed's events are dispatched before the state is handed out. The clock stands
        # still, so an endpoint created right after a reset would otherwise share their instant
        # and, dispatched later, receive them as if they had happened after its creation.
        dispatch = [job for job in self.services.jobs if job.name == DispatchJob.name]
        Worker(dispatch, self.services.clock).drain()
        return tokens

    def reset(self) -> dict[str, Any]:
        """Back to the current seed: same IDs, same clock, no trace of what happened since."""
        with self._lock:
            self.tokens = self._apply(self.seed)
        return self.describe()

    def load(self, seed: Seed) -> dict[str, Any]:
        """Replace the state by a new seed, which later resets return to.

        Raises ValidationError (or Conflict) when the services refuse the seed; the previous
        seed is then restored.
        """
        with self._lock:
            previous = self.seed
            try:
                self.tokens = self._apply(seed)
            except Exception:
                self.tokens = self._apply(previous)
                raise
        return self.describe()

    def advance(self, seconds: float | None = None, instant: datetime | None = None) -> dict[str, Any]:
        """Move the clock forward by `seconds` or to `instant` (neither: just the time), then
        run every job due at the new time, as a worker would, before answering: webhook
        deliveries and their retries go out, for real, to loopback receivers; scheduled rescans
        and the time-based alert rules run. Raises ValidationError."""
        clock = self.clock
        if instant is None and seconds is None:
            return {"now": isoformat(clock.now())}
        if instant is not None:
            clock.set(instant)
        elif seconds is not None:
            clock.advance(timedelta(seconds=seconds))
        with self._lock:
            jobs = Worker(self.services.jobs, clock).drain_by_job()
        return {"now": isoformat(clock.now()), "jobs": jobs, "jobsRun": sum(jobs.values())}

    def publish_zone(self, text: str) -> dict[str, Any]:
        """Answer DNS from this zone (replacing the shipped one of its origin) until the next reset,
        so a scan can see records change. Raises ValidationError for a malformed zone."""
        dns = self.services.dns
        if not isinstance(dns, ZoneClient):
            raise ValidationError("The mock's DNS is not answered from zone files.")
        try:
            zones, origin = dns.zones.replaced(text)
        except DNSException as exc:
            raise ValidationError.field("zone", f"The zone cannot be read: {exc}.") from None
        dns.zones = zones
        return {"origin": origin, "zones": zones.origins}

    def events(self, event_type: str | None = None, organization_id: str | None = None) -> list[dict[str, Any]]:
        """Events recorded in the outbox, oldest first (`deliveredAt`: when they were turned into
        deliveries to the subscribed endpoints)."""
        stmt = select(Event).order_by(Event.created_at, Event.id)
        if event_type:
            stmt = stmt.where(Event.type == event_type)
        if organization_id:
            stmt = stmt.where(Event.organization_id == organization_id)
        with self.services.db.transaction() as session:
            # The webhook payload, plus where it belongs and whether it went out.
            return [
                {**event_payload(e), "organizationId": e.organization_id, "deliveredAt": isoformat(e.delivered_at)}
                for e in session.scalars(stmt)
            ]

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "mock",
            "now": isoformat(self.services.clock.now()),
            "seed": self.seed.source,
            "tokens": [t.as_dict() for t in self.tokens],
        }
