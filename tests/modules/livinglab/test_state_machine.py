"""Property tests: random transitions by random callers never reach an illegal state, never
skip a required step, and every transition is in the audit log."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Principal, Role, system_actor
from smartcity.core.errors import DomainError
from smartcity.core.platform import Platform
from smartcity.modules.livinglab import outcomes, service
from smartcity.modules.livinglab.access import caller_for
from smartcity.modules.livinglab.models import Pilot, Transition
from smartcity.modules.livinglab.settings import LivinglabSettings
from smartcity.modules.livinglab.statemachine import TRANSITIONS, next_states
from smartcity.modules.livinglab.values import PilotState

SETTINGS = LivinglabSettings()


def _org(role: Role, code: str) -> Principal:
    return Principal(
        kind="organisation",
        id=str(uuid.uuid5(uuid.NAMESPACE_DNS, code)),
        role=role,
        department=code if role == Role.OFFICER else None,
        organisation=code,
    )


CALLERS = {
    "office": _org(Role.OFFICER, "SCPMO"),
    "host": _org(Role.OFFICER, "DOT"),
    "other_officer": _org(Role.OFFICER, "DOE"),
    "vendor": _org(Role.VENDOR, "V-SENSE"),
    "other_vendor": _org(Role.VENDOR, "V-OTHER"),
    "citizen": Principal(kind="user", id=str(uuid.uuid4()), role=Role.CITIZEN),
    "admin": Principal(kind="user", id=str(uuid.uuid4()), role=Role.ADMIN),
}
STATES = [s.value for s in PilotState]
# "right" is whoever the move is meant for (office for screening, else the host): it keeps
# the random walk moving so that it reaches the late states often.
WHO = st.sampled_from([*sorted(CALLERS), "right", "right", "right", "right", "right"])
MOVE = st.tuples(
    st.just("move"),
    WHO,
    st.sampled_from([*STATES, "x", "next", "next", "next", "next", "next", "next"]),
)
ADVANCE = st.tuples(st.just("advance"), st.just("right"), st.just("next"))
moves = st.one_of(
    ADVANCE,
    ADVANCE,
    ADVANCE,
    MOVE,
    st.tuples(st.just("agreement"), WHO, st.just("")),
    st.tuples(st.just("kpi"), WHO, st.just("")),
    st.tuples(st.just("score"), WHO, st.just("")),
)


def _new_pilot(platform: Platform) -> uuid.UUID:
    with platform.unit_of_work(CALLERS["vendor"]) as uow:
        caller = caller_for(uow.session, CALLERS["vendor"], SETTINGS)
        proposal = service.submit_proposal(
            uow, caller, title="停車感測", summary="地磁感測路邊停車", domain="transport"
        )
        proposal_id = proposal.id
    with platform.unit_of_work(CALLERS["host"]) as uow:
        caller = caller_for(uow.session, CALLERS["host"], SETTINGS)
        return service.take_in(uow, caller, proposal_id).id


def _advance(platform: Platform, pilot_id: uuid.UUID) -> bool:
    """Do what the next step needs, as the right caller, then take it."""
    state = _state(platform, pilot_id).state
    if state == "matched":
        _act(platform, pilot_id, "agreement", "host", "")
    if state == "running":
        _act(platform, pilot_id, "kpi", "host", "")
    if state == "evaluating":
        _act(platform, pilot_id, "score", "host", "")
    return _act(platform, pilot_id, "move", "right", "next")


def _act(platform: Platform, pilot_id: uuid.UUID, kind: str, who: str, target: str) -> bool:
    if kind == "advance":
        return _advance(platform, pilot_id)
    if who == "right":
        state = _state(platform, pilot_id).state
        who = "office" if state in ("proposed",) or target == "screening" else "host"
    principal = CALLERS[who]
    try:
        with platform.unit_of_work(principal) as uow:
            caller = caller_for(uow.session, principal, SETTINGS)
            if kind == "move":
                if target == "next":
                    # Bias the walk forward: the first legal successor of the current state.
                    current = PilotState(service.get_pilot(uow.session, caller, pilot_id).state)
                    options = [s.value for s in next_states(current) if s != PilotState.WITHDRAWN]
                    target = options[0] if options else "withdrawn"
                service.transition(
                    uow,
                    caller,
                    pilot_id,
                    target,
                    reference="府授資字第 1 號" if target in ("adopted", "procured") else "",
                )
            elif kind == "agreement":
                service.update_pilot(uow, caller, pilot_id, {"agreement_ref": "MOU-1"})
            elif kind == "kpi":
                kpi = outcomes.declare_kpi(uow, caller, pilot_id, name="準確率", target=95.0)
                outcomes.record_value(uow, caller, kpi.id, 96.0)
            else:
                outcomes.score(uow, caller, pilot_id, "effectiveness", 4, "")
        return True
    except DomainError:
        return False


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(moves, min_size=8, max_size=40))
def test_random_moves_keep_the_machine_legal(platform: Platform, steps: list[Any]) -> None:
    pilot_id = _new_pilot(platform)
    made = 0
    for kind, who, target in steps:
        before = _state(platform, pilot_id)
        if who == "right":
            who = "office" if before.state == "proposed" or target == "screening" else "host"
        done = _act(platform, pilot_id, kind, who, target)
        after = _state(platform, pilot_id)
        assert after.state in STATES
        if kind in ("move", "advance") and after.state != before.state:
            made += 1
            assert (PilotState(before.state), PilotState(after.state)) in TRANSITIONS
            assert who not in ("citizen", "other_vendor", "other_officer")
            if after.state == "running":
                assert after.agreement_ref
            if after.state in ("adopted", "procured"):
                assert before.state == "evaluating" and after.decision_reference
            if after.published is False:
                assert after.state in ("proposed", "screening", "withdrawn")
        else:
            assert after.state == before.state
            assert kind != "move" or not done
    event(f"final state: {_state(platform, pilot_id).state}")
    session = platform.db.read_session()
    try:
        history = list(
            session.execute(
                select(Transition).where(Transition.pilot_id == pilot_id).order_by(Transition.at)
            ).scalars()
        )
        # The recorded history is a chain of legal moves from `proposed`.
        assert history[0].to_state == "proposed" and history[0].from_state is None
        for earlier, later in itertools.pairwise(history):
            assert later.from_state == earlier.to_state
            assert (PilotState(later.from_state), PilotState(later.to_state)) in TRANSITIONS
        # No required step was skipped: evaluating comes only after running, running only
        # after agreed, agreed only after matched.
        seen = [h.to_state for h in history]
        for step, needs in (
            ("evaluating", "running"),
            ("running", "agreed"),
            ("agreed", "matched"),
        ):
            if step in seen:
                assert needs in seen[: seen.index(step)]
        audited = list(
            session.execute(
                select(AuditEntry).where(
                    AuditEntry.action == "livinglab.pilot.transitioned",
                    AuditEntry.object_id == str(pilot_id),
                )
            ).scalars()
        )
        assert len(audited) == made == len(history) - 1
    finally:
        session.close()


def test_the_happy_path_is_walkable(platform: Platform) -> None:
    pilot_id = _new_pilot(platform)
    script = [
        ("move", "office", "screening"),
        ("move", "host", "matched"),
        ("agreement", "host", ""),
        ("move", "host", "agreed"),
        ("move", "host", "preparing"),
        ("move", "host", "running"),
        ("kpi", "vendor", ""),
        ("move", "host", "evaluating"),
        ("score", "office", ""),
        ("move", "office", "procured"),
    ]
    for kind, who, target in script:
        assert _act(platform, pilot_id, kind, who, target), (kind, who, target)
    assert _state(platform, pilot_id).state == "procured"


def _state(platform: Platform, pilot_id: uuid.UUID) -> Pilot:
    session = platform.db.read_session()
    try:
        pilot = session.get(Pilot, pilot_id)
        assert pilot is not None
        return pilot
    finally:
        session.close()


def test_every_transition_names_its_callers_and_is_reachable() -> None:
    reachable = {PilotState.PROPOSED}
    frontier = [PilotState.PROPOSED]
    while frontier:
        state = frontier.pop()
        for source, target in TRANSITIONS:
            if source == state and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(PilotState)
    assert all(move.actors for move in TRANSITIONS.values())
    assert system_actor("x").role is None
