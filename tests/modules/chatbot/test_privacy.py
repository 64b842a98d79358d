"""National IDs, phone and card numbers typed into the chat are masked before they are stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from smartcity.cli import build_cli
from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.modules.chatbot import service
from smartcity.modules.chatbot.models import ItemVersion, QuestionLog, Variant
from smartcity.modules.chatbot.privacy import mask_personal_data
from smartcity.modules.chatbot.values import Channel
from tests.conftest import Actors, bearer

LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"  # in the order of their codes 10…35
FILLER = st.text(alphabet="請問我的罰單要怎麼繳謝謝，。 ", max_size=6)


def _national_id(letter: str, second: str, body: str) -> str:
    """A national ID (second digit 1/2) or resident certificate number (8/9), check digit added."""
    code = 10 + LETTERS.index(letter)
    digits = [code // 10, code % 10, int(second), *map(int, body)]
    total = sum(d * w for d, w in zip(digits, [1, 9, 8, 7, 6, 5, 4, 3, 2, 1], strict=True))
    return f"{letter}{second}{body}{(10 - total % 10) % 10}"


def _luhn(stem: str) -> str:
    total = 0
    for position, char in enumerate(reversed(stem)):
        digit = int(char)
        if position % 2 == 0:  # doubled: the check digit will shift every position by one
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return stem + str((10 - total % 10) % 10)


national_ids = st.builds(
    _national_id,
    st.sampled_from(LETTERS),
    st.sampled_from("1289"),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)


def _card(first: str, rest: str, separator: str) -> str:
    """A Luhn-valid card number, in groups of four as printed."""
    number = _luhn(first + rest)
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


cards = st.builds(
    _card,
    st.sampled_from("3456"),
    st.text(alphabet="0123456789", min_size=11, max_size=17),
    st.sampled_from(["", " ", "-"]),
)
mobiles = st.builds(
    lambda digits, style: style.format(*digits),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.sampled_from(
        [
            "09{}{}{}{}{}{}{}{}",
            "09{}{}-{}{}{}-{}{}{}",
            "09{}{} {}{}{} {}{}{}",
            "+886 9{}{} {}{}{} {}{}{}",
        ]
    ),
)
landlines = st.builds(
    lambda area, first, rest, style: style.format(area, first + rest),
    st.sampled_from(["02", "03", "037", "04", "049", "05", "06", "07", "08", "089"]),
    st.sampled_from("2345678"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["{}-{}", "({}){}", "{} {}", "{}{}"]),
)


@given(FILLER, st.one_of(national_ids, cards, mobiles, landlines), FILLER)
def test_personal_numbers_are_always_masked(before: str, number: str, after: str) -> None:
    masked = mask_personal_data(before + number + after)
    assert masked.startswith(before) and masked.endswith(after)
    middle = masked[len(before) : len(masked) - len(after)]
    assert len(middle) == len(number)
    assert not any(ch.isdigit() for ch in middle[-4:]), middle


@given(national_ids)
def test_a_lower_case_or_full_width_id_is_masked_too(number: str) -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in number)
    for typed in (number.lower(), full_width):
        assert set(mask_personal_data(typed)) == {"*"}


@given(national_ids)
def test_a_wrong_check_digit_is_not_an_id(number: str) -> None:
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert mask_personal_data(wrong) == wrong


ordinary = st.one_of(
    st.dates().map(lambda d: f"{d:%Y-%m-%d}"),
    st.dates().map(lambda d: f"{d:%Y/%m/%d}"),
    st.dates().map(lambda d: f"{d:%Y%m%d}"),
    st.dates().map(lambda d: f"{d.year - 1911}年{d.month}月{d.day}日"),
    st.integers(min_value=1, max_value=10**12).map(str),
    st.integers(min_value=1, max_value=10**12).map(lambda n: f"NT${n:,}"),
    st.integers(min_value=1, max_value=10**9).map(lambda n: f"{n}元"),
    st.builds(
        lambda dept, n: f"{dept}-FEE{n:02d}",
        st.sampled_from(["TWD", "PMO", "DOT"]),
        st.integers(0, 99),
    ),
    st.times().map(lambda t: f"{t:%H:%M}"),
    st.just("1999"),
)


@given(FILLER, ordinary, FILLER)
def test_dates_amounts_and_fee_codes_are_left_alone(before: str, value: str, after: str) -> None:
    text = before + value + after
    assert mask_personal_data(text) == text


ID = _national_id("A", "1", "2345678")
QUESTION = f"我的身分證{ID}，手機0912-345-678，家裡的貓一直打噴嚏怎麼辦？"
MASKED = "我的身分證**********，手機****-***-***，家裡的貓一直打噴嚏怎麼辦？"


def test_a_question_is_stored_masked_in_the_log_triage_variants_and_audit(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        item = service.create_item(uow, question="交通罰單如何繳納？", answer="可至超商繳納。")
        item_id = str(item.id)
    asked = client.post("/api/v1/chatbot/ask", json={"question": QUESTION})
    assert asked.status_code == 200 and asked.json()["question"] == MASKED
    client.post("/chat/ask", data={"question": QUESTION})
    service.ask(platform, QUESTION, channel=Channel.LINE, user_ref="line-user")
    with platform.db.read_session() as session:
        logged = session.scalars(select(QuestionLog.text)).all()
    assert logged == [MASKED] * 3
    staff = bearer(actors.token(Role.ADMIN))
    triage = client.get("/api/v1/chatbot/triage", headers=staff).json()
    shown = [q["text"] for cluster in triage for q in cluster["questions"]]
    assert shown and set(shown) == {MASKED}
    question_id = triage[0]["questions"][0]["question_id"]
    resolved = client.post(
        f"/api/v1/chatbot/triage/{question_id}/resolve", json={"item": item_id}, headers=staff
    )
    assert resolved.status_code == 200 and resolved.json()["variants"] == [MASKED]
    with platform.db.read_session() as session:
        changes = " ".join(session.scalars(select(AuditEntry.change_json)))
    assert "**********" in changes
    assert ID not in changes and "0912-345-678" not in changes


def test_the_command_masks_what_was_stored_before(
    platform: Platform, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        item = service.create_item(uow, question="交通罰單如何繳納？", answer="可至超商繳納。")
        item_id = item.id
    raw = [f"我的身分證{ID}要繳罰單", f"我的身分證{_national_id('F', '2', '7654321')}要繳罰單"]
    with platform.db.write_session() as session, session.begin():
        # Rows as they were stored before questions were masked on entry.
        for text in raw:
            session.add(QuestionLog(channel="web", text=text, outcome="declined"))
            session.add(Variant(item_id=item_id, text=text, source="taught"))
        session.add(
            ItemVersion(item_id=item_id, version=99, snapshot={"variants": raw}, changed_by="x")
        )
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", database_url)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(build_cli(), ["chatbot", "mask-personal-data"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("masked 2 question(s) and 1 variant(s); 1 variant(s) merged")
    masked = "我的身分證**********要繳罰單"
    with platform.db.read_session() as session:
        assert session.scalars(select(QuestionLog.text)).all() == [masked, masked]
        assert session.scalars(select(Variant.text)).all() == [masked]
        snapshots = [v.snapshot["variants"] for v in session.scalars(select(ItemVersion))]
        assert [masked] in snapshots and not any(raw[0] in s for s in snapshots)
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "chatbot.personal_data.masked" in actions
    again = CliRunner().invoke(build_cli(), ["chatbot", "mask-personal-data"])
    assert again.stdout.startswith("masked 0 question(s) and 0 variant(s); 0 variant(s) merged")
