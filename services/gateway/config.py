"""Gateway settings: ``SRDI_SERVICE_URLS`` (distributed) plus the shared ones."""

from shared.config import GatewaySettings

__all__ = ["GatewaySettings"]
