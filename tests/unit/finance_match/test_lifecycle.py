"""The need's life cycle: every legal transition, and every other (state, action) pair refused with
the state named."""

from __future__ import annotations

import itertools

import pytest

from services.finance_match.domain.lifecycle import TRANSITIONS, Action, IllegalTransition, allowed_actions, next_state
from services.finance_match.domain.vocabulary import NeedState

S = NeedState
LEGAL = {
    (S.POSTED, Action.MATCH): S.MATCHED,
    (S.MATCHED, Action.MATCH): S.MATCHED,
    (S.MATCHED, Action.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, Action.APPROVE): S.APPROVED,
    (S.APPROVED, Action.DISBURSE): S.DISBURSED,
    (S.MATCHED, Action.DECLINE): S.DECLINED,
    (S.ACCEPTED, Action.DECLINE): S.DECLINED,
    (S.APPROVED, Action.DECLINE): S.DECLINED,
    (S.POSTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.MATCHED, Action.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, Action.WITHDRAW): S.WITHDRAWN,
    (S.POSTED, Action.EXPIRE): S.EXPIRED,
    (S.MATCHED, Action.EXPIRE): S.EXPIRED,
}


@pytest.mark.parametrize(("state", "action"), list(LEGAL))
def test_legal_transitions(state: NeedState, action: Action) -> None:
    assert next_state(state, action) is LEGAL[(state, action)]


ILLEGAL = [pair for pair in itertools.product(NeedState, Action) if pair not in LEGAL]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_illegal_transitions_name_the_state(state: NeedState, action: Action) -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_state(state, action)
    assert caught.value.state is state
    assert state.value in str(caught.value) and state.value in caught.value.zh


def test_the_table_is_exactly_the_legal_set_and_closed_states_are_final() -> None:
    assert TRANSITIONS == LEGAL
    for final in (S.DISBURSED, S.DECLINED, S.WITHDRAWN, S.EXPIRED):
        assert allowed_actions(final) == []
