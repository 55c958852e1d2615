"""Request validation: parameter messages that name the parameter, and JSON bodies parsed safely.

Everything a client sends is checked here, before a handler or the database sees it:
JSON nesting, number sizes, strings (no NUL, which PostgreSQL refuses in text, and no
unpaired UTF-16 surrogate, which no encoder can write), and RFC 3339 date-times with
the same parser the handlers convert them with (sentinel.clock.parse_instant).
"""

from __future__ import annotations

import json
import math
import re
import typing as t
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, MultiPartFormDataValidator, ParameterValidator
from jsonschema import Draft4Validator, FormatChecker
from jsonschema import ValidationError as SchemaError
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartParser
from starlette.types import Scope

from sentinel.clock import parse_instant
from sentinel.dns.dkim import selector_problem
from sentinel.errors import ValidationError
from sentinel.web.schema_check import compile_check

# Deeper than any body the API defines, far shallower than Python's recursion limit.
MAX_JSON_DEPTH = 32
_MAX_INT = 2**63 - 1
_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")

# Draft 4's format checks, with date-time decided by the parser the handlers use.
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or parse_instant(value) is not None


FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = {**Draft4Validator.FORMAT_CHECKER.checkers, "date-time": (_date_time, ValueError)}


def unwritable(text: str) -> str | None:
    """Why `text` cannot be stored (a NUL, an unpaired surrogate), or None when it can."""
    found = _UNWRITABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain a NUL character"
    return "contains an unpaired UTF-16 surrogate, which is not a character"


class NamedParameterValidator(ParameterValidator):  # type: ignore[misc]
    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is not None and not (param.get("schema", {}).get("nullable") and value == "null"):
            for text in value if isinstance(value, list) else [value]:
                problem = unwritable(text) if isinstance(text, str) else None
                if problem:
                    return f"Invalid {parameter_type} parameter '{param['name']}': it {problem}."
            schema = param.get("schema", param)
            try:
                Draft4Validator(schema, format_checker=FORMAT_CHECKER).validate(value)
            except SchemaError as exc:
                return f"Invalid {parameter_type} parameter '{param['name']}': {exc.message}"
            return None
        return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)  # type: ignore[no-any-return]


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(number := int(text)) > _MAX_INT:
        raise ValueError("The JSON body holds an integer beyond 64 bits.")
    return number


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("The JSON body holds a number too large to represent.")
    return number


def _no_constant(text: str) -> None:
    raise ValueError(f"The JSON body holds {text}, which is not JSON.")


def parse_json(text: str) -> Any:
    """Parse a request body; raises ValidationError (naming the field when there is one)."""
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"The body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise ValidationError(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """Depth and strings, iteratively (a recursive walk is what deep nesting attacks)."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            problem = unwritable(item)
            if problem:
                field = path or "body"
                raise ValidationError.field(field, f"'{field}' {problem}.")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ValidationError(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.")
            if isinstance(item, list):
                stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(item))
                continue
            for key, v in item.items():
                field = f"{path}.{key}" if path else key
                problem = unwritable(key)
                if problem:
                    raise ValidationError.field(field, f"The key '{field}' {problem}.")
                stack.append((v, depth + 1, field))


class _BodyValidator:
    """jsonschema's validator for one body schema, behind a compiled check that lets most
    valid bodies through without it (sentinel/web/schema_check.py); every other body, and
    every error message, is jsonschema's."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator = Draft4RequestValidator(schema, format_checker=FORMAT_CHECKER)
        self._valid = compile_check(schema, FORMAT_CHECKER)

    def validate(self, instance: Any) -> None:
        """Raises jsonschema's ValidationError, as Validator.validate does."""
        if self._valid is None or not self._valid(instance):
            self._validator.validate(instance)


# A body schema's validator, built once: connexion makes a body validator for every request,
# and its `_validator` a new jsonschema Validator each time. Keyed by the schema dict (the
# spec's own, alive with its app) and kept with it, so a reused id is never mistaken for it;
# bounded, as every app built (tests build many) brings schemas of its own.
_BODY_VALIDATORS: dict[int, tuple[dict[str, Any], _BodyValidator]] = {}
_MAX_BODY_VALIDATORS = 512


def _body_validator(schema: dict[str, Any]) -> _BodyValidator:
    cached = _BODY_VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    if len(_BODY_VALIDATORS) >= _MAX_BODY_VALIDATORS:
        _BODY_VALIDATORS.clear()
    validator = _BodyValidator(schema)
    _BODY_VALIDATORS[id(schema)] = (schema, validator)
    return validator


class SafeJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """connexion's JSON body validator, parsing with parse_json and checking date-times our way;
    a refused DKIM selector is explained."""

    @property
    def _validator(self) -> _BodyValidator:
        return _body_validator(self._schema)

    def _validate(self, body: Any) -> dict[str, Any] | None:
        try:
            return super()._validate(body)  # type: ignore[no-any-return]
        except BadRequestProblem:
            # A refused DKIM selector gets its reason, not the pattern it failed.
            selectors = body.get("dkimSelectors") if isinstance(body, dict) else None
            for item in selectors if isinstance(selectors, list) else ():
                problem = selector_problem(item) if isinstance(item, str) else None
                if problem:
                    message = f"{item[:80]!r} is not a valid DKIM selector: {problem}."
                    raise ValidationError.field("dkimSelectors", message) from None
            raise

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except LookupError:
            raise BadRequestProblem(detail=f"Unknown charset '{self._encoding}' in Content-Type.") from None
        return parse_json(text) if text else None


class _ClosingMultiPartParser(MultiPartParser):
    async def parse(self) -> FormData:
        form = await super().parse()
        # The validator only looks at which parts are files; connexion never closes them.
        await form.close()
        return form


class ClosingMultiPartValidator(MultiPartFormDataValidator):  # type: ignore[misc]
    """connexion's multipart validator, without leaking a temporary file per uploaded part."""

    @property
    def _form_parser_cls(self) -> type[MultiPartParser]:
        return _ClosingMultiPartParser


# connexion's body validators, with the JSON and multipart ones replaced.
BODY_VALIDATORS = MediaTypeDict(
    {**VALIDATOR_MAP["body"], "*/*json": SafeJSONBodyValidator, "multipart/form-data": ClosingMultiPartValidator}
)
