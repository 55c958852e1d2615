"""Parameter validation messages that name the parameter at fault."""

from __future__ import annotations

from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, MultiPartFormDataValidator, ParameterValidator
from jsonschema import Draft4Validator
from jsonschema import ValidationError as SchemaError
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartParser

from sentinel.dns.dkim import selector_problem
from sentinel.errors import ValidationError


class NamedParameterValidator(ParameterValidator):  # type: ignore[misc]
    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is not None and not (param.get("schema", {}).get("nullable") and value == "null"):
            schema = param.get("schema", param)
            try:
                Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).validate(value)
            except SchemaError as exc:
                return f"Invalid {parameter_type} parameter '{param['name']}': {exc.message}"
            return None
        return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)  # type: ignore[no-any-return]


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


class ExplainingJSONValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """connexion's JSON body validator; a refused DKIM selector gets the reason, not the pattern."""

    def _validate(self, body: Any) -> dict[str, Any] | None:
        try:
            return super()._validate(body)  # type: ignore[no-any-return]
        except BadRequestProblem:
            selectors = body.get("dkimSelectors") if isinstance(body, dict) else None
            for item in selectors if isinstance(selectors, list) else ():
                problem = selector_problem(item) if isinstance(item, str) else None
                if problem:
                    message = f"{item[:80]!r} is not a valid DKIM selector: {problem}."
                    raise ValidationError.field("dkimSelectors", message) from None
            raise


# connexion's body validators, with the JSON and multipart ones replaced.
BODY_VALIDATORS = MediaTypeDict(
    {**VALIDATOR_MAP["body"], "*/*json": ExplainingJSONValidator, "multipart/form-data": ClosingMultiPartValidator}
)
