"""The plans' targets for the tier pyramid (seeds: the 2023–2025 and 2025–2027 plans of Yunnan):
by 2025, 2,800 innovative SMEs, 900 SRDI SMEs, 120 little giants, 12 single champions; by 2027,
6,000 / 3,000 / 170 (no single-champion figure); every year +1,000 innovative and +500 SRDI SMEs.
Seed banks hold 2× (innovative, SRDI) or 3× (little giant) the year's growth, filed by 31 January."""

from __future__ import annotations

TIERS = ("innovative_sme", "srdi_sme", "little_giant", "single_champion")
TARGETS = {
    "2025": {"innovative_sme": 2800, "srdi_sme": 900, "little_giant": 120, "single_champion": 12},
    "2027": {"innovative_sme": 6000, "srdi_sme": 3000, "little_giant": 170},
}
YEARLY_INCREMENT = {"innovative_sme": 1000, "srdi_sme": 500}
SEED_BANK_MULTIPLE = {"innovative_sme": 2, "srdi_sme": 2, "little_giant": 3}
COVERAGE_TARGET = "0.80"
PREFECTURES = {
    "5301": "昆明市", "5303": "曲靖市", "5304": "玉溪市", "5305": "保山市", "5306": "昭通市", "5307": "丽江市",
    "5308": "普洱市", "5309": "临沧市", "5323": "楚雄州", "5325": "红河州", "5326": "文山州", "5328": "西双版纳州",
    "5329": "大理州", "5331": "德宏州", "5333": "怒江州", "5334": "迪庆州",
}  # fmt: skip
