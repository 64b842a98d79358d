"""The bill state machine: the only legal moves, in one table (drawn by `as_dot`)."""

from __future__ import annotations

from smartcity.modules.payments import errors
from smartcity.modules.payments.values import BillState

TRANSITIONS: dict[BillState, frozenset[BillState]] = {
    BillState.OPEN: frozenset({BillState.PAID, BillState.CANCELLED, BillState.EXPIRED}),
    BillState.PAID: frozenset({BillState.WRITTEN_OFF}),
    BillState.WRITTEN_OFF: frozenset(),
    BillState.CANCELLED: frozenset(),
    BillState.EXPIRED: frozenset(),
}
"""From each state, the states a bill may move to. Terminal states have none."""


def can_move(current: BillState | str, target: BillState | str) -> bool:
    """Whether `current → target` is in the table."""
    return BillState(target) in TRANSITIONS[BillState(current)]


def check_move(current: BillState | str, target: BillState | str) -> BillState:
    """`target`, or a Conflict naming the illegal move."""
    if not can_move(current, target):
        raise errors.IllegalBillTransition(
            f"a bill cannot go from {current} to {target}",
        )
    return BillState(target)


def as_dot() -> str:
    """The table as Graphviz DOT (`smartcity payments states | dot -Tsvg`)."""
    lines = ["digraph bill {", "  rankdir=LR;"]
    for source, targets in TRANSITIONS.items():
        shape = "doublecircle" if not targets else "circle"
        lines.append(f'  "{source}" [shape={shape}];')
        for target in sorted(targets):
            lines.append(f'  "{source}" -> "{target}";')
    lines.append("}")
    return "\n".join(lines)
