"""The spec documents, served as written: components and `$ref`s intact.

connexion's own spec routes serve its dereferenced copy (every `$ref` expanded: several
times the size, and a generated client gets one model class per operation and status), so
they are switched off and this step answers those paths instead. Clients are generated
from what it serves, so it is the file itself (YAML) and the file parsed (JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sentinel.web.responses import JSON, dumps, refused_unless_read

YAML = "application/yaml"


@dataclass(frozen=True)
class Document:
    body: bytes
    media_type: str


def documents_for(path: Path, parsed: dict[str, Any], json_path: str) -> dict[str, Document]:
    """`json_path` (…/openapi.json) and its `.yaml` sibling for the spec file at `path`."""
    yaml_path = json_path.removesuffix(".json") + ".yaml"
    return {json_path: Document(dumps(parsed), JSON), yaml_path: Document(path.read_bytes(), YAML)}


class SpecDocuments:
    """ASGI step answering GET/HEAD on the spec paths; every other request goes to `app`."""

    def __init__(self, app: ASGIApp, documents: dict[str, Document]) -> None:
        self.app = app
        self.documents = documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        document = self.documents.get(scope.get("path", "")) if scope["type"] == "http" else None
        if document is None:
            await self.app(scope, receive, send)
            return
        if await refused_unless_read(scope, receive, send):
            return
        response = Response(document.body, media_type=document.media_type, headers={"Cache-Control": "no-cache"})
        await response(scope, receive, send)
