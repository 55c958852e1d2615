"""The compiled body check (sentinel/web/schema_check.py) only ever says "valid" where
jsonschema, with connexion's request validator and our formats, says so too."""

from __future__ import annotations

from typing import Any

import pytest
from connexion.json_schema import Draft4RequestValidator
from connexion.spec import Specification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel.app import load_spec
from sentinel.web.schema_check import compile_check
from sentinel.web.validation import FORMAT_CHECKER


def _json_bodies() -> list[tuple[str, dict[str, Any], Any]]:
    """(operationId, schema, example) of every JSON request body, as connexion sees them."""
    spec = Specification.load(load_spec())
    found = []
    for ops in spec["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            for content_type, content in op["requestBody"]["content"].items():
                if "json" in content_type:
                    found.append((op["operationId"], content["schema"], content.get("example")))
    return found


BODIES = _json_bodies()
IDS = [operation for operation, _, _ in BODIES]


def _valid(schema: dict[str, Any], instance: Any) -> bool:
    return bool(Draft4RequestValidator(schema, format_checker=FORMAT_CHECKER).is_valid(instance))


@pytest.mark.parametrize(("operation", "schema", "example"), BODIES, ids=IDS)
def test_every_json_body_schema_compiles_and_takes_its_example(operation: str, schema: Any, example: Any) -> None:
    check = compile_check(schema, FORMAT_CHECKER)
    assert check is not None, f"{operation}'s body schema uses a keyword schema_check does not cover"
    if example is not None:
        assert _valid(schema, example)
        assert check(example)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", " ", "read", "write", "x" * 101, "2027-01-01T00:00:00Z", "2027-13-01T00:00:00Z",
                       "example.com", "owner", "viewer", "pro", "https://hooks.example.com/x", "a\u200bb"])
    | st.text(max_size=12)
)


def _near(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances close to `schema`: its own property names and enum values, with any JSON."""
    names = sorted(schema.get("properties", {})) or ["name"]
    values = st.recursive(
        SCALARS,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(names), children, max_size=4),
        max_leaves=8,
    )
    return st.dictionaries(st.sampled_from([*names, "extra"]), values, max_size=len(names) + 1) | values


@pytest.mark.parametrize(("operation", "schema", "example"), BODIES, ids=IDS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_check_never_accepts_what_jsonschema_refuses(
    operation: str, schema: dict[str, Any], example: Any, data: st.DataObject
) -> None:
    check = compile_check(schema, FORMAT_CHECKER)
    assert check is not None
    instance = data.draw(_near(schema))
    if isinstance(example, dict) and data.draw(st.booleans()):
        instance = {**example, **instance} if isinstance(instance, dict) else example
    if check(instance):
        assert _valid(schema, instance), (operation, instance)


@pytest.mark.parametrize(
    ("schema", "instance", "certain"),
    [
        ({"type": "integer"}, True, False),  # a bool is no integer
        ({"type": "integer"}, 1.0, False),  # nor, in Draft 4, a float without a fraction
        ({"type": "number"}, False, False),
        ({"type": "integer"}, 3, True),
        ({"type": "string", "nullable": True}, None, True),
        ({"type": "string"}, None, False),
        ({"enum": ["a", "b"]}, "a", True),
        ({"enum": ["a", "b"], "nullable": True}, None, True),
        ({"type": "array", "uniqueItems": True}, ["a", "a"], False),
        ({"type": "array", "uniqueItems": True}, [1, True], False),  # not sure: jsonschema decides
        ({"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, False),
        ({"type": "object", "required": ["a"]}, {}, False),
        ({"type": "string", "format": "date-time"}, "2027-01-01T00:00:00Z", True),
        ({"type": "string", "format": "date-time"}, "2027-01-01", False),
        ({"type": "integer", "minimum": 1, "maximum": 3}, 4, False),
        ({"type": "string", "maxLength": 2}, "abc", False),
    ],
)
def test_keywords_as_jsonschema_reads_them(schema: dict[str, Any], instance: Any, certain: bool) -> None:
    check = compile_check(schema, FORMAT_CHECKER)
    assert check is not None
    assert check(instance) is certain
    if certain:
        assert _valid(schema, instance)


@pytest.mark.parametrize(
    "schema",
    [{"$ref": "#/components/schemas/X"}, {"oneOf": [{}]}, {"items": [{}]}, {"enum": [1, 2]},
     {"minimum": 1, "exclusiveMinimum": True}, {"patternProperties": {}, "additionalProperties": False}],
)
def test_what_it_does_not_cover_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_check(schema, FORMAT_CHECKER) is None
