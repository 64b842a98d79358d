"""The demo living lab: enough pilots, every domain, track and state, live KPIs, a story."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.jobs.models import Job
from smartcity.core.platform import Platform
from smartcity.demo import load_demo
from smartcity.modules.livinglab import semantic
from smartcity.modules.livinglab.models import Challenge, Proposal
from smartcity.modules.livinglab.values import Domain, PilotState, Track


def test_the_demo_tells_the_story(platform: Platform, client: TestClient) -> None:
    assert load_demo(platform)
    figures = client.get("/api/v1/livinglab/dashboard").json()
    assert figures["total"] >= 140 and figures["published"] >= 140
    assert set(figures["by_domain"]) == {d.value for d in Domain}
    assert set(figures["by_track"]) == {t.value for t in Track}
    assert all(figures["by_state"][s.value] > 0 for s in PilotState)
    # Early bottom-up pilots complete about a third of the time; the challenge track does better.
    bottom_up = figures["by_track_outcome"]["bottom_up"]
    challenge = figures["by_track_outcome"]["challenge"]
    assert 0.2 < bottom_up["completed"] / bottom_up["concluded"] < 0.5
    assert challenge["completed"] / challenge["concluded"] > 0.6
    pilots = client.get("/api/v1/livinglab/pilots").json()
    titles = " ".join(p["title"] for p in pilots)
    for named in (
        "空氣盒子",
        "智慧病房",
        "松智路",
        "自駕小巴",
        "DSRC",
        "電子圍籬",
        "聲學",
        "數位市民卡",
    ):
        assert named in titles, named
    live = next(p for p in pilots if "第二期" in p["title"])
    kpis = client.get(f"/api/v1/livinglab/pilots/{live['id']}/kpis").json()
    assert [k["live"] for k in kpis] == ["live", "live"]
    assert all(k["current"] is not None for k in kpis)
    assert client.get("/api/v1/livinglab/barriers").json()
    assert len(client.get("/api/v1/livinglab/elsewhere").json()) == 2
    assert client.get("/api/v1/livinglab/challenges?status=open").json()
    # The dashboard lists the published pilots a page at a time, every one on some page.
    listed: set[str] = set()
    for number in range(1, 20):
        page = client.get(f"/livinglab?page={number}")
        assert page.status_code == 200
        found = set(re.findall(r"/livinglab/pilots/([0-9a-f-]{36})", page.text))
        if not found - listed:
            break
        listed |= found
    assert len(listed) >= 140


def test_the_demo_asks_for_every_text_matching_reads(platform: Platform) -> None:
    """Seeded rows bypass the services that ask search to embed: the seed asks at its end, so
    the worker beside the demo embeds them at once, not at the next hourly catch-up."""
    assert load_demo(platform)
    asked: dict[str, set[str]] = {}
    with platform.db.read_session() as session:
        for stored in session.scalars(select(Job.payload).where(Job.task == "search.embed")):
            payload = json.loads(stored)
            asked.setdefault(payload["kind"], set()).update(payload["texts"])
        rows = [semantic.challenge_texts(c) for c in session.scalars(select(Challenge))]
        rows += [semantic.of_proposal(p) for p in session.scalars(select(Proposal))]
    assert len(rows) > 100
    for kind, texts in semantic.wanted(rows).items():
        assert {t for t in texts if t.strip()} <= asked[kind.value], kind
