"""Who may see and change which enterprise in the register (checked on every object).

Reading follows ``shared.tenancy``. Writing: an enterprise its own record, a prefecture operator
its prefecture's, provincial operators and admins all; platforms read only. Recognitions are
recorded by provincial operators (or admins) only.
"""

from __future__ import annotations

from typing import Any

from services.registry.domain.model import mask_contact, mask_person
from services.registry.persistence.tables import Enterprise
from shared.errors import Forbidden
from shared.identity import CONTACT_DATA, Principal, Role
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
        raise Forbidden("read-only access", "只读权限")
    return enterprise


def check_create(principal: Principal, uscc: str, prefecture_code: str) -> None:
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role} may not register enterprises", f"角色 {principal.role} 无权登记企业")
    if not sees_enterprise(principal, uscc, prefecture_code):
        raise Forbidden("you may only register enterprises within your own scope", "只能登记本辖区（或本企业）的企业")


def check_grant(principal: Principal) -> None:
    if principal.role not in GRANTORS:
        raise Forbidden("only provincial operators record recognitions", "仅省级管理员可录入认定结果")


def check_list(principal: Principal) -> None:
    require_enterprise_reader(principal)


CONTACT_FIELDS = ("contact_phone", "contact_email", "legal_representative")


def sees_contacts(principal: Principal) -> bool:
    """Personal data (phone, e-mail, legal representative) reaches another platform only when its
    key carries the ``contact_data`` purpose scope; everyone else entitled to the record sees them."""
    return principal.role is not Role.PLATFORM or principal.has_scope(CONTACT_DATA)


def redact_contacts(principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    if sees_contacts(principal):
        return values
    masked = dict(values)
    for name in ("contact_phone", "contact_email"):
        if masked.get(name):
            masked[name] = mask_contact(str(masked[name]))
    if masked.get("legal_representative"):
        masked["legal_representative"] = mask_person(str(masked["legal_representative"]))
    return masked
