"""Type expressions for openapi.yaml's schemas, and `types.py`: a TypedDict for every object
schema (inline ones named after where they sit), an alias for every other named schema."""

from __future__ import annotations

import keyword
import re
from typing import Any

from sdkgen_text import HEADER, first_line, pascal, py, quote_classes, split_expr, wrap


class Models:
    """Type expressions for schemas, collecting a TypedDict or alias for each named one."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.classes: dict[str, list[str]] = {}
        self.aliases: dict[str, tuple[str, set[str]]] = {}
        self.by_node: dict[int, str] = {}
        self.deps: set[str] = set()

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def flatten(self, node: dict[str, Any]) -> dict[str, Any]:
        """An object schema with allOf merged (properties and required of every part)."""
        node = self.resolve(node)
        if "allOf" not in node:
            return node
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            flat = self.flatten(part)
            merged["properties"].update(flat.get("properties", {}))
            merged["required"] += [r for r in flat.get("required", []) if r not in merged["required"]]
        for key in ("description", "nullable"):
            if key in node:
                merged[key] = node[key]
        return merged

    def generate_components(self) -> None:
        for name, schema in self.spec["components"]["schemas"].items():
            self.named(pascal(name) if name != pascal(name) and not name[:1].isupper() else name, schema)

    def named(self, name: str, schema: dict[str, Any]) -> str:
        """Register `schema` under `name` (a class for objects, else an alias); returns the name."""
        if id(schema) in self.by_node:
            return self.by_node[id(schema)]
        self.by_node[id(schema)] = name
        flat = self.flatten(schema)
        if self._is_object(flat):
            self._typed_dict(name, flat)
        else:
            saved, self.deps = self.deps, set()
            expr = self.expr(schema, name)
            self.aliases[name] = (expr, self.deps)
            self.deps = saved
        return name

    @staticmethod
    def _is_object(schema: dict[str, Any]) -> bool:
        return bool(schema.get("properties")) and schema.get("type", "object") == "object"

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.classes or candidate in self.aliases:
            candidate, n = f"{name}{n}", n + 1
        return candidate

    def expr(self, schema: dict[str, Any], hint: str, *, for_input: bool = False) -> str:
        """The Python type of a schema (inline objects become classes named from `hint`)."""
        if "$ref" in schema:
            target = str(schema["$ref"]).rsplit("/", 1)[-1]
            name = self.by_node.get(id(self.resolve(schema)), target)
            if for_input:
                return self.expr(self.resolve(schema), name, for_input=True)
            self.deps.add(name)
            return name
        nullable = bool(schema.get("nullable"))
        parts = schema.get("allOf", [])
        if len(parts) == 1 and not self.flatten(schema).get("properties"):
            # `allOf: [$ref]` only to add `nullable` (or a description): the referred type itself.
            base = self.expr(parts[0], hint, for_input=for_input)
        elif "allOf" in schema or self._is_object(schema):
            if for_input:
                base = "Mapping[str, Any]"
            elif id(schema) in self.by_node:
                base = self.by_node[id(schema)]
            else:
                base = self.named(self._unique(hint), schema)
            self.deps.add(base)
        elif "oneOf" in schema or "anyOf" in schema:
            options: list[dict[str, Any]] = schema.get("oneOf") or schema.get("anyOf") or []
            parts = [self.expr(o, f"{hint}{i}", for_input=for_input) for i, o in enumerate(options, 1)]
            base = f"Union[{', '.join(dict.fromkeys(parts))}]"
        else:
            base = self._scalar(schema, hint, for_input)
        return f"Optional[{base}]" if nullable and not base.startswith("Optional[") else base

    def _scalar(self, schema: dict[str, Any], hint: str, for_input: bool) -> str:
        kind = schema.get("type")
        if "enum" in schema and kind in ("string", "integer", None):
            values = [v for v in schema["enum"] if v is not None]
            literal = f"Literal[{', '.join(py(v) for v in values)}]"
            return f"Optional[{literal}]" if None in schema["enum"] else literal
        if kind == "array":
            item = self.expr(schema.get("items", {}), hint + "Item", for_input=for_input)
            return f"Sequence[{item}]" if for_input else f"list[{item}]"
        if kind == "object" or (kind is None and "additionalProperties" in schema):
            extra = schema.get("additionalProperties")
            value = self.expr(extra, hint + "Value", for_input=for_input) if isinstance(extra, dict) else "Any"
            return f"Mapping[str, {value}]" if for_input else f"dict[str, {value}]"
        if kind == "string":
            if for_input and schema.get("format") == "date-time":
                return "Union[str, datetime.datetime]"
            if for_input and schema.get("format") == "date":
                return "Union[str, datetime.date]"
            return "bytes" if schema.get("format") == "binary" else "str"
        return {"integer": "int", "number": "float", "boolean": "bool"}.get(kind or "", "Any")

    def _typed_dict(self, name: str, schema: dict[str, Any]) -> None:
        self.classes[name] = []  # reserve the name before nested classes take theirs
        required = set(schema.get("required", []))
        fields: list[tuple[str, str, bool, str]] = []
        for prop, sub in schema.get("properties", {}).items():
            saved, self.deps = self.deps, set()
            expr = self.expr(sub, name + pascal(prop))
            self.deps = saved
            # A field's own description (not that of the schema it refers to, said once there).
            fields.append((prop, expr, prop in required, first_line(sub.get("description"))))
        doc = first_line(schema.get("description")) or f"The `{name}` object."
        lines: list[str] = []
        req = [f for f in fields if f[2]]
        opt = [f for f in fields if not f[2]]
        functional = any(not f[0].isidentifier() or keyword.iskeyword(f[0]) for f in fields)
        if functional:
            # Keys that are no Python identifiers need the call form of TypedDict (no inheritance).
            if req and opt:
                raise SystemExit(f"{name}: required and optional keys that are not identifiers are not supported")
            lines.append(f'{name} = TypedDict("{name}", {{')
            for f in fields:
                lines += split_expr(f'"{f[0]}": ', quote_classes(f[1], self.classes), ",", "    ")
            lines.append("}" + (", total=False)" if opt else ")"))
            self.classes[name] = lines
            return
        if req and opt:
            lines.append(f"class _{name}Required(TypedDict):")
            lines += self._fields(req)
            lines += ["", ""]
            lines.append(f"class {name}(_{name}Required, total=False):")
        elif opt:
            lines.append(f"class {name}(TypedDict, total=False):")
        else:
            lines.append(f"class {name}(TypedDict):")
        if len(doc) <= 106:
            lines.append('    """' + doc + '"""')
        else:
            head, *rest = wrap(doc, "", 106)
            lines += ['    """' + head, *wrap(" ".join(rest), "    ", 110), '    """']
        lines.append("")
        lines += self._fields(opt if req and opt else fields)
        self.classes[name] = lines

    @staticmethod
    def _fields(fields: list[tuple[str, str, bool, str]]) -> list[str]:
        out = []
        for prop, expr, _, description in fields:
            if description:
                out += wrap(description, "    # ", 110)
            out += split_expr(f"{prop}: ", expr, "", "    ")
        return out

    def render(self) -> str:
        out = [HEADER, '"""Typed models of every schema in openapi.yaml: TypedDicts, so the JSON the API sends',
               "is what you get (a field the server adds later is simply one more key).", '"""', "",
               "from __future__ import annotations", "",
               "from typing import TYPING_NAMES", "",

               "__all__ = [", *[f'    "{n}",' for n in sorted({*self.classes, *self.aliases})], "]", ""]
        for lines in self.classes.values():
            out += ["", *lines, ""]
        out.append("")
        # Aliases are evaluated at import: each after those it names.
        done: set[str] = set()

        def emit(name: str) -> None:
            if name in done or name not in self.aliases:
                return
            done.add(name)
            expr, deps = self.aliases[name]
            for dep in sorted(deps):
                emit(dep)
            out.extend(split_expr(f"{name} = ", quote_classes(expr, self.classes), "", ""))

        for name in self.aliases:
            emit(name)
        text = "\n".join(out).rstrip() + "\n"
        body = text.split("__all__")[1]
        used = [n for n in ("Any", "Literal", "Optional", "TypedDict", "Union") if re.search(rf"\b{n}\b", body)]
        text = text.replace("TYPING_NAMES", ", ".join(used), 1)
        return re.sub(r"\n{4,}", "\n\n\n", text)
