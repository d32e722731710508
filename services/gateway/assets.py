"""Browser assets the gateway serves itself (no CDN): Swagger UI, ReDoc and ECharts from the npm
registry, fetched by ``make install`` into ``static/vendor`` (gitignored; the versions are pinned
in the Makefile and here, and a unit test keeps them equal). Swagger UI comes from npm's
``swagger-ui-dist`` 5.x because the swagger-ui-bundle wheel (1.1.0, the newest) ships Swagger UI
4.15, which refuses OpenAPI 3.1 documents — and FastAPI writes 3.1."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_UI_DIR = STATIC_DIR / "vendor" / f"swagger-ui-{SWAGGER_UI_VERSION}"
ECHARTS_VERSION = "5.6.0"
REDOC_VERSION = "2.5.0"
ECHARTS = f"vendor/echarts-{ECHARTS_VERSION}.min.js"
REDOC = f"vendor/redoc-{REDOC_VERSION}.standalone.js"
