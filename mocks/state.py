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

from sqlalchemy import delete, select

from mocks.ports import DEFAULT_SEED, DEFAULT_START
from mocks.seed import Seed, SeededToken, apply_seed, load_seed
from sentinel.clock import ManualClock, SequentialIds, isoformat
from sentinel.errors import ValidationError
from sentinel.events import event_payload
from sentinel.store.models import Base, CacheGeneration, Event

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

    def _apply(self, seed: Seed) -> list[SeededToken]:
        self.seed = seed
        self._wipe()
        return apply_seed(self.services, seed)

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
        """Move the clock forward by `seconds` or to `instant`. Raises ValidationError."""
        clock = self.clock
        if instant is not None:
            clock.set(instant)
        elif seconds is not None:
            clock.advance(timedelta(seconds=seconds))
        return {"now": isoformat(clock.now())}

    def events(self, event_type: str | None = None, organization_id: str | None = None) -> list[dict[str, Any]]:
        """Events recorded in the outbox (webhook deliveries are recorded, never sent), oldest first."""
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
