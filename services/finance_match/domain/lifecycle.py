"""The financing need's life cycle (pure): which action is legal in which state.

posted → matched → accepted (受理) → approved → disbursed (放款); declined, withdrawn or expired from an
open state. Anything else is an :class:`IllegalTransition`, which the API turns into 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.finance_match.domain.vocabulary import STATE_ZH, NeedState


class Action(StrEnum):
    MATCH = "match"
    ACCEPT = "accept"
    APPROVE = "approve"
    DISBURSE = "disburse"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


ACTION_ZH = {
    Action.MATCH: "匹配",
    Action.ACCEPT: "受理",
    Action.APPROVE: "审批",
    Action.DISBURSE: "放款",
    Action.DECLINE: "拒绝",
    Action.WITHDRAW: "撤回",
    Action.EXPIRE: "过期",
}

S = NeedState
TRANSITIONS: dict[tuple[NeedState, Action], NeedState] = {
    (S.POSTED, Action.MATCH): S.MATCHED,
    (S.MATCHED, Action.MATCH): S.MATCHED,  # re-ranking (tier changed) keeps the state
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


@dataclass
class IllegalTransition(Exception):
    state: NeedState
    action: Action

    def __str__(self) -> str:
        return f"cannot {self.action.value} a need in state {self.state.value}"

    @property
    def zh(self) -> str:
        return f"需求当前状态为“{STATE_ZH[self.state]}”（{self.state.value}），不能{ACTION_ZH[self.action]}"


def next_state(state: NeedState, action: Action) -> NeedState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None


def allowed_actions(state: NeedState) -> list[Action]:
    return [action for (s, action) in TRANSITIONS if s is state]
