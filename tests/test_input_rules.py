"""The server's input rules are the spec's: what openapi.yaml allows is accepted, what it refuses
is refused, as an ECMA 262 engine (jsonschema_rs, as schemathesis and JavaScript read patterns)
and Python's (jsonschema, as connexion reads them) both see it."""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.accounts.organizations import clean_name, normalize_email
from sentinel.app import load_spec
from sentinel.dns.dkim import selector_problem
from sentinel.domains.service import clean_selectors
from sentinel.errors import ValidationError
from sentinel.web.api import day
from tests.support.api import Tenant, error_of

SPEC = load_spec()
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
PARAMETERS: dict[str, Any] = SPEC["components"]["parameters"]
EMAIL = SCHEMAS["MemberCreate"]["properties"]["email"]

# Characters where the engines, the rules and str.lower() tend to disagree.
TRICKY = (
    string.ascii_letters + string.digits
    + "._- \t\n\r\x00\x0b\x1c\x7f\x85\xa0\u1680\u2028\u3000\ufeff\u212aé@"
    + "\xad\u200b\u200d\u200e\u202e\u2060\u180e\u3164\ufe0f"
)


class Spec:
    """One schema as the two regex engines read it."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.ecma = jsonschema_rs.validator_for(schema, validate_formats=True)
        self.python = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())

    def allows(self, value: str) -> bool:
        ecma = self.ecma.is_valid(value)
        # connexion (Python) never refuses what the spec allows; it may let a trailing "\n"
        # past a "$", which the server then refuses itself.
        assert self.python.is_valid(value) or not ecma, f"connexion refuses {value!r}"
        return bool(ecma)


def accepts(rule: Any, value: str) -> bool:
    try:
        rule(value)
    except ValidationError:
        return False
    return True


SELECTOR = Spec(SCHEMAS["DkimSelectorName"])
selectors = st.one_of(
    st.from_regex(SCHEMAS["DkimSelectorName"]["pattern"]),
    st.text(TRICKY, max_size=70),
    st.lists(st.text("ab-_", min_size=0, max_size=66), min_size=1, max_size=4).map(".".join),
)


@settings(max_examples=400, deadline=None)
@given(selectors)
def test_the_server_takes_exactly_the_selectors_the_spec_allows(value: str) -> None:
    assert (selector_problem(value) is None) == SELECTOR.allows(value), value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a" * 64, "a label has at most 63"),
        (".".join(["a" * 60] * 4), "at most 200 are allowed"),
        ("google..s1", "empty label"),
        ("google.", "empty label"),
        ("", "it is empty"),
        ("goo gle", "it contains ' '"),
        ("google\n", "it contains '\\n'"),
        ("\u212a1", "it contains"),  # the Kelvin sign, which lower() turns into "k"
        ("-s1", "starts or ends with '-'"),
    ],
)
def test_a_refused_selector_is_told_the_true_reason(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match="is not a valid DKIM selector") as caught:
        clean_selectors([value])
    assert reason in caught.value.message
    assert not SELECTOR.allows(value)


def test_boundary_selectors_are_allowed_and_stored_lower_case() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 8])
    assert len(longest) == 200
    values = ["a" * 63, longest, "Google", "s_1", "x"]
    assert all(SELECTOR.allows(v) for v in values)
    assert clean_selectors([*values, "google"]) == ["a" * 63, longest, "google", "s_1", "x"]


NAME = Spec(SCHEMAS["DisplayName"])
TEXT = Spec(SCHEMAS["Text"])


@settings(max_examples=300, deadline=None)
@given(st.text(TRICKY, max_size=12))
def test_names_the_spec_allows_are_stored(value: str) -> None:
    # Both ways: the spec and the server agree on every name, invisible ones included
    # (NUL is refused before clean_name, by the request validation; see tests/web).
    if "\x00" not in value:
        assert NAME.allows(value) == accepts(lambda v: clean_name(v, "name"), value)
    if NAME.allows(value):
        assert "\x00" not in value
    if TEXT.allows(value):
        assert "\x00" not in value


EMAIL_SPEC = Spec(EMAIL)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.emails(), st.text(TRICKY, max_size=20), st.emails().map(lambda e: f"{e}\n")))
def test_the_server_takes_exactly_the_addresses_the_spec_allows(value: str) -> None:
    assert accepts(normalize_email, value) == EMAIL_SPEC.allows(value), value


DAY = Spec(PARAMETERS["From"]["schema"])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dates().map(date.isoformat),
        st.sampled_from(["0000-01-01", "20240101", "2024-W01-1", "2024-1-01", "2024-01-01\n", "2024-02-30"]),
        st.text("0123456789-W\n", max_size=11),
    )
)
def test_the_server_takes_exactly_the_days_the_spec_allows(value: str) -> None:
    assert accepts(lambda v: day("from", v), value) == DAY.allows(value), value


# Through the API, on SQLite and (in CI) PostgreSQL, which refuses NUL characters in text.

def test_selector_errors_over_http_name_the_reason(tenant: Tenant) -> None:
    domain = tenant.create_domain("selector-rules.example.com")
    r = tenant.patch(f"/api/domains/{domain['id']}", json={"dkimSelectors": ["ok", "a" * 64]})
    error = error_of(r, 400, "VALIDATION_ERROR")
    assert "a label has at most 63" in error["message"]
    assert error["details"][0]["field"] == "dkimSelectors"
    r = tenant.post(f"/api/organizations/{tenant.org_id}/domains",
                    json={"domain": "selector-rules2.example.com", "dkimSelectors": ["s1..x"]})
    assert "empty label" in error_of(r, 400, "VALIDATION_ERROR")["message"]
    r = tenant.patch(f"/api/domains/{domain['id']}", json={"dkimSelectors": ["A" * 63, "S_1.Google"]})
    assert tenant.data(r)["domain"]["dkimSelectors"] == ["a" * 63, "s_1.google"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/organizations", {"name": "x\x00y"}),
        ("post", "/api/tokens", {"name": "x\x00y"}),
        ("post", "/api/organizations/{org}/members", {"email": "nul@example.com", "role": "viewer", "name": "a\x00"}),
        ("post", "/api/organizations/{org}/domains", {"domain": "nul-text.example.com", "description": "a\x00b"}),
        ("post", "/api/organizations/{org}/members", {"email": "bo@example.com\n", "role": "viewer"}),
        ("post", "/api/tokens", {"name": "far", "expiresAt": "9999-12-31T23:59:59-01:00"}),
    ],
    ids=["org-name-nul", "token-name-nul", "member-name-nul", "description-nul", "email-newline", "expiry-9999"],
)
def test_text_the_spec_refuses_is_a_validation_error(tenant: Tenant, method: str, path: str, body: Any) -> None:
    r = getattr(tenant, method)(path.format(org=tenant.org_id), json=body)
    error_of(r, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "params",
    [{"q": "a\x00b"}, {"from": "20240101"}, {"to": "2024-W01-1"}, {"from": "0000-01-01"}],
    ids=["q-nul", "basic-date", "week-date", "year-zero"],
)
def test_query_values_the_spec_refuses_are_validation_errors(tenant: Tenant, params: dict[str, str]) -> None:
    domain = tenant.create_domain("query-rules.example.com")
    path = "/api/domains" if "q" in params else f"/api/domains/{domain['id']}/stats"
    error_of(tenant.get(path, params=params), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("name", ["\u200b", "\u200d\u2060", " \u00ad ", "\u3164", "\ufe0f\u200e"])
def test_invisible_names_are_refused_over_http(tenant: Tenant, name: str) -> None:
    err = error_of(tenant.post("/api/organizations", json={"name": name}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "name"
    token = tenant.post("/api/tokens", json={"name": name})
    assert error_of(token, 400, "VALIDATION_ERROR")["details"][0]["field"] == "name"
