"""Deduplication under real concurrency: evaluations racing to open the same alert, each in
its own transaction on the real database, open exactly one (and write one event)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sentinel.alerts.lifecycle import AlertBook
from sentinel.alerts.rules import Finding, Outcome
from sentinel.store.models import Alert, AlertRule, Event
from tests.alerts.conftest import Stack

pytestmark = pytest.mark.db

RACERS = 8


def test_racing_evaluations_open_one_alert_and_one_event(stack: Stack) -> None:
    t = stack.tenant()
    dom = t.create_domain("race.example.com")
    db = stack.services.db
    with db.transaction() as session:
        rule = session.scalars(
            select(AlertRule).where(AlertRule.organization_id == t.org_id, AlertRule.type == "new_source")
        ).one()
    book = AlertBook(stack.services.ids, stack.services.clock)
    outcome = Outcome(fire=[Finding("203.0.113.9", "A new source", {"sourceIp": "203.0.113.9"})])
    barrier = threading.Barrier(RACERS)
    opened: list[int] = []
    errors: list[BaseException] = []

    def race() -> None:
        try:
            barrier.wait()
            with db.transaction() as session:
                opened.append(book.apply(session, rule, dom["id"], outcome, {}))
        except BaseException as exc:  # collected: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(opened) == [0] * (RACERS - 1) + [1]
    with db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(Alert).where(Alert.domain_id == dom["id"]))
        events = session.scalar(
            select(func.count()).select_from(Event).where(
                Event.organization_id == t.org_id, Event.type == "alert.triggered"
            )
        )
    assert count == 1 and events == 1

    # Once resolved, the same condition opens a new alert.
    [alert] = t.data(t.get(f"/api/organizations/{t.org_id}/alerts"))["alerts"]
    t.data(t.post(f"/api/alerts/{alert['id']}/resolve"))
    stack.clock.advance(timedelta(minutes=1))
    with db.transaction() as session:
        assert book.apply(session, rule, dom["id"], outcome, {}) == 1
    assert [a["status"] for a in t.data(t.get(f"/api/organizations/{t.org_id}/alerts"))["alerts"]] == [
        "open",
        "resolved",
    ]


def test_racing_resolutions_write_one_event(stack: Stack) -> None:
    t = stack.tenant()
    dom = t.create_domain("race.example.com")
    db = stack.services.db
    with db.transaction() as session:
        rule = session.scalars(
            select(AlertRule).where(AlertRule.organization_id == t.org_id, AlertRule.type == "new_source")
        ).one()
    book = AlertBook(stack.services.ids, stack.services.clock)
    with db.transaction() as session:
        book.apply(session, rule, dom["id"], Outcome(fire=[Finding("x", "m", {})]), {})
    [alert] = t.data(t.get(f"/api/organizations/{t.org_id}/alerts"))["alerts"]
    barrier = threading.Barrier(RACERS)
    answers: list[int] = []

    def resolve() -> None:
        barrier.wait()
        answers.append(t.post(f"/api/alerts/{alert['id']}/resolve").status_code)

    threads = [threading.Thread(target=resolve) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * RACERS
    assert len(stack.events(t.org_id, "alert.resolved")) == 1
