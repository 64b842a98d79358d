"""Matching's fusion: words, closeness in meaning and the domain prior."""

from __future__ import annotations

from datetime import date

from smartcity.modules.livinglab.matching import Meaning, Need, Offer, Site, rank_offers, rank_sites

NEED = Need(
    id="need",
    title="獨居長者在家跌倒沒人知道",
    text="長輩一個人住，跌倒後無法求救，希望家屬第一時間得知。",
    domain="health",
)
# Repeats the need's words about another need.
LOOK_ALIKE = Offer(
    id="look-alike",
    title="獨居長者共餐",
    text="長輩一個人住，家屬希望長者在據點吃飯。",
    domain="health",
)
# Solves the need in words it does not share.
RIGHT = Offer(
    id="right",
    title="毫米波雷達姿態感知",
    text="不用鏡頭，以雷達偵測倒地不動並自動撥號。",
    domain="health",
)


def test_closeness_in_meaning_outweighs_shared_words() -> None:
    meanings = {
        "right": Meaning(1.0, NEED.title, RIGHT.title),
        "look-alike": Meaning(-1.0, NEED.title, LOOK_ALIKE.title),
    }
    lexical = rank_offers(NEED, [LOOK_ALIKE, RIGHT])
    fused = rank_offers(NEED, [LOOK_ALIKE, RIGHT], meanings=meanings)
    assert [r.id for r in lexical] == ["look-alike", "right"]
    assert [r.id for r in fused] == ["right", "look-alike"]
    assert f"「{NEED.title}」↔「{RIGHT.title}」" in " ".join(fused[0].reasons)


def test_a_proposal_of_the_challenges_domain_ranks_above_another_domains_look_alike() -> None:
    elsewhere = Offer(id="elsewhere", title=NEED.title, text=NEED.text, domain="security")
    ranked = rank_offers(NEED, [elsewhere, RIGHT])
    assert [r.id for r in ranked] == ["right", "elsewhere"]
    assert any(r.startswith("不同領域") for r in ranked[1].reasons)


def test_meaning_far_closer_than_every_proposal_of_the_domain_crosses_it() -> None:
    elsewhere = Offer(
        id="elsewhere", title="居家照護雷達", text="雷達偵測長者姿態。", domain="security"
    )
    meanings = {
        "elsewhere": Meaning(4.0, NEED.title, elsewhere.title),
        "look-alike": Meaning(-1.0, NEED.title, LOOK_ALIKE.title),
    }
    ranked = rank_offers(NEED, [LOOK_ALIKE, elsewhere], meanings=meanings)
    assert ranked[0].id == "elsewhere"


def test_a_field_s_kind_is_named_in_both_languages_in_the_reasons() -> None:
    offer = Offer(
        id="o", title="路口偵測", text="", domain="transport", field_kinds=frozenset({"road"})
    )
    site = Site(
        id="s",
        name="信義路",
        kind="road",
        department="DOT",
        domains=frozenset(),
        free_from=date(2026, 12, 8),
    )
    (ranked,) = rank_sites(offer, [site])
    assert "場域類型相符 field kind fits: 道路 road" in ranked.reasons
