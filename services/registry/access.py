"""Who may see and change which enterprise in the register (checked on every object).

Reading follows ``shared.tenancy``. Writing: an enterprise its own record, a prefecture operator
its prefecture's, provincial operators and admins all; platforms read only. Recognitions are
recorded by provincial operators (or admins) only.
"""

from __future__ import annotations

from services.registry.persistence.tables import Enterprise
from shared.identity import Principal, Role
from shared.problems import forbidden
from shared.tenancy import check_enterprise_visible, require_enterprise_reader, sees_enterprise

WRITERS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR, Role.ENTERPRISE}
GRANTORS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR}


def check_read(principal: Principal, enterprise: Enterprise | None, assigned_officer: str | None = None) -> Enterprise:
    check_enterprise_visible(
        principal,
        enterprise.uscc if enterprise else "",
        enterprise.prefecture_code if enterprise else None,
        assigned_officer,
    )
    assert enterprise is not None
    return enterprise


def check_write(principal: Principal, enterprise: Enterprise | None) -> Enterprise:
    enterprise = check_read(principal, enterprise)
    if principal.role not in WRITERS:
        raise forbidden("read-only access", "只读权限")
    return enterprise


def check_create(principal: Principal, uscc: str, prefecture_code: str) -> None:
    if principal.role not in WRITERS:
        raise forbidden(f"role {principal.role} may not register enterprises", f"角色 {principal.role} 无权登记企业")
    if not sees_enterprise(principal, uscc, prefecture_code):
        raise forbidden("you may only register enterprises within your own scope", "只能登记本辖区（或本企业）的企业")


def check_grant(principal: Principal) -> None:
    if principal.role not in GRANTORS:
        raise forbidden("only provincial operators record recognitions", "仅省级管理员可录入认定结果")


def check_list(principal: Principal) -> None:
    require_enterprise_reader(principal)
