"""The one outbound policy: which addresses a fetch may reach, and pinned connections.

``AddressPolicy`` / ``is_allowed`` decide on one address (pure); ``pinned_request``
resolves, vets and connects for every fetch the server makes (MTA-STS, BIMI, webhooks).
"""

from __future__ import annotations

from sentinel.net.pinned import (
    OutboundError,
    PinnedBackend,
    PinnedResponse,
    Resolution,
    Resolver,
    pinned_request,
    resolve_vetted,
)
from sentinel.net.policy import AddressPolicy, Verdict, is_allowed, parse_networks

__all__ = [
    "AddressPolicy",
    "OutboundError",
    "PinnedBackend",
    "PinnedResponse",
    "Resolution",
    "Resolver",
    "Verdict",
    "is_allowed",
    "parse_networks",
    "pinned_request",
    "resolve_vetted",
]
