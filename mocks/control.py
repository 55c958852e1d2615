"""Handlers of the /_mock controls (mocks/control.yaml): parse, call the mock state, present."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mocks.seed import parse_seed
from mocks.state import MockState
from sentinel.clock import parse_instant
from sentinel.errors import NotFound, ValidationError
from sentinel.web.api import ok, services


def _state() -> MockState:
    """The mock state; raises NotFound when the app was not composed in mock mode."""
    state = services().mock
    if state is None:
        raise NotFound("This server is not a mock.")
    return state


def get_state() -> Response:
    return ok(_state().describe())


def reset() -> Response:
    return ok(_state().reset())


def load_seed(body: dict[str, Any]) -> Response:
    return ok(_state().load(parse_seed(body, "inline")))


def get_clock() -> Response:
    return ok(_state().advance())


def move_clock(body: dict[str, Any]) -> Response:
    if ("advanceSeconds" in body) == ("set" in body):
        raise ValidationError("Send exactly one of advanceSeconds and set.")
    if "set" in body:
        try:
            instant = parse_instant(str(body["set"]))
        except ValueError as exc:
            raise ValidationError.field("set", f"'set' must be an RFC 3339 date-time: {exc}.") from None
        return ok(_state().advance(instant=instant))
    return ok(_state().advance(seconds=float(body["advanceSeconds"])))


def publish_zone(body: dict[str, Any]) -> Response:
    return ok(_state().publish_zone(str(body["zone"])))


def list_events(type_: str | None = None, organization_id: str | None = None) -> Response:
    # connexion's pythonic parameters hand the `type` query parameter over as `type_`.
    return ok({"events": _state().events(type_, organization_id)})
