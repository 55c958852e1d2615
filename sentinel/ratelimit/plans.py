"""Plan limits: the one place where each plan's numbers live. Pure logic.

Operators and tests change them with ``MAILSENTINEL_RATE_LIMITS`` entries such as
``free=600/10000`` (per minute / per day); a per-day value of ``0``, ``-`` or
``unlimited`` means no daily cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute

from sentinel.accounts.principal import PLANS
from sentinel.errors import ValidationError

# The plan whose limits apply when an organization's plan is not one this build knows.
FALLBACK_PLAN = "free"
_NO_CAP = {"0", "-", "none", "unlimited"}


@dataclass(frozen=True)
class PlanLimits:
    """Requests an organization on a plan may make per minute and per day (None: no cap)."""

    per_minute: int
    per_day: int | None

    def windows(self) -> tuple[RateLimitItem, ...]:
        """The plan's windows, shortest first (the order they are charged in)."""
        minute: tuple[RateLimitItem, ...] = (RateLimitItemPerMinute(self.per_minute),)
        return minute + ((RateLimitItemPerDay(self.per_day),) if self.per_day else ())


DEFAULT_PLANS: Mapping[str, PlanLimits] = {
    "free": PlanLimits(per_minute=60, per_day=1_000),
    "pro": PlanLimits(per_minute=300, per_day=10_000),
    "enterprise": PlanLimits(per_minute=1_000, per_day=None),
}


def _count(text: str, entry: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValidationError(f"Rate limit '{entry}': '{text}' is not a whole number.") from None
    if value < 1:
        raise ValidationError(f"Rate limit '{entry}': limits must be at least 1.")
    return value


def parse_override(entry: str) -> tuple[str, PlanLimits]:
    """Parse one ``plan=per_minute/per_day`` entry.

    Raises ValidationError for an unknown plan or a value that is not a positive whole number.
    """
    plan, sep, numbers = entry.partition("=")
    plan = plan.strip().lower()
    if not sep or plan not in PLANS:
        raise ValidationError(f"Rate limit '{entry}': expected plan=per_minute/per_day with a plan of {PLANS}.")
    minute_text, _, day_text = numbers.strip().partition("/")
    day_text = day_text.strip().lower()
    per_day = None if not day_text or day_text in _NO_CAP else _count(day_text, entry)
    return plan, PlanLimits(_count(minute_text.strip(), entry), per_day)


def plan_limits(overrides: Iterable[str] = ()) -> dict[str, PlanLimits]:
    """The default plans with ``overrides`` applied (later entries win). Raises ValidationError."""
    plans = dict(DEFAULT_PLANS)
    plans.update(parse_override(entry) for entry in overrides)
    return plans
