"""Parameter validation messages that name the parameter at fault."""

from __future__ import annotations

from typing import Any

from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator
from jsonschema import ValidationError as SchemaError


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
