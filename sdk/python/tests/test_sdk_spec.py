"""The SDK is openapi.yaml, mechanically: the committed generated files are what the generator
writes now, every operation has its method (sync, async, raw) and no method outlives its
operation; the package runs on Python 3.9 and needs nothing of the server."""

from __future__ import annotations

import ast
import asyncio
import copy
import functools
import importlib.util
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomllib
from sdk_testing import ROOT

import mailsentinel
from mailsentinel import AsyncMailSentinel, MailSentinel
from mailsentinel._operations import EXTRA_METHODS, OPERATIONS

SDK = ROOT / "sdk" / "python"
SOURCES = sorted((SDK / "src" / "mailsentinel").rglob("*.py"))
TESTS = Path(__file__).resolve().parent
METHODS = ("get", "put", "post", "patch", "delete")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdk_generate", SDK / "scripts" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sdk_generate"] = module
    spec.loader.exec_module(module)
    return module


generate = _generator()


@functools.cache
def _loaded() -> dict[str, Any]:
    return generate.load_spec(ROOT / "openapi.yaml")


def _spec() -> dict[str, Any]:
    return copy.deepcopy(_loaded())


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [(path, m, item, op) for path, item in spec["paths"].items() for m, op in item.items() if m in METHODS]


def _public_methods(cls: type) -> set[str]:
    return {n for n, v in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


@pytest.fixture(scope="module")
def clients() -> Iterator[list[tuple[str, Any]]]:
    """Each kind of client once (making an httpx client costs a TLS context)."""
    sync = MailSentinel(api_key="ms_live_x", base_url="http://127.0.0.1:9")
    asynchronous = AsyncMailSentinel(api_key="ms_live_x", base_url="http://127.0.0.1:9")
    yield [("sync", sync), ("async", asynchronous), ("sync raw", sync.with_raw_response),
           ("async raw", asynchronous.with_raw_response)]
    sync.close()
    asyncio.run(asynchronous.close())


def test_generated_files_are_what_make_sdk_writes_from_the_spec() -> None:
    stale = generate.stale_files(generate.generated_files())
    assert not stale, f"run `make sdk`: stale {[str(p.relative_to(SDK)) for p in stale]}"


def test_every_operation_has_its_method_and_no_method_outlives_its_operation(clients: list[tuple[str, Any]]) -> None:
    spec = _spec()
    wanted = {op["operationId"]: tuple(op["x-sdk-method"].split(".")) for _, _, _, op in _operations(spec)}
    assert {k: v[:2] for k, v in OPERATIONS.items()} == wanted
    by_resource: dict[str, set[str]] = {}
    for resource, method in wanted.values():
        by_resource.setdefault(resource, set()).add(method)
    extras: dict[str, set[str]] = {}
    for name in EXTRA_METHODS:
        resource, method = name.split(".")
        extras.setdefault(resource, set()).add(method)
    for variant, client in clients:
        resources = {n for n in dir(type(client)) if not n.startswith("_") and n not in
                     {"with_raw_response", "with_options", "close", "default_headers"}}
        assert resources == set(by_resource) | set(extras), variant
        for resource in resources:
            methods = _public_methods(type(getattr(client, resource)))
            allowed = by_resource.get(resource, set()) | (set() if "raw" in variant else extras.get(resource, set()))
            assert methods == allowed, (variant, resource, methods ^ allowed)


def test_docstrings_come_from_the_summaries(clients: list[tuple[str, Any]]) -> None:
    for path, method, _, op in _operations(_spec()):
        resource, name = op["x-sdk-method"].split(".")
        for variant, client in clients:
            doc = inspect.getdoc(getattr(getattr(client, resource), name)) or ""
            assert doc.startswith(op["summary"].strip()), (variant, op["operationId"])
            assert f"`{method.upper()} {path}` (operationId `{op['operationId']}`)" in doc


def test_arguments_are_snake_case_and_optional_ones_keyword_only(clients: list[tuple[str, Any]]) -> None:
    spec = _spec()
    models = generate.Models(spec)
    client = clients[0][1]
    for path, _, item, op in _operations(spec):
        resource, name = op["x-sdk-method"].split(".")
        signature = inspect.signature(getattr(getattr(client, resource), name))
        params = list(signature.parameters.values())
        path_names = [generate.arg_name(n) for n in re.findall(r"{([^}]+)}", path)]
        assert [p.name for p in params[: len(path_names)]] == path_names
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[: len(path_names)])
        if name == "upload":
            continue  # hand-written: (org_id, file, *, content_type=...)
        rest = params[len(path_names):]
        assert all(p.kind is p.KEYWORD_ONLY for p in rest), op["operationId"]
        assert [p.name for p in rest][-3:] == ["extra_headers", "extra_query", "timeout"]
        for p in rest:
            if p.default is inspect.Parameter.empty:
                continue  # a required body field: keyword-only, no default
            assert p.default is None or p.default is mailsentinel.NOT_GIVEN
        names = {p.name for p in rest}
        for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
            param = models.resolve(raw)
            if param["in"] != "path":
                assert generate.arg_name(param["name"]) in names
    assert generate.arg_name("If-None-Match") == "if_none_match" and generate.arg_name("from") == "from_"
    assert generate.arg_name("dkimSelectors") == "dkim_selectors" and generate.arg_name("organizationId") == \
        "organization_id"


