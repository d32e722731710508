"""notifications settings (env prefix SRDI_)."""

from shared.config import ServiceSettings


class NotificationsSettings(ServiceSettings):
    pass
