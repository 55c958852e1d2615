"""The web console: the built files of console/ (sentinel/web/console_dist), served at `/`.

The files are built ahead (`make console`) and ship inside the package, so `serve` and
`mock` need no Node. They are read once at start-up and kept in memory with a gzip copy
(a few hundred KiB in all). Every console response carries a strict Content-Security-Policy:
only this origin's scripts, styles, images and API, no inline code, no frames; the API token
lives in the page's sessionStorage and is sent as a bearer header, never as a cookie.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sentinel.web.responses import refused_unless_read

DIST = Path(__file__).resolve().parent / "console_dist"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-write=(self)",
}

_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
# Hashed file names under /assets/ never change content: cache them for a year.
_IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str
    cache_control: str


def load_assets(directory: Path = DIST) -> dict[str, Asset]:
    """URL path -> asset for every file of the built console; empty when it was not built."""
    assets: dict[str, Asset] = {}
    if not (directory / "index.html").is_file():
        return assets
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        body = path.read_bytes()
        media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type.endswith(("+xml", "/json")):
            media_type += "; charset=utf-8"
        # mtime=0: the same bytes on every start, so ETags hold across restarts and instances.
        packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) > 1024 else None
        url = "/" if relative == "index.html" else "/" + relative
        cache = _IMMUTABLE if relative.startswith("assets/") else "no-cache"
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        assets[url] = Asset(body, packed if packed and len(packed) < len(body) else None, media_type, etag, cache)
    return assets


def _header(scope: Scope, name: bytes) -> str:
    return ", ".join(v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name)


def _accepts_gzip(scope: Scope) -> bool:
    for item in _header(scope, b"accept-encoding").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() == "gzip" and params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}:
            return True
    return False


class ConsoleAssets:
    """ASGI step answering GET/HEAD on the console's paths; every other request goes on to `app`."""

    def __init__(self, app: ASGIApp, assets: dict[str, Asset] | None = None) -> None:
        self.app = app
        self.assets = load_assets() if assets is None else assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asset = self.assets.get(scope.get("path", "")) if scope["type"] == "http" else None
        if asset is None:
            await self.app(scope, receive, send)
            return
        if await refused_unless_read(scope, receive, send):
            return
        headers = {**SECURITY_HEADERS, "Cache-Control": asset.cache_control, "ETag": asset.etag}
        if asset.gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
        candidates = {c.strip().removeprefix("W/") for c in _header(scope, b"if-none-match").split(",")}
        if asset.etag in candidates or "*" in candidates:
            await Response(status_code=304, headers=headers)(scope, receive, send)
            return
        body = asset.body
        if asset.gzipped is not None and _accepts_gzip(scope):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        await Response(body, media_type=asset.media_type, headers=headers)(scope, receive, send)
