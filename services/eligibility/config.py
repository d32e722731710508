"""eligibility settings (env prefix SRDI_)."""

from shared.config import ServiceSettings


class EligibilitySettings(ServiceSettings):
    pass
