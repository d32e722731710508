"""Small domain rules of the enterprise record that are not validation of a single code."""

from __future__ import annotations


def mask_contact(value: str) -> str:
    """Mask a phone number or e-mail for feeds, lists and logs: 138****5678, z***@example.com."""
    value = value.strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)


def mask_person(value: str) -> str:
    """Mask a person's name: 张三 → 张*, 欧阳娜娜 → 欧***, John Smith → J*********."""
    value = value.strip()
    return value[:1] + "*" * max(1, len(value) - 1) if value else value
