"""A synthetic Yunnan population for demos and benchmarks — deterministic for a seed.

Prefectures are weighted like the real economy (Kunming about a quarter), industries toward
Yunnan's (non-ferrous metals, phosphate chemicals, tobacco, plateau food, biomedicine, electronic
materials, software). Financials run three years with correlated growth. The mix makes every tier
reachable: many innovative SMEs, fewer SRDI SMEs, about 2% little giants, a handful of champions.
Edge cases are planted on purpose: a zero-revenue year, an enterprise on the abnormal-operation
list, one founded this year, one with a missing financial year.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.registry.domain import regions
from services.registry.domain.uscc import ALPHABET, complete_uscc

INDUSTRIES: list[tuple[str, float, str, list[str]]] = [
    # (GB/T 4754 class, weight, niche, key fields)
    ("C3216", 6, "高端铝合金型材", ["yunnan_chain.nonferrous_al_cu", "ten_industries.new_materials"]),
    ("C3251", 4, "高精度铜箔", ["yunnan_chain.nonferrous_al_cu", "six_foundations.key_basic_materials"]),
    ("C3239", 3, "高纯锗、铟靶材", ["yunnan_chain.rare_precious_metals", "six_foundations.key_basic_materials"]),
    ("C2622", 5, "精细磷化工", ["yunnan_chain.phosphate_battery"]),
    ("C3841", 4, "磷酸铁锂正极材料", ["yunnan_chain.phosphate_battery", "ten_industries.new_energy_vehicles"]),
    ("C1620", 2, "卷烟配套材料", []),
    ("C1373", 6, "高原特色果蔬加工", ["yunnan_chain.plateau_agriculture"]),
    ("C1530", 5, "普洱茶精制", ["yunnan_chain.plateau_agriculture"]),
    ("C2740", 6, "三七中成药", ["yunnan_chain.biomedicine"]),
    ("C2761", 3, "生物疫苗", ["yunnan_chain.biomedicine", "strategic_emerging"]),
    ("C3985", 4, "电子专用材料", ["six_foundations.electronic_components", "ten_industries.new_generation_it"]),
    ("C3825", 3, "光伏组件", ["yunnan_chain.silicon_photovoltaic", "ten_industries.power_equipment"]),
    ("C3484", 5, "精密机械零部件", ["six_foundations.core_basic_components"]),
    ("C3581", 2, "医疗诊断设备", ["ten_industries.medical_devices"]),
    ("C3572", 2, "山地农机", ["ten_industries.agricultural_machinery"]),
    ("I6513", 8, "政务与行业应用软件", ["yunnan_chain.south_asia_information", "six_foundations.key_software"]),
    ("I6531", 4, "信息系统集成", ["network_power.information_infrastructure"]),
    ("I6440", 1, "网络安全服务", ["network_power.network_security"]),
    ("C3099", 4, "非金属矿物新材料", ["ten_industries.new_materials"]),
    ("C2929", 4, "塑料制品", []),
]  # fmt: skip
NAME_PARTS = ("滇", "云", "彩云", "春城", "金沙", "澜沧", "高原", "七彩", "玉龙", "苍山", "洱海", "哀牢", "乌蒙",
              "红土", "南诏", "普洱", "腾越", "雪域", "金马", "碧鸡")  # fmt: skip
NAME_STEMS = ("创新", "精工", "新材", "智造", "生物", "科技", "光电", "数智", "绿源", "锗业", "磷化", "铝业")
SUFFIXES = ("有限公司", "股份有限公司", "科技有限公司")


@dataclass
class DemoEnterprise:
    enterprise: dict[str, Any]
    financials: dict[int, dict[str, Any]] = field(default_factory=dict)
    recognitions: list[dict[str, Any]] = field(default_factory=list)


def generate_population(count: int, seed: int = 20250606, today: date | None = None) -> Iterator[DemoEnterprise]:
    rng = random.Random(seed)
    today = today or date.today()
    weights = regions.prefecture_weights()
    prefectures = list(weights)
    industry_weights = [w for _, w, _, _ in INDUSTRIES]
    for serial in range(count):
        prefecture = rng.choices(prefectures, weights=[weights[p] for p in prefectures])[0]
        county = rng.choice(regions.counties(prefecture)).code
        industry, _, niche, key_fields = rng.choices(INDUSTRIES, weights=industry_weights)[0]
        yield _enterprise(rng, serial, county, industry, niche, key_fields, today)


def _credit_code(rng: random.Random, serial: int, county: str) -> str:
    body = "".join(rng.choice(ALPHABET) for _ in range(3)) + f"{serial:05d}"
    return complete_uscc(f"91{county}{body}")


def _enterprise(rng: random.Random, serial: int, county: str, industry: str, niche: str, key_fields: list[str],
                today: date) -> DemoEnterprise:  # fmt: skip
    quality = rng.random() ** 1.6  # most enterprises modest, a few excellent
    founded = today - timedelta(days=int(365 * (1 + rng.random() * 24)))
    if serial % 997 == 5:
        founded = today - timedelta(days=rng.randint(10, 300))  # newly founded
    name = f"云南{rng.choice(NAME_PARTS)}{rng.choice(NAME_STEMS)}{serial:05d}{rng.choice(SUFFIXES)}"
    enterprise: dict[str, Any] = {
        "uscc": _credit_code(rng, serial, county), "name": name, "county_code": county, "industry_code": industry,
        "legal_representative": rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(("伟", "芳", "敏", "强", "磊", "洁")),
        "established_on": founded.isoformat(),
        "contact_phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
        "contact_email": f"contact{serial}@example.cn",
        "niche_market": niche, "niche_since": min(today.year, founded.year + rng.randint(0, 3)),
        "main_products": [niche],
        "key_fields": sorted(set(key_fields) | ({"strategic_emerging"} if quality > 0.6 else set())),
        "ip": _ip(rng, quality), "rd_institutions": _institutions(rng, quality),
        "digital_level": min(4, 1 + int(quality * 3.6)),
        "core_systems": rng.sample(["CAX", "CAM", "MES", "ERP", "OA", "CRM", "SRM"], k=int(quality * 5)),
        "management_certs": ["ISO9001"] * (quality > 0.25) + ["ISO14001"] * (quality > 0.5),
        "product_certs": ["CE"] * (quality > 0.7),
        "quality": {"quality_system_certified": quality > 0.25, "own_brand": quality > 0.35,
                    "standards_drafted": quality > 0.75, "provincial_quality_award": quality > 0.9},
        "field_flags": {"strategic_emerging": quality > 0.6, "chain_gap_filling": quality > 0.85,
                        "serves_chain_leader": quality > 0.5},
        "national_market_share": str(round(Decimal(quality**3) * Decimal("0.25"), 4)),
        "market_position_attested": quality > 0.8,
        "evaluation_scores": [{"year": today.year - 1, "score": str(round(Decimal(30 + 65 * quality), 1))}],
        "compliance": [],
    }  # fmt: skip
    if serial % 211 == 17:
        enterprise["compliance"] = [
            {"kind": "abnormal_operation_list", "since": (today - timedelta(days=200)).isoformat()}
        ]
    demo = DemoEnterprise(enterprise, _financials(rng, quality, founded, today, serial))
    demo.recognitions = _recognitions(rng, quality, today)
    return demo


def _ip(rng: random.Random, quality: float) -> dict[str, int]:
    class1 = int(quality * 8 * rng.random() + (quality > 0.5) * 2)
    return {"class1_high_value": int(class1 * quality * 0.5), "class1_self_developed": int(class1 * 0.7),
            "class1": class1, "class2": int(quality * 30 * rng.random()), "invention_patents": class1,
            "class1_applied_main_product": int(class1 * 0.8)}  # fmt: skip


def _institutions(rng: random.Random, quality: float) -> list[dict[str, str]]:
    if quality < 0.3:
        return []
    level = "national" if quality > 0.93 else "provincial" if quality > 0.7 else "municipal"
    return [{"name": "企业技术中心", "level": level}]


def _financials(
    rng: random.Random, quality: float, founded: date, today: date, serial: int
) -> dict[int, dict[str, Any]]:
    revenue = Decimal(int(3_000_000 * (1 + 60 * quality**2) * (0.5 + rng.random())))
    years: dict[int, dict[str, Any]] = {}
    for year in range(today.year - 3, today.year):
        if year < founded.year:
            continue
        growth = Decimal(str(round(rng.gauss(0.02 + 0.18 * quality, 0.08), 4)))
        revenue = max(Decimal(0), (revenue * (1 + growth)).quantize(Decimal(1)))
        if serial % 499 == 3 and year == today.year - 2:
            revenue = Decimal(0)  # a zero-revenue year
        intensity = Decimal(str(round(0.005 + 0.09 * quality * rng.random() + 0.02 * quality, 4)))
        employees = max(3, int(20 + 600 * quality * rng.random()))
        years[year] = {
            "operating_revenue": revenue, "main_business_revenue": (revenue * Decimal("0.92")).quantize(Decimal(1)),
            "rd_expense": (revenue * intensity).quantize(Decimal(1)),
            "net_profit": (revenue * Decimal(str(round(rng.uniform(-0.05, 0.18), 3)))).quantize(Decimal(1)),
            "total_assets": (revenue * Decimal("1.4")).quantize(Decimal(1)),
            "total_liabilities": (revenue * Decimal(str(round(rng.uniform(0.3, 1.2), 3)))).quantize(Decimal(1)),
            "employees": employees, "rd_staff": int(employees * (0.05 + 0.3 * quality)),
            "new_equity_financing": Decimal(0), "audited": quality > 0.3,
        }  # fmt: skip
    if serial % 331 == 7 and len(years) == 3:
        del years[today.year - 2]  # a missing financial year
    return years


def _recognitions(rng: random.Random, quality: float, today: date) -> list[dict[str, Any]]:
    held = []
    granted = date(today.year - rng.randint(0, 2), rng.choice((6, 9, 12)), 1)
    ladder = (("innovative_sme", 0.35, "provincial"), ("srdi_sme", 0.72, "provincial"),
              ("little_giant", 0.955, "national"), ("single_champion", 0.997, "national"))  # fmt: skip
    for tier, floor, level in ladder:
        if quality > floor and granted <= today:
            held.append({"tier": tier, "level": level, "batch": f"{granted.year}年第{rng.randint(1, 2)}批",
                         "valid_from": granted.isoformat()})  # fmt: skip
    return held
