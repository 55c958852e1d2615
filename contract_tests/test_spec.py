"""The spec itself: valid OpenAPI 3.0.3, complete, and wired to real handlers."""

from __future__ import annotations

import importlib

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from sentinel.app import SPEC_PATH

SPEC, _ = read_from_filename(str(SPEC_PATH))
METHODS = {"get", "post", "put", "patch", "delete"}
OPERATIONS = [
    (path, method, op) for path, item in SPEC["paths"].items() for method, op in item.items() if method in METHODS
]


def test_spec_is_valid_openapi_3_0_3() -> None:
    assert SPEC["openapi"] == "3.0.3"
    validate(SPEC)


def test_no_jinja_markers() -> None:
    assert "{{" not in SPEC_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_operation_is_complete(path: str, method: str, op: dict) -> None:
    op_id = op["operationId"]
    module = importlib.import_module(op["x-openapi-router-controller"])
    assert callable(getattr(module, op_id)), f"{op_id} has no handler"
    assert op_id == op_id.lower() and " " not in op_id
    success = [code for code in op["responses"] if code.startswith("2")]
    assert success, "no success response"
    for code in success:
        content = op["responses"][code].get("content", {})
        assert any("example" in media or "examples" in media for media in content.values()), f"{code} lacks an example"
    if "requestBody" in op:
        media = op["requestBody"]["content"]
        assert any("example" in m or "examples" in m for m in media.values()), "request body lacks an example"
    if path.startswith("/api/"):
        assert op["responses"]["429"] == {"$ref": "#/components/responses/RateLimited"}
        assert op["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
        for code in success:
            headers = op["responses"][code]["headers"]
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id"} <= set(headers)


def test_operation_ids_are_unique() -> None:
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids))


def test_error_codes_match_the_error_tree() -> None:
    from sentinel.errors import ERROR_TYPES

    spec_codes = set(
        SPEC["components"]["schemas"]["ErrorResponse"]["properties"]["error"]["properties"]["code"]["enum"]
    )
    assert spec_codes == {cls.code for cls in ERROR_TYPES}


def test_create_operations_link_to_their_reads() -> None:
    links = {
        op["operationId"]: set(op["responses"].get("201", {}).get("links", {}))
        for _, _, op in OPERATIONS
        if "201" in op["responses"]
    }
    assert "GetOrganization" in links["create_organization"]
    assert "GetDomain" in links["create_domain"]
    assert "GetToken" in links["create_token"]
    assert "GetMember" in links["add_member"]


def _examples() -> list[tuple[str, dict, object]]:
    found = []
    for path, method, op in OPERATIONS:
        for code, response in op["responses"].items():
            if "$ref" in response:
                response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            for media in response.get("content", {}).values():
                if "example" in media:
                    found.append((f"{method.upper()} {path} {code}", media["schema"], media["example"]))
        for media in op.get("requestBody", {}).get("content", {}).values():
            if "example" in media:
                found.append((f"{method.upper()} {path} request", media["schema"], media["example"]))
    return found


EXAMPLES = _examples()


@pytest.mark.parametrize(("where", "schema", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_examples_match_their_schemas(where: str, schema: dict, example: object) -> None:
    """Examples are what the mock returns for `Prefer: example=` and what SDK authors copy."""
    from openapi_schema_validator import OAS30Validator

    wrapper = {**schema, "components": SPEC["components"]}
    errors = sorted(OAS30Validator(wrapper).iter_errors(example), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


# Redocly's recommended rules that once warned here: info-license-url, operation-4xx-response,
# no-unused-components.


def test_license_has_a_url() -> None:
    assert SPEC["info"]["license"]["url"].startswith("https://")


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_operation_documents_a_client_error(path: str, method: str, op: dict) -> None:
    assert any(code.startswith("4") for code in op["responses"]), "no 4xx response"


def test_every_component_is_used() -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")
    unused = [
        f"{kind}/{name}"
        for kind, items in SPEC["components"].items()
        if kind != "securitySchemes"
        for name in items
        if f"#/components/{kind}/{name}\"" not in text and f"#/components/{kind}/{name}'" not in text
    ]
    assert not unused, unused
