"""The browser assets the gateway serves are the versions `make install` fetches."""

from __future__ import annotations

from services.gateway import assets
from shared.config import REPO_ROOT


def test_the_makefile_fetches_the_versions_the_app_serves() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert f"ECHARTS_VERSION := {assets.ECHARTS_VERSION}" in makefile
    assert f"REDOC_VERSION := {assets.REDOC_VERSION}" in makefile
    assert f"SWAGGER_UI_VERSION := {assets.SWAGGER_UI_VERSION}" in makefile
