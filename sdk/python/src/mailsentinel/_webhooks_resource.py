"""`client.webhooks.verify(...)`: webhook verification on the client, beside the generated
webhook operations (it needs nothing from the server)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

from . import webhooks as _webhooks
from ._base_client import AsyncResource, BaseClient, SyncResource
from ._errors import WebhookVerificationError

__all__ = ["AsyncWebhooksMixin", "WebhooksMixin"]


def _verify(
    client: BaseClient,
    payload: Union[bytes, str],
    headers: Mapping[str, str],
    secret: Union[str, Sequence[str], None],
    tolerance: float,
) -> dict[str, Any]:
    secret = secret if secret is not None else client.webhook_secret
    if secret is None:
        raise WebhookVerificationError("No webhook secret: pass secret=... or webhook_secret= to the client.")
    return _webhooks.verify(payload, headers, secret, tolerance=tolerance)


class WebhooksMixin(SyncResource):
    def verify(
        self,
        payload: Union[bytes, str],
        headers: Mapping[str, str],
        secret: Union[str, Sequence[str], None] = None,
        *,
        tolerance: float = _webhooks.DEFAULT_TOLERANCE,
    ) -> dict[str, Any]:
        """Check a delivery's Standard Webhooks signature and return its parsed event.

        `secret` defaults to the client's `webhook_secret`. Raises WebhookVerificationError.
        """
        return _verify(self._client, payload, headers, secret, tolerance)


class AsyncWebhooksMixin(AsyncResource):
    def verify(
        self,
        payload: Union[bytes, str],
        headers: Mapping[str, str],
        secret: Union[str, Sequence[str], None] = None,
        *,
        tolerance: float = _webhooks.DEFAULT_TOLERANCE,
    ) -> dict[str, Any]:
        """Check a delivery's Standard Webhooks signature and return its parsed event (no I/O, so not async).

        `secret` defaults to the client's `webhook_secret`. Raises WebhookVerificationError.
        """
        return _verify(self._client, payload, headers, secret, tolerance)
