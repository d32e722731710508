"""Registry route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.service import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[ServiceRuntime, Depends(runtime)]
