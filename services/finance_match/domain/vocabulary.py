"""The finance_match vocabulary: product types, collateral, need states, decline reasons, consent."""

from __future__ import annotations

from enum import StrEnum


class ProductType(StrEnum):
    CREDIT_LOAN = "credit_loan"  # 信用贷款
    IP_PLEDGE = "ip_pledge"  # 知识产权质押贷款
    MOVABLE_PLEDGE = "movable_pledge"  # 动产 / 应收账款质押
    GUARANTEE = "guarantee"  # 担保贷款
    SRDI_LOAN = "srdi_loan"  # 专精特新专属贷款
    INSURANCE = "insurance"  # 保险增信贷款


PRODUCT_TYPE_ZH = {
    ProductType.CREDIT_LOAN: "信用贷款",
    ProductType.IP_PLEDGE: "知识产权质押贷款",
    ProductType.MOVABLE_PLEDGE: "动产及应收账款质押贷款",
    ProductType.GUARANTEE: "担保贷款",
    ProductType.SRDI_LOAN: "专精特新专属贷款",
    ProductType.INSURANCE: "保险增信贷款",
}


class Collateral(StrEnum):
    IP = "ip"  # 知识产权
    MOVABLE = "movable"  # 动产
    RECEIVABLES = "receivables"  # 应收账款
    GUARANTEE = "guarantee"  # 第三方担保
    REAL_ESTATE = "real_estate"  # 不动产抵押
    INSURANCE = "insurance"  # 保证保险


COLLATERAL_ZH = {
    Collateral.IP: "知识产权",
    Collateral.MOVABLE: "动产",
    Collateral.RECEIVABLES: "应收账款",
    Collateral.GUARANTEE: "第三方担保",
    Collateral.REAL_ESTATE: "不动产",
    Collateral.INSURANCE: "保证保险",
}


class NeedState(StrEnum):
    POSTED = "posted"
    MATCHED = "matched"
    ACCEPTED = "accepted"
    APPROVED = "approved"
    DISBURSED = "disbursed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


STATE_ZH = {
    NeedState.POSTED: "已发布",
    NeedState.MATCHED: "已匹配",
    NeedState.ACCEPTED: "已受理",
    NeedState.APPROVED: "已审批",
    NeedState.DISBURSED: "已放款",
    NeedState.DECLINED: "已拒绝",
    NeedState.WITHDRAWN: "已撤回",
    NeedState.EXPIRED: "已过期",
}
OPEN_STATES = frozenset({NeedState.POSTED, NeedState.MATCHED, NeedState.ACCEPTED, NeedState.APPROVED})


class DeclineReason(StrEnum):
    CREDIT_RISK = "credit_risk"  # 信用风险不符合
    INSUFFICIENT_COLLATERAL = "insufficient_collateral"  # 担保/抵质押不足
    OUTSIDE_POLICY = "outside_policy"  # 不符合信贷政策
    INCOMPLETE_DOCUMENTS = "incomplete_documents"  # 资料不全
    ENTERPRISE_UNREACHABLE = "enterprise_unreachable"  # 无法联系企业
    OTHER = "other"


class Consent(StrEnum):
    """Whom the enterprise lets see its contact data (the need itself goes to the top matches and
    always to the paired bank)."""

    MATCHED_BANKS = "matched_banks"
    PAIRED_BANK_ONLY = "paired_bank_only"
    NAMED_BANKS = "named_banks"


TIERS = ("innovative_sme", "srdi_sme", "little_giant", "single_champion")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS, start=1)}
TIER_ZH = {
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "single_champion": "制造业单项冠军企业",
}
SRDI_RANK = TIER_RANK["srdi_sme"]
