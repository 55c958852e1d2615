"""What create_app adds in mock mode: the /_mock control API and the `Prefer` simulation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions

from mocks.ports import CONTROL_SPEC
from mocks.prefer import PreferMiddleware, SpecIndex
from sentinel.app import load_yaml
from sentinel.web.spec import Document, documents_for
from sentinel.web.validation import BODY_VALIDATORS, NamedParameterValidator

if TYPE_CHECKING:
    from sentinel.app import Services

CONTROL_BASE = "/_mock"


def control_spec() -> dict[str, Any]:
    return load_yaml(CONTROL_SPEC)


def install(app: AsyncApp, services: Services, spec: dict[str, Any], documents: dict[str, Document]) -> dict[str, Any]:
    """Mount the controls and the Prefer steps; returns `spec` with the control paths added
    (for truthful Allow headers) and adds the control spec to the served `documents`.
    Must run before the main API is added.
    """
    if services.mock is None:
        raise RuntimeError("Mock controls need services built in mock mode.")
    controls = control_spec()
    documents.update(documents_for(CONTROL_SPEC, controls, CONTROL_BASE + "/openapi.json"))
    app.add_api(
        controls,
        base_path=CONTROL_BASE,
        strict_validation=True,
        validator_map={"parameter": NamedParameterValidator, "body": BODY_VALIDATORS},
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, spec_path="/openapi.json", swagger_ui_path="/ui"),
    )
    index = SpecIndex(spec)
    # Routed (to know the operation) but before security, so code=401 needs no token ...
    app.add_middleware(PreferMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, stage="routed", index=index)
    # ... and everything else only once the token was accepted.
    app.add_middleware(
        PreferMiddleware, position=MiddlewarePosition.BEFORE_VALIDATION, stage="authenticated", index=index
    )
    control_paths = {CONTROL_BASE + path: item for path, item in control_spec().get("paths", {}).items()}
    return {**spec, "paths": {**spec.get("paths", {}), **control_paths}}
