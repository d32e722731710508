"""Paired banks: balanced across the banks covering a prefecture, by capacity, deterministic."""

from __future__ import annotations

from collections import Counter

from services.finance_match.domain.pairing import BankCapacity, assign_all, choose_bank


def test_equal_banks_get_equal_shares() -> None:
    banks = [BankCapacity(b, frozenset({"5301"}), 100) for b in ("bank-a", "bank-b", "bank-c")]
    result = assign_all([(f"e{i}", "5301") for i in range(30)], banks, {})
    assert Counter(result.values()) == {"bank-a": 10, "bank-b": 10, "bank-c": 10}


def test_shares_follow_capacity_and_existing_load() -> None:
    banks = [BankCapacity("bank-big", frozenset({"5301"}), 300), BankCapacity("bank-small", frozenset({"5301"}), 100)]
    result = assign_all([(f"e{i}", "5301") for i in range(40)], banks, {})
    assert Counter(result.values()) == {"bank-big": 30, "bank-small": 10}
    loaded = assign_all([(f"e{i}", "5301") for i in range(10)], banks, {"bank-big": 60})
    assert Counter(loaded.values()) == {"bank-small": 10}  # 60/300 = 0.2 until small reaches 20/100


def test_only_banks_covering_the_prefecture_and_with_room() -> None:
    banks = [BankCapacity("bank-km", frozenset({"5301"}), 100), BankCapacity("bank-hh", frozenset({"5325"}), 1)]
    assert choose_bank("5325", banks, {}) == "bank-hh"
    assert choose_bank("5325", banks, {"bank-hh": 1}) is None  # full
    assert choose_bank("5334", banks, {}) is None  # nobody covers Diqing
    assert choose_bank("5301", banks, {}, exclude=frozenset({"bank-km"})) is None


def test_ties_go_to_the_lowest_bank_id_whatever_the_order() -> None:
    banks = [BankCapacity(b, frozenset({"5301"}), 10) for b in ("bank-z", "bank-m", "bank-a")]
    assert choose_bank("5301", banks, {}) == "bank-a"
    assert choose_bank("5301", list(reversed(banks)), {}) == "bank-a"
