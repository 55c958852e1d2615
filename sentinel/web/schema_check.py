"""A fast yes for request bodies: a schema compiled to a plain function that says whether a
body is certainly valid, so the jsonschema validator runs only for the rest.

jsonschema walks a schema keyword by keyword, through generators, on every body (~25 us for
a token create). The request bodies of openapi.yaml use a small set of keywords; a schema
made of only those compiles to nested closures that apply each keyword as Draft 4 and
connexion's request validator do (`nullable`, type checks that never take a bool for a
number). The answer is only ever "certainly valid" or "not sure": anything unusual (an
unknown keyword, an enum or uniqueItems over values other than strings) is "not sure", and
jsonschema then decides and words the error, so answers and errors stay jsonschema's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]

# Annotations: no effect on validation (`components` is where connexion hangs the spec's).
_IGNORED = frozenset({"description", "example", "examples", "default", "title", "components", "nullable", "x-nullable"})
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    # Draft 4: an integer is an int (not a float with no fraction), and never a bool.
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class _Unsupported(Exception):
    """The schema uses something this module does not decide: jsonschema always runs."""


def compile_check(schema: Any, formats: FormatChecker) -> Check | None:
    """A function answering True only for instances `schema` certainly accepts; None when
    the schema uses anything not covered here."""
    try:
        return _compile(schema, formats)
    except _Unsupported:
        return None


def _compile(schema: Any, formats: FormatChecker) -> Check:
    if not isinstance(schema, dict):
        raise _Unsupported
    checks: list[Check] = []
    nullable = schema.get("x-nullable") is True or bool(schema.get("nullable"))
    for keyword, value in schema.items():
        if keyword in _IGNORED or (keyword.startswith("x-") and keyword != "x-nullable"):
            continue
        checks.append(_keyword(keyword, value, schema, nullable, formats))
    if not checks:
        return lambda instance: True
    if len(checks) == 1:
        return checks[0]
    return lambda instance: all(check(instance) for check in checks)


def _keyword(keyword: str, value: Any, schema: dict[str, Any], nullable: bool, formats: FormatChecker) -> Check:
    if keyword == "type":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
            raise _Unsupported
        tests = [_TYPES[n] for n in names]
        return lambda v: (v is None and nullable) or any(test(v) for test in tests)
    if keyword == "enum":
        if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
            raise _Unsupported
        allowed = frozenset(value)
        # A non-string instance is "not sure": jsonschema's equality has its own rules.
        return lambda v: (v is None and nullable) or (isinstance(v, str) and v in allowed)
    if keyword == "required":
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise _Unsupported
        names = tuple(value)
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)
    if keyword == "properties":
        if not isinstance(value, dict):
            raise _Unsupported
        subs = {name: _compile(sub, formats) for name, sub in value.items()}
        return lambda v: not isinstance(v, dict) or all(
            subs[name](item) for name, item in v.items() if name in subs
        )
    if keyword == "additionalProperties":
        if "patternProperties" in schema:
            raise _Unsupported
        known = frozenset(schema.get("properties", {}))
        if value is False:
            return lambda v: not isinstance(v, dict) or all(name in known for name in v)
        if value is True:
            return lambda v: True
        extra = _compile(value, formats)
        return lambda v: not isinstance(v, dict) or all(extra(item) for name, item in v.items() if name not in known)
    if keyword == "minProperties":
        bound = _count(value)
        return lambda v: not isinstance(v, dict) or len(v) >= bound
    if keyword in ("minLength", "maxLength"):
        bound = _count(value)
        if keyword == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= bound
        return lambda v: not isinstance(v, str) or len(v) <= bound
    if keyword == "pattern":
        if not isinstance(value, str):
            raise _Unsupported
        pattern = re.compile(value)  # jsonschema's own test: re.search
        return lambda v: not isinstance(v, str) or pattern.search(v) is not None
    if keyword == "format":
        if not isinstance(value, str):
            raise _Unsupported
        return lambda v: formats.conforms(v, value)
    if keyword in ("minimum", "maximum"):
        if "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
            raise _Unsupported
        if not _TYPES["number"](value):
            raise _Unsupported
        limit = value
        number = _TYPES["number"]
        if keyword == "minimum":
            return lambda v: not number(v) or v >= limit
        return lambda v: not number(v) or v <= limit
    if keyword in ("minItems", "maxItems"):
        bound = _count(value)
        if keyword == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= bound
        return lambda v: not isinstance(v, list) or len(v) <= bound
    if keyword == "uniqueItems":
        if value is not True:
            raise _Unsupported
        # Strings only: jsonschema's equality of other values (1 and True, 1 and 1.0) is its own.
        return lambda v: not isinstance(v, list) or (
            all(isinstance(item, str) for item in v) and len(set(v)) == len(v)
        )
    if keyword == "items":
        item_check = _compile(value, formats)  # a list of schemas (tuple validation) is unsupported
        return lambda v: not isinstance(v, list) or all(item_check(item) for item in v)
    raise _Unsupported


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Unsupported
    return value
