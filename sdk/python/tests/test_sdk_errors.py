"""API errors become one class per code, carrying status, code, message, details and request id."""

from __future__ import annotations

import httpx
import pytest
from sdk_testing import OWNER_TOKEN

import mailsentinel
from mailsentinel import MailSentinel
from mailsentinel._errors import ERRORS_BY_CODE, error_from_response

# Simulated answers and refusals only: the seed stays as it is, so no reset between tests.
pytestmark = pytest.mark.seed_unchanged

# Every code create_token documents, simulated by the mock's `Prefer: code=...`.
DOCUMENTED = {
    400: mailsentinel.ValidationError,
    401: mailsentinel.AuthenticationError,
    403: mailsentinel.PermissionDeniedError,
    404: mailsentinel.NotFoundError,
    408: mailsentinel.RequestTimeoutError,
    413: mailsentinel.PayloadTooLargeError,
    415: mailsentinel.UnsupportedMediaTypeError,
    429: mailsentinel.RateLimitError,
    500: mailsentinel.InternalServerError,
    503: mailsentinel.ServiceUnavailableError,
}


@pytest.mark.parametrize(("status", "cls"), DOCUMENTED.items())
def test_each_documented_answer_raises_its_class(client: MailSentinel, status: int, cls: type) -> None:
    with pytest.raises(cls) as caught:
        client.with_options(max_retries=0).tokens.create(name="x", extra_headers={"Prefer": f"code={status}"})
    error = caught.value
    assert isinstance(error, mailsentinel.APIError) and error.status == status
    assert ERRORS_BY_CODE[error.code] is cls
    assert error.message and error.request_id == error.response.headers["X-Request-Id"]
    assert f"{status} {error.code}: " in str(error)


def test_real_refusals(client: MailSentinel, viewer: MailSentinel, org_id: str, mock_url: str) -> None:
    with pytest.raises(mailsentinel.ValidationError) as invalid:
        client.domains.create(org_id, domain="co.uk")
    assert invalid.value.details == [{"field": "domain", "message": invalid.value.message}]
    with pytest.raises(mailsentinel.ConflictError):
        client.domains.create(org_id, domain="example.com")
    with pytest.raises(mailsentinel.PermissionDeniedError) as forbidden:
        viewer.domains.create(org_id, domain="example.info")
    assert "'read' scope" in forbidden.value.message
    with pytest.raises(mailsentinel.NotFoundError) as missing:
        client.domains.get("dom_nothere")
    assert missing.value.code == "NOT_FOUND" and missing.value.status == 404
    stranger = MailSentinel(api_key="ms_live_NoSuchTokenAnywhere000000000000", base_url=mock_url)
    with stranger, pytest.raises(mailsentinel.AuthenticationError):
        stranger.me.get()
    with pytest.raises(mailsentinel.ValidationError) as bad_query:
        client.domains.list(org_id, extra_query={"typo": "1"})  # unknown parameters are refused
    assert "typo" in bad_query.value.message


def test_answers_without_the_envelope_map_by_status() -> None:
    request = httpx.Request("GET", "https://api.mailsentinel.io/api/me")
    gateway = error_from_response(httpx.Response(502, text="<html>Bad Gateway</html>", request=request))
    assert isinstance(gateway, mailsentinel.InternalServerError) and gateway.code == "INTERNAL_ERROR"
    teapot = error_from_response(httpx.Response(418, json={"message": "short and stout"}, request=request))
    assert type(teapot) is mailsentinel.APIError and teapot.code == "HTTP_418" and teapot.message == "short and stout"
    newer = {"success": False, "error": {"code": "SOMETHING_NEW", "message": "m", "requestId": "req_1"}}
    unknown = error_from_response(httpx.Response(409, json=newer, request=request))
    assert isinstance(unknown, mailsentinel.ConflictError) and unknown.code == "SOMETHING_NEW"


def test_the_tree() -> None:
    assert issubclass(mailsentinel.APITimeoutError, mailsentinel.APIConnectionError)
    for cls in (mailsentinel.APIError, mailsentinel.APIConnectionError, mailsentinel.NotModified,
                mailsentinel.WebhookVerificationError):
        assert issubclass(cls, mailsentinel.MailSentinelError)
    assert all(issubclass(c, mailsentinel.APIError) for c in ERRORS_BY_CODE.values())
    assert OWNER_TOKEN.startswith("ms_live_")
