"""The event outbox: events are written in the same transaction as the change they report.

Payloads follow the webhook format: {"id", "event", "timestamp", "data"}.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sentinel.clock import Clock, IdGenerator, isoformat
from sentinel.store.models import Event

EVENT_TYPES = (
    "domain.verified",
    "domain.scan.completed",
    "alert.triggered",
    "alert.resolved",
    "report.received",
)


def record_event(
    session: Session, ids: IdGenerator, clock: Clock, organization_id: str, event_type: str, data: dict[str, Any]
) -> Event:
    """Add an event to the outbox inside the caller's transaction."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = Event(
        id=ids.new("evt"),
        organization_id=organization_id,
        type=event_type,
        data=data,
        created_at=clock.now(),
    )
    session.add(event)
    return event


def event_payload(event: Event) -> dict[str, Any]:
    return {"id": event.id, "event": event.type, "timestamp": isoformat(event.created_at), "data": event.data}
