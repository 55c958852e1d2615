"""The console's files as `serve` sends them: at / and /assets/, with a strict CSP, cached right."""

from __future__ import annotations

import re

import httpx

from sentinel.web.console import CONTENT_SECURITY_POLICY, DIST, load_assets
from tests.support.server import LiveServer


def test_the_console_is_served_at_the_root_with_a_strict_policy(live: LiveServer) -> None:
    index = httpx.get(f"{live.url}/", timeout=30)
    assert index.status_code == 200
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    policy = index.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert index.headers["x-content-type-options"] == "nosniff"
    assert index.headers["cache-control"] == "no-cache"
    assert index.headers["x-request-id"]
    # No inline script or style in the page, and every asset it names is served from here.
    html = index.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert "<style" not in html and " style=" not in html
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for path in assets:
        answer = httpx.get(f"{live.url}{path}", timeout=30)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        if path.startswith("/assets/"):
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_assets_are_sent_gzipped_to_clients_that_accept_it_and_revalidate_with_etags(live: LiveServer) -> None:
    script = next(p for p in load_assets() if p.endswith(".js"))
    raw = (DIST / script.lstrip("/")).read_bytes()
    packed = httpx.get(f"{live.url}{script}", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == raw  # httpx decodes it
    assert int(packed.headers["content-length"]) < len(raw)
    plain = httpx.get(f"{live.url}{script}", headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "content-encoding" not in plain.headers
    assert plain.content == raw
    again = httpx.get(f"{live.url}{script}", headers={"If-None-Match": plain.headers["etag"]}, timeout=30)
    assert again.status_code == 304
    assert again.content == b""


def test_other_methods_and_unknown_files_answer_in_the_envelope(live: LiveServer) -> None:
    post = httpx.post(f"{live.url}/", timeout=30)
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"
    assert post.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    missing = httpx.get(f"{live.url}/assets/nothing-here.js", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    # The API is unchanged: no console policy on its answers.
    health = httpx.get(f"{live.url}/health", timeout=30)
    assert "content-security-policy" not in health.headers
