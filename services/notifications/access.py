"""Who may see what in notifications.

- An inbox is readable by its recipient only (officer, enterprise, operators — their own), and by
  admins (``?recipient=``); nobody else reads anyone else's inbox.
- Enterprise-bound data (officer, threads, requests, records): the enterprise itself, its active
  officer, the operator of its prefecture, provincial operators and admins; a government platform
  may read who an enterprise's officer is.
"""

from __future__ import annotations

from services.notifications.assignments import active_assignment
from services.notifications.dispatch import recipient_key
from services.notifications.persistence.tables import EnterpriseView
from shared.identity import Principal, Role
from shared.problems import Problem, forbidden
from shared.uow import UnitOfWork

INBOX_ROLES = {Role.OFFICER, Role.ENTERPRISE, Role.PREFECTURE_OPERATOR, Role.PROVINCIAL_OPERATOR}
OPERATORS = {Role.ADMIN, Role.PROVINCIAL_OPERATOR, Role.PREFECTURE_OPERATOR}


def inbox_owner(principal: Principal, recipient: str | None) -> str:
    if principal.role is Role.ADMIN:
        if not recipient:
            raise Problem(422, "recipient-required", "Admins name the inbox: ?recipient=role:tenant",
                          "管理员须指定收件人 ?recipient=角色:租户")  # fmt: skip
        return recipient
    if principal.role not in INBOX_ROLES:
        raise forbidden(f"role {principal.role} has no inbox", f"角色 {principal.role} 没有收件箱")
    own = recipient_key(principal.role.value, principal.tenant)
    if recipient not in (None, own):
        raise forbidden("only your own inbox is readable", "只能查看本人的收件箱")
    return own


def hidden() -> Problem:
    return Problem(404, "not-found", "Enterprise not found", "未找到该企业")


async def enterprise_visible(
    uow: UnitOfWork, principal: Principal, uscc: str, *, platform: bool = False
) -> EnterpriseView:
    """The enterprise, when the caller may see its exchange (404 when it is outside their scope)."""
    view = await uow.session.get(EnterpriseView, uscc.upper())
    if view is None:
        raise hidden()
    if principal.is_province_wide or (platform and principal.role is Role.PLATFORM):
        return view
    if principal.role is Role.PREFECTURE_OPERATOR and principal.tenant == view.prefecture_code:
        return view
    if principal.role is Role.ENTERPRISE and principal.tenant == view.uscc:
        return view
    if principal.role is Role.OFFICER:
        current = await active_assignment(uow, view.uscc)
        if current is not None and current.officer_id == principal.tenant:
            return view
    if principal.role in (Role.BANK, Role.PLATFORM):
        raise forbidden(f"role {principal.role} has no access here", f"角色 {principal.role} 无权访问")
    raise hidden()


def require_operator(principal: Principal, prefecture_code: str | None = None) -> None:
    if principal.role not in OPERATORS:
        raise forbidden("operators only", "仅限管理员")
    if (
        principal.role is Role.PREFECTURE_OPERATOR
        and prefecture_code is not None
        and principal.tenant != prefecture_code
    ):
        raise forbidden("only your own prefecture", "只能管理本辖区")


def operator_scope(principal: Principal, requested: str | None) -> str | None:
    """The prefecture a listing is limited to (None: province-wide)."""
    if principal.role is Role.PREFECTURE_OPERATOR:
        if requested not in (None, principal.tenant):
            raise forbidden("only your own prefecture", "只能查看本辖区")
        return principal.tenant
    if principal.is_province_wide or principal.role is Role.PLATFORM:
        return requested
    raise forbidden(f"role {principal.role} may not call this endpoint", f"角色 {principal.role} 无权调用此接口")
