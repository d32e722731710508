"""Demo identities for the embedded mode: one API key per role, printed at start.

The plaintext keys are kept in ``var/demo-keys.json`` (embedded mode only, never in distributed
mode) so that a restart prints the same keys.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from services.gateway.persistence.api_keys import create_key
from services.gateway.persistence.tables import ApiKey
from shared.config import REPO_ROOT
from shared.identity import Role
from shared.service import ServiceRuntime

DEMO_KEYS_FILE = REPO_ROOT / "var" / "demo-keys.json"


def demo_identities(enterprise_uscc: str | None) -> list[tuple[Role, str | None, str]]:
    identities: list[tuple[Role, str | None, str]] = [
        (Role.ADMIN, None, "平台管理员 / platform admin"),
        (Role.PROVINCIAL_OPERATOR, "53", "省工业和信息化厅 / provincial operator"),
        (Role.PREFECTURE_OPERATOR, "5301", "昆明市工信局 / Kunming operator"),
        (Role.PREFECTURE_OPERATOR, "5325", "红河州工信局 / Honghe operator"),
        (Role.OFFICER, "officer-001", "助企服务员 / service officer"),
        (Role.BANK, "bank-ynrcc", "云南农信 / demo bank"),
        (Role.BANK, "bank-fudian", "富滇银行 / second demo bank"),
        (Role.PLATFORM, "platform-yn-gov", "一部手机办事通 / government platform"),
    ]
    if enterprise_uscc:
        identities.append((Role.ENTERPRISE, enterprise_uscc, "示范企业 / demo enterprise"))
    return identities


async def ensure_demo_keys(
    runtime: ServiceRuntime, enterprise_uscc: str | None, path: Path = DEMO_KEYS_FILE
) -> list[dict[str, str | None]]:
    async with runtime.uow() as uow:
        existing = (await uow.session.exec(select(ApiKey))).first()
    if existing is not None and path.exists():
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    keys = []
    for role, tenant, name in demo_identities(enterprise_uscc):
        async with runtime.uow() as uow:
            _, new_key = await create_key(uow, role, tenant, name)
        keys.append({"role": role.value, "tenant": tenant, "name": name, "key": new_key.plaintext})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return keys