def test_a_new_operation_becomes_a_method_and_one_without_x_sdk_method_is_refused() -> None:
    spec = _spec()
    grown = copy.deepcopy(spec)
    template = grown["paths"]["/api/organizations/{orgId}/members"]["get"]
    grown["paths"]["/api/organizations/{orgId}/widgets"] = {
        "parameters": grown["paths"]["/api/organizations/{orgId}/members"]["parameters"],
        "get": {**copy.deepcopy(template), "operationId": "list_widgets", "x-sdk-method": "widgets.list",
                "summary": "An organization's widgets"},
    }
    grown["paths"]["/api/widgets/{widgetId}"] = {
        "parameters": [{"name": "widgetId", "in": "path", "required": True, "schema": {"type": "string"}}],
        "delete": {"operationId": "delete_widget", "x-sdk-method": "widgets.delete", "summary": "Delete",
                   "responses": {"204": {"description": "Gone."}}},
        "post": {"operationId": "test_widget", "x-sdk-method": "widgets.test", "summary": "Test",
                 "requestBody": {"content": {"application/json": {"schema": {"oneOf": [
                     {"type": "object", "properties": {"event": {"type": "string"}}}, {"type": "array"}]}}}},
                 "responses": {"202": {"description": "Sent.", "content": {"application/json": {"schema": {
                     "$ref": "#/components/schemas/DeletedEnvelope"}}}}}},
    }
    files = generate.Generator(grown).files()
    widgets = files[generate.PACKAGE / "resources" / "widgets.py"]
    compile(widgets, "widgets.py", "exec")
    assert "class Widgets(SyncResource):" in widgets and "    def list(\n" in widgets
    assert "(operationId `list_widgets`)" in widgets
    assert "    ) -> None:" in widgets and "        self._client._request(options)\n" in widgets  # 204
    assert "        body: Union[Mapping[str, Any], Sequence[Any]]," in widgets and "json=wire_value(body)" in widgets
    assert '"list_widgets": ("widgets", "list", "GET", "/api/organizations/{orgId}/widgets")' in files[
        generate.PACKAGE / "_operations.py"]
    broken = copy.deepcopy(spec)
    del broken["paths"]["/api/me"]["get"]["x-sdk-method"]
    with pytest.raises(SystemExit, match="get_me: x-sdk-method"):
        generate.Generator(broken)
    twice = copy.deepcopy(spec)
    twice["paths"]["/api/me"]["get"]["x-sdk-method"] = "health.get"
    with pytest.raises(SystemExit, match="names both"):
        generate.Generator(twice)


