"""Test data builders: valid enterprises and financial reports with memorable defaults."""

from __future__ import annotations

from typing import Any

from services.registry.domain.uscc import complete_uscc

KUNMING_WUHUA = "530102"  # 昆明市五华区
HONGHE_GEJIU = "532501"  # 红河州个旧市


def credit_code(serial: int, county: str = KUNMING_WUHUA) -> str:
    """A valid unified social credit code: 9 (industry & commerce) 1 (company), the county, an
    organisation code built from the serial, both check characters computed."""
    body = f"{serial:08d}"
    return complete_uscc(f"91{county}{body}")


def enterprise(serial: int, county: str = KUNMING_WUHUA, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uscc": credit_code(serial, county),
        "name": f"云南测试精密制造有限公司{serial}",
        "county_code": county,
        "industry_code": "C3985",
        "legal_representative": "张三",
        "established_on": "2012-03-15",
        "contact_phone": "13812345678",
        "contact_email": "ops@example.cn",
        "niche_market": "电子专用材料",
        "niche_since": 2014,
        "main_products": ["高纯锗单晶"],
        "ip": {"class1_high_value": 0, "class1_self_developed": 2, "class1": 3, "class2": 11,
               "invention_patents": 3, "class1_applied_main_product": 2},
        "rd_institutions": [{"name": "省级企业技术中心", "level": "provincial"}],
        "digital_level": 2,
        "core_systems": ["ERP", "CAM"],
        "quality": {"quality_system_certified": True, "own_brand": True},
        "management_certs": ["ISO9001"],
        "field_flags": {"strategic_emerging": True, "serves_chain_leader": True},
    }  # fmt: skip
    return body | overrides


def financials(revenue: int = 86_000_000, rd: int = 4_300_000, **overrides: Any) -> dict[str, Any]:
    body = {
        "operating_revenue": str(revenue), "main_business_revenue": str(int(revenue * 0.92)),
        "rd_expense": str(rd), "net_profit": str(int(revenue * 0.08)), "total_assets": str(int(revenue * 1.5)),
        "total_liabilities": str(int(revenue * 0.7)), "employees": 230, "rd_staff": 41,
        "new_equity_financing": "0", "audited": True,
    }  # fmt: skip
    return body | overrides
