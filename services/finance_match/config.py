"""finance_match settings (env prefix SRDI_)."""

from shared.config import ServiceSettings


class FinanceMatchSettings(ServiceSettings):
    pass
