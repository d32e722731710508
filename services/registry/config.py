"""registry settings (env prefix SRDI_)."""

from shared.config import ServiceSettings


class RegistrySettings(ServiceSettings):
    pass
