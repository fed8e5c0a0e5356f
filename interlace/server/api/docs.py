"""Swagger UI at ``/api/docs``, from assets shipped in a Python package (no CDN)."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_PATH", "OPENAPI_PATH", "install_docs"]

DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"
ASSETS_PATH = "/api/docs/assets"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-ui-standalone-preset.js"></script>
<script src="{assets}/init.js"></script>
</body></html>"""

_INIT = """window.ui = SwaggerUIBundle({
  url: "%s", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout",
  validatorUrl: null
});
"""


def swagger_assets() -> Path:
    """The Swagger UI 5 distribution inside the ``swagger-ui-py`` package."""
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


def install_docs(app: FastAPI, title: str) -> None:
    page = _PAGE.format(title=html.escape(title), assets=ASSETS_PATH)

    @app.get(DOCS_PATH, include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{ASSETS_PATH}/init.js", include_in_schema=False)
    def init() -> HTMLResponse:
        return HTMLResponse(_INIT % OPENAPI_PATH, media_type="application/javascript")

    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_assets()), name="swagger-assets")
