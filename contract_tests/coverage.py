"""Coverage you can see: per operationId of openapi.yaml, who implements and exercises it.

Columns: `serve` (a handler resolves), `mock` (a request built from the seed gets a 2xx from
the mock, each on a freshly reset mock), `fuzz serve` / `fuzz mock` (2xx answers the contract
suite's last run saw, from guard.record_path()), and the SDKs (`—` while sdk/python and sdk/js
do not exist; once they do, an operation counts when its operationId appears in the SDK).

`python -m contract_tests.coverage` (`make coverage-report`) prints the table and exits 1 on
any gap; it runs the contract suite first when there is no record of a run.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract_tests.guard import ROOT, record_path

METHODS = ("get", "post", "put", "patch", "delete")
SDKS = {"python": ROOT / "sdk" / "python", "js": ROOT / "sdk" / "js"}
SDK_SUFFIXES = {"python": (".py",), "js": (".js", ".mjs", ".cjs", ".ts")}
# The seed already monitors example.com, which the spec's create_domain example adds.
SEEDED_BODIES: dict[str, Any] = {"create_domain": {"domain": "example.info", "description": "From the coverage walk"}}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    definition: dict[str, Any]


def operations(spec: dict[str, Any] | None = None) -> list[Operation]:
    from sentinel.app import load_spec

    spec = spec or load_spec()
    return [
        Operation(op["operationId"], method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def served_by_serve(op: Operation) -> bool:
    """The handler connexion resolves the operationId to exists and is callable."""
    try:
        module = importlib.import_module(op.definition["x-openapi-router-controller"])
    except (KeyError, ImportError):
        return False
    return callable(getattr(module, op.operation_id, None))


def _example_body(op: Operation) -> tuple[str, Any] | None:
    if op.operation_id in SEEDED_BODIES:
        return "application/json", SEEDED_BODIES[op.operation_id]
    for media_type, media in op.definition.get("requestBody", {}).get("content", {}).items():
        if "example" in media:
            return media_type, media["example"]
    return None


def mock_statuses(ops: list[Operation]) -> dict[str, int]:
    """The status the mock gives each operation for a request built from its seed."""
    from starlette.testclient import TestClient

    from contract_tests.conftest import World as SeedWorld
    from contract_tests.conftest import credentials, fill
    from sentinel.app import build_services, create_app
    from sentinel.settings import Settings

    services = build_services(Settings(), "mock")
    assert services.mock is not None
    app = create_app(services.settings, "mock", services=services)
    statuses: dict[str, int] = {}
    world: SeedWorld | None = None
    with TestClient(app, raise_server_exceptions=False) as client:
        for op in ops:
            if world is None:  # back to the seed (same IDs) after anything that may have changed it
                services.mock.reset()
                owner, viewer = services.mock.tokens[0], services.mock.tokens[1]
                world = SeedWorld(credentials(services, owner.secret, "seed"), {"orgId": owner.organization_id})
                wanted = {"domainId", "reportId", "scanId", "webhookId", "deliveryId", "ruleId", "alertId"}
                fill(services, world, wanted)
                world.ids |= {"tokenId": owner.token_id, "userId": viewer.user_id}
            path = op.path.format(**world.ids)
            kwargs: dict[str, Any] = {"headers": dict(world.credentials.headers)}
            body = _example_body(op)
            if body is not None:
                media_type, example = body
                if media_type == "application/json":
                    kwargs["json"] = example
                else:
                    kwargs["content"] = example.encode() if isinstance(example, str) else example
                    kwargs["headers"]["Content-Type"] = media_type
            statuses[op.operation_id] = client.request(op.method, path, **kwargs).status_code
            if op.method != "GET":
                world = None
    services.db.dispose()
    return statuses


def fuzz_successes(path: Path | None = None) -> dict[str, dict[str, int]] | None:
    """target -> operationId -> number of 2xx answers in the last recorded contract run."""
    path = path or record_path()
    if not path.exists():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    return {
        target: {op: sum(n for code, n in counts.items() if code.startswith("2")) for op, counts in ops.items()}
        for target, ops in record.items()
    }


def _sdk_files(lang: str) -> Iterator[Path]:
    for path in SDKS[lang].rglob("*"):
        skip = {"node_modules", ".venv", "dist", "build", "__pycache__"}
        if path.is_file() and path.suffix in SDK_SUFFIXES[lang] and not skip & set(path.parts):
            yield path


def sdk_coverage(lang: str, ops: list[Operation]) -> dict[str, bool] | None:
    """None while the SDK does not exist; else whether each operationId (or its camelCase) appears."""
    if not SDKS[lang].is_dir():
        return None
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in _sdk_files(lang))
    return {op.operation_id: op.operation_id in text or _camel(op.operation_id) in text for op in ops}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


@dataclass
class Table:
    ops: list[Operation]
    serve: dict[str, bool]
    mock: dict[str, int] | None
    fuzz: dict[str, dict[str, int]] | None
    sdks: dict[str, dict[str, bool] | None]

    def gaps(self) -> list[str]:
        found: list[str] = []
        for op in self.ops:
            name = op.operation_id
            if not self.serve[name]:
                found.append(f"{name}: no handler in serve")
            if self.mock is not None and not 200 <= self.mock[name] < 300:
                found.append(f"{name}: the mock answered {self.mock[name]} to the seeded request")
            for target in ("serve", "mock"):
                if self.fuzz is not None and not self.fuzz.get(target, {}).get(name):
                    found.append(f"{name}: no 2xx while fuzzing {target}")
            for lang, covered in self.sdks.items():
                if covered is not None and not covered[name]:
                    found.append(f"{name}: not in the {lang} SDK")
        if self.fuzz is None:
            found.append(f"no contract run recorded at {record_path()}")
        return found

    def render(self) -> str:
        head = ["operationId", "method path", "serve", "mock", "fuzz serve", "fuzz mock", "sdk py", "sdk js"]
        rows = [head]
        for op in self.ops:
            name = op.operation_id
            fuzz = self.fuzz or {}
            rows.append(
                [
                    name,
                    f"{op.method} {op.path}",
                    "yes" if self.serve[name] else "NO",
                    _status(self.mock, name),
                    *(_count(fuzz.get(t, {}).get(name), self.fuzz is None) for t in ("serve", "mock")),
                    *(_sdk_cell(self.sdks[lang], name) for lang in ("python", "js")),
                ]
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def _status(statuses: dict[str, int] | None, name: str) -> str:
    if statuses is None:
        return "?"
    return str(statuses[name]) + ("" if 200 <= statuses[name] < 300 else " NO")


def _count(n: int | None, unknown: bool) -> str:
    if unknown:
        return "?"
    return f"{n} x 2xx" if n else "NO"


def _sdk_cell(covered: dict[str, bool] | None, name: str) -> str:
    if covered is None:
        return "— (pending)"
    return "yes" if covered[name] else "NO"


def build(*, with_mock: bool = True, with_fuzz: bool = True) -> Table:
    ops = operations()
    return Table(
        ops=ops,
        serve={op.operation_id: served_by_serve(op) for op in ops},
        mock=mock_statuses(ops) if with_mock else None,
        fuzz=fuzz_successes() if with_fuzz else None,
        sdks={lang: sdk_coverage(lang, ops) for lang in SDKS},
    )


def main() -> int:
    if not record_path().exists():
        print(f"No contract run recorded at {record_path()}: running the contract suite first.", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "contract_tests/test_schemathesis.py"], cwd=ROOT, check=False
        )
    table = build()
    print(table.render())
    gaps = table.gaps()
    print(f"\nrecord of the fuzz run: {record_path()}")
    for gap in gaps:
        print("GAP:", gap)
    print("no gaps" if not gaps else f"{len(gaps)} gap(s)")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
