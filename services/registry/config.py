"""Registry settings (env prefix SRDI_)."""

from pathlib import Path

from shared.config import REPO_ROOT, Mode, ServiceSettings


class RegistrySettings(ServiceSettings):
    # Embedded mode loads a synthetic population on first start (SRDI_REGISTRY_DEMO_COUNT=0 to skip).
    registry_demo_count: int = 5000
    registry_demo_seed: int = 20250606
    registry_import_dir: Path = REPO_ROOT / "var" / "imports"
    registry_import_chunk_rows: int = 10000
    registry_import_max_bytes: int = 200 * 1024 * 1024
    registry_expiry_check_seconds: float = 3600.0

    @property
    def loads_demo_data(self) -> bool:
        return self.mode is Mode.EMBEDDED and self.registry_demo_count > 0
