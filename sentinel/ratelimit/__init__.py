"""Rate limiting: plan limits per organization, failed-authentication limits per address.

Public surface: ``build_limiter(settings)`` and the ``Limiter`` protocol it satisfies,
``Decision``/``WindowState`` (what the web layer turns into headers), ``plan_limits``
and ``client_address``.
"""

from __future__ import annotations

from sentinel.ratelimit.addresses import client_address, parse_proxies
from sentinel.ratelimit.limiter import Limiter, RateLimiter, Unlimited, build_limiter, build_storage
from sentinel.ratelimit.plans import DEFAULT_PLANS, PlanLimits, plan_limits
from sentinel.ratelimit.windows import Decision, WindowState, nearest_exhaustion

__all__ = [
    "DEFAULT_PLANS",
    "Decision",
    "Limiter",
    "PlanLimits",
    "RateLimiter",
    "Unlimited",
    "WindowState",
    "build_limiter",
    "build_storage",
    "client_address",
    "nearest_exhaustion",
    "parse_proxies",
    "plan_limits",
]
