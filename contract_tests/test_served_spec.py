"""The spec is served as written (components and `$ref`s intact), by `serve` and by the mock:
clients are generated from it, so a dereferenced copy would give them one model per use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mocks.ports import CONTROL_SPEC
from sentinel.app import SPEC_PATH, build_services, create_app
from sentinel.settings import Settings
from tests.support.server import LiveServer

WRITTEN = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["serve", "mock"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    mode = request.param
    settings = Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('spec') / 'spec.db'}")
    services = build_services(settings, mode)
    with LiveServer(create_app(settings, mode, services=services)) as live:
        live.mode = mode  # type: ignore[attr-defined]
        yield live
    services.db.dispose()


def _refs(node: object) -> int:
    if isinstance(node, dict):
        return ("$ref" in node) + sum(_refs(v) for v in node.values())
    if isinstance(node, list):
        return sum(_refs(v) for v in node)
    return 0


def test_json_is_the_file_parsed(server: Any) -> None:
    r = httpx.get(f"{server.url}/api/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    served = r.json()
    assert served == WRITTEN
    assert _refs(served) == _refs(WRITTEN) > 100
    assert set(served["components"]["schemas"]) == set(WRITTEN["components"]["schemas"])
    # The dereferenced copy connexion serves is several times the size of the compact file.
    assert len(r.content) < len(json.dumps(WRITTEN)) * 1.01


def test_yaml_is_the_file_itself(server: Any) -> None:
    r = httpx.get(f"{server.url}/api/openapi.yaml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/yaml")
    assert r.content == SPEC_PATH.read_bytes()


def test_swagger_ui_reads_the_served_spec(server: Any) -> None:
    page = httpx.get(f"{server.url}/api/ui/")
    assert page.status_code == 200
    assert '"/api/openapi.json"' in page.text or "'/api/openapi.json'" in page.text
    # "Try it out" goes to the server that served the page (the mock too, on its own port).
    assert httpx.get(f"{server.url}/api/openapi.json").json()["servers"][0]["url"] == "/"


def test_only_reads_are_allowed(server: Any) -> None:
    r = httpx.post(f"{server.url}/api/openapi.json", json={})
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert r.json()["error"]["code"] == "METHOD_NOT_ALLOWED" and r.headers["x-request-id"]
    head = httpx.head(f"{server.url}/api/openapi.yaml")
    assert head.status_code == 200 and head.content == b""


def test_the_mock_controls_spec_is_served_as_written(server: Any) -> None:
    r = httpx.get(f"{server.url}/_mock/openapi.json")
    if server.mode == "serve":
        assert r.status_code == 404
    else:
        assert r.json() == yaml.safe_load(Path(CONTROL_SPEC).read_text(encoding="utf-8"))
        assert httpx.get(f"{server.url}/_mock/ui/").status_code == 200
