"""Registry route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.registry.config import RegistrySettings
from shared.service import ServiceRuntime

Runtime = ServiceRuntime[RegistrySettings]


def runtime(request: Request) -> Runtime:
    hosted: Runtime = request.app.state.runtime
    return hosted


RuntimeDep = Annotated[Runtime, Depends(runtime)]
