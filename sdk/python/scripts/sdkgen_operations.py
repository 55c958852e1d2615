"""openapi.yaml's operations as the SDK sees them: resource and method from `x-sdk-method`,
arguments, what the answer unwraps to, and which methods are written by hand (MIXINS)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sdkgen_models import Models
from sdkgen_text import arg_name, first_line, pascal

METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Mixin:
    module: str
    methods: tuple[str, ...]
    sync: str
    async_: str
    sync_raw: str | None = None
    async_raw: str | None = None


# Methods written by hand: they take what no schema can describe (a file) or need no server.
MIXINS: dict[str, Mixin] = {
    "reports": Mixin(
        "_upload", ("upload",), "ReportsMixin", "AsyncReportsMixin", "ReportsWithRawResponseMixin",
        "AsyncReportsWithRawResponseMixin",
    ),
    "webhooks": Mixin("_webhooks_resource", ("verify",), "WebhooksMixin", "AsyncWebhooksMixin"),
}


@dataclass
class Param:
    name: str  # on the wire
    arg: str  # in Python
    location: str  # path, query, header, body
    type: str
    required: bool
    description: str


@dataclass
class Operation:
    operation_id: str
    resource: str
    method: str
    http_method: str
    path: str
    summary: str
    params: list[Param] = field(default_factory=list)
    returns: str = "None"
    unwrap: tuple[str, ...] | None = ("data",)
    items_key: str | None = None
    has_json_body: bool = False


class Api:
    """The operations of a spec, checked: each names a resource.method, once."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.models = Models(spec)
        self.models.generate_components()
        self.operations: list[Operation] = []
        for path, item in spec["paths"].items():
            for method in METHODS:
                if method in item:
                    self.operations.append(self.operation(path, method, item, item[method]))
        seen: dict[tuple[str, str], str] = {}
        for op in self.operations:
            key = (op.resource, op.method)
            if key in seen:
                raise SystemExit(f"x-sdk-method {op.resource}.{op.method} names both {seen[key]} and {op.operation_id}")
            seen[key] = op.operation_id

    def operation(self, path: str, method: str, item: dict[str, Any], op: dict[str, Any]) -> Operation:
        sdk = op.get("x-sdk-method")
        if not isinstance(sdk, str) or not re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", sdk):
            raise SystemExit(f"{op.get('operationId')}: x-sdk-method must be resource.method, got {sdk!r}")
        resource, name = sdk.split(".")
        result = Operation(op["operationId"], resource, name, method.upper(), path, first_line(op.get("summary")))
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
            p = self.models.resolve(raw)
            params[(p["name"], p["in"])] = p
        path_order = re.findall(r"{([^}]+)}", path)
        ordered = sorted(params.values(), key=lambda p: path_order.index(p["name"]) if p["in"] == "path" else 99)
        for p in ordered:
            if p["in"] == "cookie":
                continue
            hint = pascal(op["operationId"]) + pascal(p["name"])
            result.params.append(Param(
                p["name"], arg_name(p["name"]), p["in"], self.models.expr(p.get("schema", {}), hint, for_input=True),
                p["in"] == "path" or bool(p.get("required")), first_line(p.get("description")),
            ))
        body = op.get("requestBody")
        if body is not None and name not in MIXINS.get(resource, Mixin("", (), "", "")).methods:
            content = body.get("content", {})
            if list(content) != ["application/json"]:
                raise SystemExit(f"{op['operationId']}: a non-JSON body needs a hand-written method (MIXINS)")
            schema = self.models.flatten(content["application/json"]["schema"])
            required = set(schema.get("required", []))
            if not schema.get("properties"):
                # No fields to spread into arguments (oneOf, an array, a map): the body is one argument.
                hint = pascal(op["operationId"]) + "Body"
                result.params.append(Param(
                    "", "body", "body", self.models.expr(content["application/json"]["schema"], hint, for_input=True),
                    bool(body.get("required", True)), first_line(body.get("description")),
                ))
                result.has_json_body = True
            for prop, sub in schema.get("properties", {}).items():
                hint = pascal(op["operationId"]) + pascal(prop)
                result.params.append(Param(
                    prop, arg_name(prop), "body", self.models.expr(sub, hint, for_input=True),
                    prop in required and bool(body.get("required", True)),
                    first_line(self.models.resolve(sub).get("description")),
                ))
            result.has_json_body = True
        args = [p.arg for p in result.params]
        if len(set(args)) != len(args):
            raise SystemExit(f"{op['operationId']}: two parameters have the same Python name: {args}")
        self.response(result, op)
        return result

    def response(self, result: Operation, op: dict[str, Any]) -> None:
        codes = sorted(c for c in op.get("responses", {}) if str(c).startswith("2"))
        if not codes:
            raise SystemExit(f"{op['operationId']}: no 2xx response")
        response = self.models.resolve(op["responses"][codes[0]])
        media = response.get("content", {}).get("application/json")
        if media is None:
            result.returns, result.unwrap = "None", None
            return
        schema = media["schema"]
        hint = pascal(op["operationId"]) + "Response"
        flat = self.models.flatten(schema)
        props = flat.get("properties", {})
        if not ("success" in props and "data" in props):
            result.returns, result.unwrap = self.models.expr(schema, hint), ()
            return
        data_node = props["data"]
        data = self.models.flatten(data_node)
        data_props = data.get("properties", {})
        arrays = [
            k for k, v in data_props.items() if k != "pagination" and self.models.resolve(v).get("type") == "array"
        ]
        if "pagination" in data_props and len(data_props) == 2 and len(arrays) == 1:
            items = self.models.resolve(data_props[arrays[0]])["items"]
            result.items_key = arrays[0]
            result.returns = self.models.expr(items, hint + "Item")
            # The page's own model still exists (types.<Name>Data) for raw access.
            self.models.expr(data_node, self._data_hint(schema, hint))
            return
        data_type = self.models.expr(data_node, self._data_hint(schema, hint))
        key = next(iter(data_props), "")
        scalar = bool(key) and self.models.resolve(data_props[key]).get("type") in ("integer", "number", "boolean")
        # One object is unwrapped (`{"domain": {...}}` -> the domain); a lone count such as
        # `{"recovered": 3}` keeps its name.
        if len(data_props) == 1 and list(data_props) == list(data.get("required", [])) and not scalar:
            result.unwrap = ("data", key)
            result.returns = self.models.expr(data_props[key], hint + pascal(key))
        else:
            result.returns = data_type

    def _data_hint(self, schema: dict[str, Any], hint: str) -> str:
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[-1] + "Data"
        return hint + "Data"
