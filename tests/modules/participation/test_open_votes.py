"""`open_votes_for`: the votes open now, for another module (the chatbot) to list."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.participation import service
from tests.conftest import Actors
from tests.modules.participation.conftest import new_vote


def test_open_votes_close_soonest_first_and_say_who_may_vote(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    later, _ = new_vote(client, actors, title="晚關 Later")
    sooner, _ = new_vote(
        client,
        actors,
        title="早關 Sooner",
        closes_at=(utcnow() + timedelta(days=2)).isoformat(),
        eligibility={"verification_level": "verified"},
    )
    citizen, _ = actors.citizen()
    with platform.db.read_session() as session:
        votes = service.open_votes_for(session, uuid.UUID(citizen))
    assert [str(v.vote_id) for v in votes] == [sooner["id"], later["id"]]
    assert votes[0].refusal is not None and votes[1].refusal is None


def test_open_votes_for_no_one_list_the_votes_without_judging_eligibility(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    vote, _ = new_vote(client, actors, eligibility={"verification_level": "verified"})
    with platform.db.read_session() as session:
        votes = service.open_votes_for(session, None)
    assert [(str(v.vote_id), v.refusal) for v in votes] == [(vote["id"], None)]
