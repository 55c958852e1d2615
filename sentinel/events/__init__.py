"""Events and their delivery: the outbox, dispatch to endpoints, signing, attempts, retries.

``record_event`` (the outbox) is what every capability calls, inside its own transaction;
``sentinel.events.service`` is the webhooks API; ``sentinel.events.delivery`` holds the
jobs the worker runs (dispatch: events to deliveries; delivery: claimed attempts).
"""

from __future__ import annotations

from sentinel.events.outbox import EVENT_TYPES, TEST_EVENT, event_payload, record_event

__all__ = ["EVENT_TYPES", "TEST_EVENT", "event_payload", "record_event"]
