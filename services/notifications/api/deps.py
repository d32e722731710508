"""notifications route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.config import NotificationsSettings
from shared.service import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def settings(request: Request) -> NotificationsSettings:
    value = request.app.state.runtime.settings
    assert isinstance(value, NotificationsSettings)
    return value


RuntimeDep = Annotated[ServiceRuntime, Depends(runtime)]
SettingsDep = Annotated[NotificationsSettings, Depends(settings)]