def test_a_nullable_wrapped_ref_is_its_type_and_a_lone_count_keeps_its_name() -> None:
    spec = _spec()
    grown = copy.deepcopy(spec)
    members = grown["paths"]["/api/organizations/{orgId}/members"]
    grown["components"]["schemas"]["Probe"] = {"type": "object", "properties": {
        "note": {"allOf": [{"$ref": "#/components/schemas/Text"}], "nullable": True}}}
    grown["paths"]["/api/organizations/{orgId}/probe"] = {"parameters": members["parameters"], "post": {
        "operationId": "probe", "x-sdk-method": "probes.run", "summary": "Probe",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Probe"}}}},
        "responses": {"200": {"description": "Counted.", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"success": {"type": "boolean"}, "data": {
                "type": "object", "required": ["counted"], "properties": {"counted": {"type": "integer"}}}}}}}}}}}
    files = generate.Generator(grown).files()
    probes = files[generate.PACKAGE / "resources" / "probes.py"]
    assert "        note: Union[Optional[str], NotGiven] = NOT_GIVEN," in probes
    assert "unwrap=(\"data\",)," in probes and "    ) -> types.ProbeResponseData:" in probes
    assert "    note: Optional[Text]\n" in files[generate.PACKAGE / "types.py"]
    # And so in the committed SDK, which imports (a self-referring alias once broke it).
    assert inspect.signature(mailsentinel.resources.webhooks.Webhooks.create).parameters["description"].annotation \
        == "Union[Optional[str], NotGiven]"
    assert inspect.signature(mailsentinel.resources.webhooks.Webhooks.recover).return_annotation == \
        "types.RecoverEnvelopeData"


def test_the_readme_states_the_coverage() -> None:
    readme = (SDK / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"Spec coverage: (\d+) of (\d+) operations", readme)
    assert stated, "sdk/python/README.md states the spec coverage"
    total = len(_operations(_spec()))
    assert (int(stated[1]), int(stated[2])) == (len(OPERATIONS), total) and len(OPERATIONS) == total
    for resource in {r for r, _, _, _ in OPERATIONS.values()}:
        assert f"`{resource}`" in readme, resource


@pytest.mark.parametrize("name", ["test_sdk_resources.py", "test_sdk_async.py"])
def test_the_tests_call_every_method(name: str) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_sdk_*.py") if
                     (p.name == name) or (name == "test_sdk_resources.py" and p.name != "test_sdk_async.py"))
    missing = [f"{r}.{m}" for r, m, _, _ in OPERATIONS.values() if not re.search(rf"\.{r}\.{m}\(", text)]
    assert not missing, f"{name} never calls {missing}"


def _annotation_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations.append(node.returns)
        elif isinstance(node, (ast.arg, ast.AnnAssign)):
            annotations.append(node.annotation)
        for a in annotations:
            if a is not None:
                skip |= {id(n) for n in ast.walk(a)}
    return skip


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_runs_on_python_3_9_and_imports_nothing_of_the_server(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    future = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    assert future and future[0].names[0].name == "annotations", "every module starts from postponed annotations"
    in_annotations = _annotation_nodes(tree)
    for node in ast.walk(tree):
        # `X | Y` is evaluated at import outside annotations and fails before Python 3.10.
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and id(node) not in in_annotations:
            pytest.fail(f"{path.name}:{node.lineno}: `|` outside an annotation")
        assert not isinstance(node, ast.Match), f"{path.name}:{node.lineno}: match needs Python 3.10"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in {"httpx", "__future__"}, f"{path.name} imports {name}"


def test_the_distribution_needs_only_httpx() -> None:
    project = tomllib.loads((SDK / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "mailsentinel" and project["requires-python"] == ">=3.9"
    assert [re.split(r"[<>=!~ ;\[]", d)[0] for d in project["dependencies"]] == ["httpx"]
    assert (SDK / "src" / "mailsentinel" / "py.typed").exists()
