"""Generate the SDK's models and resource methods from openapi.yaml (`make sdk`).

Every operation names its method with `x-sdk-method: <resource>.<method>`; this script writes

- `mailsentinel/types.py`: a TypedDict (or alias) for every schema, inline objects included;
- `mailsentinel/resources/<resource>.py`: the sync, async and raw-response classes of a resource;
- `mailsentinel/_resources.py`: the client bases that carry one property per resource;
- `mailsentinel/_operations.py`: operationId -> (resource, method, HTTP method, path).

Methods a hand-written mixin provides (MIXINS) are not generated; a resource with a mixin exists
even before the spec has operations for it (`webhooks.verify`). `--check` writes nothing and
exits 1 when a generated file differs from what is committed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sdkgen_* modules beside this script

from sdkgen_models import Models
from sdkgen_operations import MIXINS, Api, Mixin, Operation, Param
from sdkgen_text import (
    HEADER,
    arg_name,
    call_lines,
    import_line,
    import_list,
    pascal,
    py,
    qualify,
    split_expr,
    wrap,
)

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "src" / "mailsentinel"
SPEC = HERE.parents[2] / "openapi.yaml"
__all__ = ["MIXINS", "PACKAGE", "SPEC", "Generator", "Mixin", "Models", "Operation", "Param", "arg_name",
           "generated_files", "load_spec", "stale_files"]


class Generator(Api):
    """Renders the SDK's generated files from the checked operations."""


    def resources(self) -> dict[str, list[Operation]]:
        found: dict[str, list[Operation]] = {}
        for op in self.operations:
            found.setdefault(op.resource, []).append(op)
        for name in MIXINS:
            found.setdefault(name, [])
        return found

    def render_resource(self, resource: str, ops: list[Operation]) -> str:
        mixin = MIXINS.get(resource)
        handwritten = set(mixin.methods) if mixin else set()
        generated = [op for op in ops if op.method not in handwritten]
        cls = pascal(resource)
        type_names = sorted({n for op in generated for n in self._names_in(op)})
        base_imports = {"AsyncResource", "SyncResource"} if not mixin else set()
        if mixin and (mixin.sync_raw is None or mixin.async_raw is None):
            base_imports |= {"AsyncResource", "SyncResource"}
        if generated:
            base_imports |= {"RequestOptions", "path_param", "request_headers", "request_params"}
        base_imports = {b for b in base_imports if self._used(b, generated, mixin)}
        summary = ", ".join(op.method for op in ops) or "hand-written methods"
        lines = [HEADER, f'"""The `{resource}` resource: {summary}."""', "", "from __future__ import annotations", ""]
        stdlib: list[str] = []
        if any("datetime." in p.type for op in generated for p in op.params):
            stdlib.append("import datetime")
        typing_names = self._typing_names(generated)
        abc_names = {n for n in typing_names if n in ("Mapping", "Sequence")}
        typing_names -= abc_names
        if abc_names:
            stdlib.append(f"from collections.abc import {import_list(abc_names)}")
        if typing_names:
            stdlib.append(f"from typing import {import_list(typing_names)}")
        if stdlib:
            lines += [*stdlib, ""]
        local: dict[str, set[str]] = {}
        if mixin:
            local[".." + mixin.module] = {n for n in (mixin.async_, mixin.async_raw, mixin.sync, mixin.sync_raw) if n}
        if base_imports:
            local["..\x00_base_client"] = set(base_imports)
        if any(op.items_key for op in generated):
            local["..\x00_pagination"] = {"AsyncPage", "AsyncPaginator", "SyncPage"}
        if generated:
            local["..\x00_response"] = {"APIResponse"}
            types_imports = {"NOT_GIVEN", "Headers", "NotGiven", "Query", "Timeout"}
            if any(p.location == "query" for op in generated for p in op.params):
                types_imports.add("given_query")
            if any(op.has_json_body and any(p.name for p in op.params if p.location == "body") for op in generated):
                types_imports.add("given")
            if any(p.location == "body" and not p.name for op in generated for p in op.params):
                types_imports.add("wire_value")
            local["..\x00_types"] = types_imports
        if type_names:
            local[".."] = {"types"}
        for module in sorted(local, key=lambda m: m.replace("\x00", "").lower()):
            lines += import_line(module.replace(chr(0), ""), local[module])
        exported = sorted([f"Async{cls}", f"Async{cls}WithRawResponse", cls, f"{cls}WithRawResponse"])
        lines += ["", f"__all__ = [{', '.join(py(n) for n in exported)}]", ""]
        for op in generated:
            lines += ["", *self._options_function(op), ""]
        variants = [
            (cls, "sync", mixin.sync if mixin else "SyncResource"),
            (f"Async{cls}", "async", mixin.async_ if mixin else "AsyncResource"),
            (f"{cls}WithRawResponse", "sync_raw", (mixin.sync_raw or "SyncResource") if mixin else "SyncResource"),
            (f"Async{cls}WithRawResponse", "async_raw",
             (mixin.async_raw or "AsyncResource") if mixin else "AsyncResource"),
        ]
        for name, variant, base in variants:
            lines += ["", f"class {name}({base}):"]
            what = {"sync": "", "async": " (asyncio)", "sync_raw": " returning raw answers",
                    "async_raw": " returning raw answers (asyncio)"}[variant]
            lines.append(f'    """{pascal(resource)}{what}: see openapi.yaml."""')
            for op in generated:
                lines += ["", *self._method(op, variant)]
            lines.append("")
        return re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines).rstrip() + "\n")

    def _used(self, name: str, generated: list[Operation], mixin: Mixin | None) -> bool:
        if name == "SyncResource":
            return mixin is None or mixin.sync_raw is None
        if name == "AsyncResource":
            return mixin is None or mixin.async_raw is None
        if name == "path_param":
            return any(p.location == "path" for op in generated for p in op.params)
        return True

    def _names_in(self, op: Operation) -> set[str]:
        names = set(re.findall(r"\b[A-Z][A-Za-z0-9]*\b", op.returns))
        return {n for n in names if n in self.models.classes or n in self.models.aliases}

    def _typing_names(self, ops: list[Operation]) -> set[str]:
        names: set[str] = set()
        for op in ops:
            text = " ".join([op.returns, *(p.type for p in op.params)])
            names |= {n for n in ("Any", "Dict", "List", "Literal", "Mapping", "Optional", "Sequence", "Union")
                      if re.search(rf"\b{n}\[", text) or re.search(rf"\b{n}\b", text)}
            names |= {"Optional", "Union"}
            if op.items_key is None and op.unwrap is not None:
                names.add("cast")
        return names

    def _signature(self, op: Operation) -> list[str]:
        lines = ["        self,"]
        positional = [p for p in op.params if p.location == "path"]
        keyword_required = [p for p in op.params if p.location != "path" and p.required]
        optional = [p for p in op.params if p.location != "path" and not p.required]
        for p in positional:
            lines += split_expr(f"{p.arg}: ", p.type, ",", "        ")
        lines.append("        *,")
        for p in keyword_required:
            lines += split_expr(f"{p.arg}: ", p.type, ",", "        ")
        for p in optional:
            if p.location == "body":
                lines += split_expr(f"{p.arg}: ", f"Union[{p.type}, NotGiven]", " = NOT_GIVEN,", "        ")
            else:
                lines += split_expr(f"{p.arg}: ", f"Optional[{p.type}]", " = None,", "        ")
        lines += [
            "        extra_headers: Optional[Headers] = None,",
            "        extra_query: Optional[Query] = None,",
            "        timeout: Union[Timeout, NotGiven] = NOT_GIVEN,",
        ]
        return lines

    def _options_function(self, op: Operation) -> list[str]:
        args = [p.arg for p in op.params] + ["extra_headers", "extra_query", "timeout"]
        lines = [f"def _{op.operation_id}_options(", *[ln[4:] for ln in self._signature(op)[1:]]]
        lines = [ln for ln in lines]
        lines.append(") -> RequestOptions:")
        path = op.path
        for p in op.params:
            if p.location == "path":
                path = path.replace("{" + p.name + "}", "{path_param(" + p.arg + ")}")
        lines.append("    return RequestOptions(")
        lines.append(f'        method="{op.http_method}",')
        lines.append(f'        path={"f" if "{" in path else ""}"{path}",')
        query = [p for p in op.params if p.location == "query"]
        if query:
            lines.append("        params=request_params(")
            lines.append("            given_query({")
            lines += [f'                "{p.name}": {p.arg},' for p in query]
            lines.append("            }),")
            lines.append("            extra_query,")
            lines.append("        ),")
        else:
            lines.append("        params=request_params({}, extra_query),")
        headers = [p for p in op.params if p.location == "header"]
        if headers:
            lines.append("        headers=request_headers({")
            lines += [f'            "{p.name}": {p.arg},' for p in headers]
            lines.append("        }, extra_headers),")
        else:
            lines.append("        headers=request_headers({}, extra_headers),")
        body = [p for p in op.params if p.location == "body"]
        if op.has_json_body and len(body) == 1 and body[0].name == "":
            lines.append(f"        json=wire_value({body[0].arg}),")
        elif op.has_json_body:
            lines.append("        json=given({")
            lines += [f'            "{p.name}": {p.arg},' for p in body]
            lines.append("        }),")
        lines.append("        timeout=timeout,")
        lines.append(f"        unwrap={py(op.unwrap)},")
        lines.append("    )")
        del args
        return lines

    def _doc(self, op: Operation) -> list[str]:
        summary = op.summary or op.operation_id
        out = wrap(summary, "        ", 110)
        out[0] = '        """' + out[0].strip()
        out += ["", f"        `{op.http_method} {op.path}` (operationId `{op.operation_id}`)."]
        described = [p for p in op.params if p.description]
        if described:
            out += ["", "        Args:"]
            for p in described:
                out += wrap(f"{p.arg}: {p.description}", "            ", 110, hanging="    ")
        out.append('        """')
        return out

    def _method(self, op: Operation, variant: str) -> list[str]:
        is_async = variant.startswith("async")
        raw = variant.endswith("raw")
        page_cls = "AsyncPage" if is_async else "SyncPage"
        key = py(op.items_key or "")
        if op.items_key:
            if raw:
                returns = f"APIResponse[{page_cls}[{op.returns}]]"
                body = f"self._client._request_page_raw(options, {key})"
            elif is_async:
                returns, body = f"AsyncPaginator[{op.returns}]", f"AsyncPaginator(self._client, options, {key})"
            else:
                returns, body = f"SyncPage[{op.returns}]", f"self._client._request_page(options, {key})"
        elif raw:
            returns, body = f"APIResponse[{op.returns}]", "self._client._request_raw(options)"
        else:
            returns, body = op.returns, "self._client._request(options)"
        returns = qualify(returns, self.models.classes.keys() | self.models.aliases.keys())
        awaits = is_async and not (op.items_key and not raw)
        prefix = "async def" if awaits else "def"
        lines = [f"    {prefix} {op.method}(", *self._signature(op), f"    ) -> {returns}:", *self._doc(op)]
        lines += call_lines(f"options = _{op.operation_id}_options", self._call_args(op), "        ")
        expr = ("await " if awaits else "") + body
        if not raw and not op.items_key and op.unwrap is not None:
            lines.append(f"        return cast({returns}, {expr})")
        elif op.unwrap is None and not raw:
            lines.append(f"        {expr}")
        else:
            lines.append(f"        return {expr}")
        return lines

    @staticmethod
    def _call_args(op: Operation) -> list[str]:
        args = [p.arg for p in op.params if p.location == "path"]
        args += [f"{p.arg}={p.arg}" for p in op.params if p.location != "path"]
        return [*args, "extra_headers=extra_headers", "extra_query=extra_query", "timeout=timeout"]

    def render_client_bases(self, resources: dict[str, list[Operation]]) -> str:
        doc = '"""The clients\' resource properties, one per resource of openapi.yaml\'s x-sdk-method values."""'
        lines = [HEADER, doc,
                 "", "from __future__ import annotations", "", "from functools import cached_property", "",
                 "from ._base_client import AsyncAPIClient, SyncAPIClient"]
        for resource in sorted(resources):
            cls = pascal(resource)
            names = [f"Async{cls}", f"Async{cls}WithRawResponse", cls, f"{cls}WithRawResponse"]
            lines += import_line(f".resources.{resource}", names)
        lines += ["", '__all__ = ["AsyncRawResources", "AsyncResources", "SyncRawResources", "SyncResources"]', ""]
        for name, base, variant in (
            ("SyncResources", "SyncAPIClient", ""),
            ("AsyncResources", "AsyncAPIClient", "Async"),
        ):
            lines += ["", f"class {name}({base}):", f'    """{base} with a property per resource."""']
            for resource, ops in resources.items():
                cls = variant + pascal(resource)
                methods = ", ".join(dict.fromkeys([op.method for op in ops] + list(
                    MIXINS[resource].methods if resource in MIXINS else ())))
                lines += ["", "    @cached_property", f"    def {resource}(self) -> {cls}:",
                          f'        """{methods}."""', f"        return {cls}(self)"]
            lines.append("")
        for name, base, variant in (
            ("SyncRawResources", "SyncAPIClient", ""),
            ("AsyncRawResources", "AsyncAPIClient", "Async"),
        ):
            doc = '    """`client.with_raw_response`: the same methods, returning APIResponse."""'
            lines += ["", f"class {name}:", doc, "",
                      f"    def __init__(self, client: {base}) -> None:", "        self._client = client"]
            for resource in resources:
                cls = f"{variant}{pascal(resource)}WithRawResponse"
                lines += ["", "    @cached_property", f"    def {resource}(self) -> {cls}:",
                          f"        return {cls}(self._client)"]
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def render_operations(self, resources: dict[str, list[Operation]]) -> str:
        lines = [HEADER, '"""Every operation of openapi.yaml and the SDK method that calls it."""', "",
                 "from __future__ import annotations", "",
                 "# operationId -> (resource, method, HTTP method, path)",
                 "OPERATIONS: dict[str, tuple[str, str, str, str]] = {"]
        for op in self.operations:
            entry = f'("{op.resource}", "{op.method}", "{op.http_method}", "{op.path}")'
            if len(f'    "{op.operation_id}": {entry},') <= 120:
                lines.append(f'    "{op.operation_id}": {entry},')
            else:
                lines += [f'    "{op.operation_id}": (', f"        {entry[1:-1]},", "    ),"]
        lines.append("}")
        spec_methods = {(op.resource, op.method) for op in self.operations}
        extras = sorted(f"{r}.{m}" for r, mixin in MIXINS.items() for m in mixin.methods if (r, m) not in spec_methods)
        lines += ["# Hand-written methods that call no operation.",
                  f"EXTRA_METHODS: frozenset[str] = frozenset({{{', '.join(py(e) for e in extras)}}})"]
        return "\n".join(lines) + "\n"

    def files(self) -> dict[Path, str]:
        resources = self.resources()
        out: dict[Path, str] = {}
        for resource, ops in resources.items():
            out[PACKAGE / "resources" / f"{resource}.py"] = self.render_resource(resource, ops)
        init = [HEADER, '"""The resource classes, one module per resource."""', ""]
        init += ["from __future__ import annotations", ""]
        names: list[str] = []
        for resource in sorted(resources):
            cls = pascal(resource)
            group = [f"Async{cls}", f"Async{cls}WithRawResponse", cls, f"{cls}WithRawResponse"]
            names += group
            init += import_line(f".{resource}", group)
        init += ["", "__all__ = [", *[f'    "{n}",' for n in sorted(names)], "]"]
        out[PACKAGE / "resources" / "__init__.py"] = "\n".join(init) + "\n"
        out[PACKAGE / "_resources.py"] = self.render_client_bases(resources)
        out[PACKAGE / "_operations.py"] = self.render_operations(resources)
        out[PACKAGE / "types.py"] = self.models.render()
        return out


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: 10x faster
    spec: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return spec


def generated_files(spec_path: Path = SPEC) -> dict[Path, str]:
    return Generator(load_spec(spec_path)).files()


def stale_files(files: dict[Path, str]) -> list[Path]:
    """Generated files that differ from the ones on disk, and resource modules no longer generated."""
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    for path in (PACKAGE / "resources").glob("*.py"):
        if path not in files:
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    files = generated_files()
    stale = stale_files(files)
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(PACKAGE.parent)}")
        return 1 if stale else 0
    for path in (PACKAGE / "resources").glob("*.py"):
        if path not in files:
            path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(PACKAGE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
