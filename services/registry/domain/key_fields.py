"""Key-field tags (重点领域): the fields the little-giant criteria and the Yunnan plans name.

Codes are stable (``group.name``); labels are zh + en. Sources: the criteria's 品 (field) clause —
the six industrial foundations, the ten key industries, the four network-power fields — the
strategic-emerging-industry flag, and the Yunnan priority chains of the 2025–2027 plan (seed 004, 二(四))
plus the province's long-standing advantage industries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyField:
    code: str
    zh: str
    en: str


def _group(prefix: str, entries: list[tuple[str, str, str]]) -> list[KeyField]:
    return [KeyField(f"{prefix}.{code}", zh, en) for code, zh, en in entries]


KEY_FIELDS: tuple[KeyField, ...] = tuple(
    _group("six_foundations", [
        ("core_basic_components", "核心基础零部件", "core basic components"),
        ("electronic_components", "元器件", "electronic components"),
        ("key_software", "关键软件", "key software"),
        ("advanced_basic_processes", "先进基础工艺", "advanced basic processes"),
        ("key_basic_materials", "关键基础材料", "key basic materials"),
        ("industrial_technology_base", "产业技术基础", "industrial technology base"),
    ])
    + _group("ten_industries", [
        ("new_generation_it", "新一代信息技术产业", "new-generation information technology"),
        ("cnc_machine_tools_robots", "高档数控机床和机器人", "high-end CNC machine tools and robots"),
        ("aerospace", "航空航天装备", "aerospace equipment"),
        ("ocean_engineering_ships", "海洋工程装备及高技术船舶", "ocean engineering and high-tech ships"),
        ("rail_transit", "先进轨道交通装备", "advanced rail transit equipment"),
        ("new_energy_vehicles", "节能与新能源汽车", "energy-saving and new-energy vehicles"),
        ("power_equipment", "电力装备", "power equipment"),
        ("agricultural_machinery", "农机装备", "agricultural machinery"),
        ("new_materials", "新材料", "new materials"),
        ("medical_devices", "高性能医疗器械", "high-performance medical devices"),
    ])
    + _group("network_power", [
        ("information_infrastructure", "信息基础设施", "information infrastructure"),
        ("key_core_technologies", "关键核心技术", "key core technologies"),
        ("network_security", "网络安全", "network security"),
        ("data_security", "数据安全", "data security"),
    ])
    + [KeyField("strategic_emerging", "战略性新兴产业", "strategic emerging industry")]
    + _group("yunnan_chain", [
        ("nonferrous_al_cu", "铝、铜有色金属深加工", "aluminium and copper deep processing"),
        ("rare_precious_metals", "铟锗铂稀贵金属新材料", "indium, germanium, platinum-group new materials"),
        ("phosphate_battery", "磷矿—磷酸—正极材料—电池全产业链", "phosphate → phosphoric acid → cathode → battery"),
        ("south_asia_information", "面向南亚东南亚外向型信息产业", "outward information industry for South & SE Asia"),
        ("biomedicine", "生物医药", "biomedicine"),
        ("plateau_agriculture", "高原特色现代农业", "plateau specialty agriculture processing"),
        ("green_energy", "绿色能源", "green energy"),
        ("silicon_photovoltaic", "绿色硅光伏", "green silicon and photovoltaics"),
    ])
)  # fmt: skip
_BY_CODE = {field.code: field for field in KEY_FIELDS}


def is_known(code: str) -> bool:
    return code in _BY_CODE


def label(code: str) -> KeyField:
    return _BY_CODE[code]
