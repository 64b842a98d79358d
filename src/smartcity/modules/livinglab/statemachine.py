"""The pilot state machine: one table of legal moves, who may make each, and what it needs.

Each move is a command: `check_move` either returns the rule for the move or
raises the domain error that says why not (409 for an illegal move or a missing
precondition, 403 for a caller who may not make it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from smartcity.core.errors import Conflict, InvalidInput
from smartcity.modules.livinglab.values import PilotState as S


class Actor(StrEnum):
    """The parts a caller can play for one pilot."""

    OFFICE = "office"
    """The project management office (or an administrator)."""
    HOST = "host"
    """An officer of the pilot's host department (or an administrator)."""
    VENDOR = "vendor"
    """The vendor running the pilot."""


class Need(StrEnum):
    """Preconditions a move can have."""

    DEPARTMENT = "department"
    """A host department is named."""
    AGREEMENT = "agreement"
    """A cooperation agreement reference is recorded."""
    KPIS_MEASURED = "kpis_measured"
    """At least one KPI, each with a target and a measured value."""
    EVALUATED = "evaluated"
    """At least one opportunity-evaluation score."""
    REFERENCE = "reference"
    """A policy or procurement reference comes with the move."""


@dataclass(frozen=True)
class Move:
    """One legal transition."""

    source: S
    target: S
    actors: frozenset[Actor]
    needs: tuple[Need, ...] = ()


def _m(source: S, target: S, actors: set[Actor], *needs: Need) -> Move:
    return Move(source, target, frozenset(actors), needs)


OFFICE, HOST, VENDOR = Actor.OFFICE, Actor.HOST, Actor.VENDOR
_WITHDRAWABLE = (S.PROPOSED, S.SCREENING, S.MATCHED, S.AGREED, S.PREPARING, S.RUNNING, S.EXTENDED)

TRANSITIONS: dict[tuple[S, S], Move] = {
    (m.source, m.target): m
    for m in [
        _m(S.PROPOSED, S.SCREENING, {OFFICE}),
        _m(S.SCREENING, S.MATCHED, {OFFICE, HOST}, Need.DEPARTMENT),
        _m(S.SCREENING, S.CLOSED, {OFFICE}),
        _m(S.MATCHED, S.AGREED, {HOST}, Need.DEPARTMENT, Need.AGREEMENT),
        _m(S.AGREED, S.PREPARING, {HOST}, Need.AGREEMENT),
        _m(S.PREPARING, S.RUNNING, {HOST}, Need.AGREEMENT),
        _m(S.RUNNING, S.EVALUATING, {HOST}, Need.KPIS_MEASURED),
        _m(S.EVALUATING, S.ADOPTED, {HOST, OFFICE}, Need.EVALUATED, Need.REFERENCE),
        _m(S.EVALUATING, S.PROCURED, {HOST, OFFICE}, Need.EVALUATED, Need.REFERENCE),
        _m(S.EVALUATING, S.EXTENDED, {HOST, OFFICE}, Need.EVALUATED),
        _m(S.EVALUATING, S.CLOSED, {HOST, OFFICE}, Need.EVALUATED),
        _m(S.EXTENDED, S.RUNNING, {HOST}, Need.AGREEMENT),
        _m(S.EXTENDED, S.CLOSED, {HOST, OFFICE}),
        *[_m(state, S.WITHDRAWN, {OFFICE, HOST, VENDOR}) for state in _WITHDRAWABLE],
    ]
}
"""Every legal move; anything not listed is refused with 409."""

NEED_TEXT = {
    Need.DEPARTMENT: "a host department must be named first",
    Need.AGREEMENT: "a cooperation agreement must be recorded before this step",
    Need.KPIS_MEASURED: "the pilot needs KPIs with targets and a measured value for each",
    Need.EVALUATED: "the opportunity evaluation needs at least one score",
    Need.REFERENCE: "a policy or procurement reference is required for this decision",
}


def parse_state(value: str) -> S:
    """The state called `value`, or a 422 naming the known states."""
    try:
        return S(value)
    except ValueError:
        raise InvalidInput(
            f"unknown state {value!r}; states are: {', '.join(s.value for s in S)}",
            code="unknown_state",
        ) from None


def next_states(source: S) -> list[S]:
    """States reachable from `source` in one move."""
    return [target for (start, target) in TRANSITIONS if start == source]


def check_move(
    source: S,
    target: S,
    actors: set[Actor],
    satisfied: Callable[[Need], bool],
) -> Move:
    """The move from `source` to `target` if legal, allowed to `actors` and ready; else why not."""
    move = TRANSITIONS.get((source, target))
    if move is None:
        allowed = ", ".join(s.value for s in next_states(source)) or "none (final state)"
        raise Conflict(
            f"a pilot cannot go from {source.value} to {target.value}; allowed next: {allowed}",
            code="illegal_transition",
            current_state=source.value,
            allowed=[s.value for s in next_states(source)],
        )
    if not actors & move.actors:
        from smartcity.core.errors import PermissionDenied

        raise PermissionDenied(
            f"{source.value} → {target.value} is made by: "
            + ", ".join(sorted(a.value for a in move.actors)),
            code="transition_not_permitted",
        )
    for need in move.needs:
        if not satisfied(need):
            raise Conflict(
                f"cannot go from {source.value} to {target.value}: {NEED_TEXT[need]}",
                code=f"precondition_{need.value}",
                current_state=source.value,
            )
    return move
