"""Which enterprises a principal may see — the one rule every service applies to enterprise data.

An enterprise sees only itself; a prefecture operator only enterprises of its prefecture; provincial
operators and admins all; another government platform reads profiles of all (read-only, enforced by
each service's write checks). Banks and officers see enterprise data only where a service shares it
with them (finance_match, notifications), never through these generic reads — except that an officer
reads the enterprises assigned to them, as the service's own officer-assignment projection
(``shared.officers``) says: callers pass ``assigned_officer``.
"""

from __future__ import annotations

from shared.identity import Principal, Role
from shared.problems import Problem, forbidden

ENTERPRISE_READERS = frozenset(
    {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR, Role.ENTERPRISE, Role.PLATFORM}
)


def sees_enterprise(principal: Principal, uscc: str, prefecture_code: str, assigned_officer: str | None = None) -> bool:
    if principal.role is Role.OFFICER:
        return assigned_officer is not None and principal.tenant == assigned_officer
    if principal.is_province_wide or principal.role is Role.PLATFORM:
        return True
    if principal.role is Role.PREFECTURE_OPERATOR:
        return principal.tenant == prefecture_code
    if principal.role is Role.ENTERPRISE:
        return principal.tenant == uscc
    return False


def enterprise_hidden() -> Problem:
    # Out-of-scope records answer 404, not 403: their existence is not the caller's business.
    return Problem(404, "not-found", "Enterprise not found", "未找到该企业")


def require_enterprise_reader(principal: Principal) -> None:
    if principal.role not in ENTERPRISE_READERS:
        raise forbidden(
            f"role {principal.role} has no access to enterprise records", f"角色 {principal.role} 无权访问企业信息"
        )


def check_enterprise_visible(
    principal: Principal, uscc: str, prefecture_code: str | None, assigned_officer: str | None = None
) -> None:
    if principal.role is Role.OFFICER and assigned_officer is not None and principal.tenant == assigned_officer:
        return
    require_enterprise_reader(principal)
    if prefecture_code is None or not sees_enterprise(principal, uscc, prefecture_code, assigned_officer):
        raise enterprise_hidden()
