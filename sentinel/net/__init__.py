"""The one outbound policy: which addresses a fetch may reach, and pinned connections.

``sentinel.net.policy`` (``AddressPolicy`` / ``is_allowed``) decides on one address, pure;
``sentinel.net.pinned`` (``pinned_request``) resolves, vets and connects for every fetch the
server makes (MTA-STS, BIMI, webhooks). Only the policy is re-exported here, so that
``sentinel.settings`` can validate the allow list without importing the HTTP stack.
"""

from __future__ import annotations

from sentinel.net.policy import AddressPolicy, Verdict, is_allowed, parse_networks

__all__ = ["AddressPolicy", "Verdict", "is_allowed", "parse_networks"]
