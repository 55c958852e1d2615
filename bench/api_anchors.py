"""The two apps bench_api.py measures `serve` against, each run as its own process.

- `fastapi`: what a user would write instead: FastAPI with SQLAlchemy (ORM sessions from the
  default pool), the same two queries per request (the token with its memberships, a page of
  domains with its total) on the same database, the same JSON answer. Needs the bench extra.
- `stub`: connexion's own ceiling: an AsyncApp on the same openapi.yaml (bearer security,
  strict parameter validation, routing), every handler a stub returning the payload
  `serve` answered, precomputed: no database, no services.

Usage: python bench/api_anchors.py {fastapi,stub} --port P --database-url URL --payload FILE
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fastapi_app(database_url: str) -> Any:
    from fastapi import Depends, FastAPI, Header, HTTPException
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session, sessionmaker

    from sentinel.domains.service import domain_view
    from sentinel.pagination import PageRequest, page_meta
    from sentinel.store.models import ApiToken, Domain, Membership

    engine = create_engine(database_url, connect_args={"check_same_thread": False})
    sessions = sessionmaker(engine)
    app = FastAPI()

    def session() -> Any:
        with sessions() as s:
            yield s

    @app.get("/api/domains")
    def list_domains(
        authorization: str = Header(""),
        page: int = 1,
        limit: int = 50,
        db: Session = Depends(session),  # noqa: B008 - FastAPI's idiom
    ) -> dict[str, Any]:
        secret = authorization.removeprefix("Bearer ")
        digest = hashlib.sha256(secret.encode()).hexdigest()
        rows = db.execute(
            select(ApiToken.revoked_at, Membership.organization_id)
            .join(Membership, Membership.user_id == ApiToken.user_id)
            .where(ApiToken.secret_hash == digest)
        ).all()
        if not rows or rows[0].revoked_at is not None:
            raise HTTPException(401, "Invalid API token.")
        request = PageRequest(page=page, limit=limit)
        found = db.execute(
            select(Domain, func.count().over())
            .where(Domain.organization_id.in_([r.organization_id for r in rows]))
            .order_by(Domain.name, Domain.id)
            .limit(request.limit)
            .offset(request.offset)
        ).all()
        total = found[0][1] if found else 0
        return {
            "success": True,
            "data": {"domains": [domain_view(d) for d, _ in found], "pagination": page_meta(request, total)},
        }

    return app


def stub_app(payload: bytes) -> Any:
    from connexion import AsyncApp
    from connexion.resolver import Resolver
    from starlette.responses import Response

    from sentinel.app import load_spec

    etag = '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'

    async def stub(**_kwargs: Any) -> Response:
        return Response(payload, media_type="application/json", headers={"ETag": etag})

    spec = load_spec()
    spec["components"]["securitySchemes"]["bearerAuth"]["x-bearerInfoFunc"] = "api_anchors.bearer"
    app = AsyncApp(__name__, pythonic_params=True)
    app.add_api(spec, strict_validation=True, resolver=Resolver(function_resolver=lambda _op: stub))
    return app


def bearer(token: str) -> dict[str, Any]:
    return {"sub": "stub"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["fastapi", "stub"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--payload", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    app = fastapi_app(args.database_url) if args.kind == "fastapi" else stub_app(args.payload.read_bytes())
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
