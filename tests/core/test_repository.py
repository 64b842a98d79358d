"""The shared repository helpers: new ids, the get-or-404, paging and module settings."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from smartcity.core.auth import system_actor
from smartcity.core.errors import NotFound
from smartcity.core.platform import Platform
from smartcity.core.repository import as_id, get_or_404, new_id, page, settings_of
from smartcity.modules.chatbot.models import QuestionLog
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.livinglab.settings import LivinglabSettings
from smartcity.modules.sensors.models import Thing


def _log(platform: Platform, count: int) -> list[uuid.UUID]:
    with platform.unit_of_work(system_actor("test")) as uow:
        rows = [
            QuestionLog(channel="api", text=f"q{n}", outcome="declined", triage_state="open")
            for n in range(count)
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        uow.audit("test.logged", "test", "rows", {"count": count})
        return [row.id for row in rows]


def test_new_ids_are_random_uuids() -> None:
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100 and all(i.version == 4 for i in ids)


def test_as_id_reads_uuids_and_refuses_anything_else() -> None:
    known = new_id()
    assert as_id(known) is known and as_id(str(known)) == known
    assert as_id("not-a-uuid") is None and as_id("") is None


def test_get_or_404_finds_a_row_by_uuid_or_its_text(platform: Platform) -> None:
    [row_id] = _log(platform, 1)
    with platform.db.read_session() as session:
        assert get_or_404(session, QuestionLog, row_id, code="question_not_found").text == "q0"
        assert get_or_404(session, QuestionLog, str(row_id), code="question_not_found").id == row_id


@pytest.mark.parametrize("reference", [uuid.UUID(int=7), "not-a-uuid", ""])
def test_get_or_404_answers_the_modules_code_for_unknown_and_malformed_ids(
    platform: Platform, reference: uuid.UUID | str
) -> None:
    with platform.db.read_session() as session, pytest.raises(NotFound) as raised:
        get_or_404(session, QuestionLog, reference, code="question_not_found")
    assert raised.value.code == "question_not_found" and raised.value.status == 404
    assert raised.value.detail == "no such question"


def test_get_or_404_takes_integer_keys_as_they_are(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        thing = Thing(name="station")
        uow.session.add(thing)
        uow.session.flush()
        uow.audit("test.made", "thing", thing.id, {})
        thing_id = thing.id
    with platform.db.read_session() as session:
        assert get_or_404(session, Thing, thing_id, code="unknown_device").name == "station"
        with pytest.raises(NotFound) as raised:
            get_or_404(session, Thing, thing_id + 1, code="unknown_device")
    assert raised.value.code == "unknown_device"


def test_get_or_404_keeps_a_modules_own_wording(platform: Platform) -> None:
    with platform.db.read_session() as session, pytest.raises(NotFound) as raised:
        get_or_404(session, QuestionLog, new_id(), code="kpi_not_found", detail="no such KPI")
    assert raised.value.detail == "no such KPI"


def test_pages_cover_an_ordered_query_without_gaps_or_overlap(platform: Platform) -> None:
    ids = _log(platform, 7)
    ordered = select(QuestionLog.id).order_by(QuestionLog.id)
    with platform.db.read_session() as session:
        pages = [list(session.scalars(page(ordered, limit=3, offset=n))) for n in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == sorted(ids)


def test_page_without_offset_is_a_plain_limit() -> None:
    query = page(select(QuestionLog.id), limit=5)
    assert query._limit_clause is not None and query._offset_clause is None


def test_settings_of_gives_the_platforms_object_or_the_defaults(platform: Platform) -> None:
    configured = ChatbotSettings(helpline="0800-000-000")
    platform.module_settings["chatbot"] = configured
    assert settings_of(platform, "chatbot", ChatbotSettings) is configured
    # Another module's object under the name, or none at all, gives the defaults.
    platform.module_settings["livinglab"] = configured
    assert settings_of(platform, "livinglab", LivinglabSettings) == LivinglabSettings()
    assert settings_of(platform, "nothing", ChatbotSettings) == ChatbotSettings()
