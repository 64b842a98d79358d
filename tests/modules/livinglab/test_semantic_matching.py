"""Matching by meaning through the search service: the sentences that met, similar proposals."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import numpy as np
import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from smartcity.core.jobs.models import Job
from smartcity.core.jobs.worker import Worker
from smartcity.modules.livinglab import jobs, semantic
from smartcity.modules.livinglab.cli import build_cli
from smartcity.modules.livinglab.models import Challenge, Proposal
from smartcity.modules.search import service as search
from smartcity.modules.search.settings import SearchSettings
from tests.modules.livinglab.conftest import Lab

# The right proposal shares almost no characters with the challenge; the look-alike repeats
# its words about another need.
RIGHT = {
    "title": "路口影像辨識找空車格",
    "summary": "在電桿上裝攝影機，以影像辨識判斷哪一格有車，駕駛用手機就知道哪裡能停。",
    "domain": "transport",
}
LOOK_ALIKE = {
    "title": "停車場收費帳務整合",
    "summary": "整合停車場收費系統與帳務，停車費可線上繳納，減少收費員人力。",
    "domain": "transport",
}


def meaning_of(match: dict[str, Any]) -> tuple[float, str]:
    """The lift and the sentence pair of a match's meaning reason."""
    (reason,) = [r for r in match["reasons"] if r.startswith("語意相近")]
    return float(reason.split("(")[1].split(")")[0]), reason


def test_matches_show_which_sentences_met_once_embedded(lab: Lab) -> None:
    challenge = lab.challenge()
    right = lab.proposal(**RIGHT)
    look_alike = lab.proposal(**LOOK_ALIKE)
    before = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    Worker(lab.platform).run_ready()
    ranked = {
        m["proposal_id"]: m for m in lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    }
    lift_right, reason = meaning_of(ranked[right])
    lift_look_alike, _ = meaning_of(ranked[look_alike])
    # Closer in meaning though it shares fewer words, and its best sentence pair is shown.
    assert lift_right > lift_look_alike
    assert "「路邊停車格即時空位偵測」↔" in reason
    assert ranked[right]["score"] > next(m["score"] for m in before if m["proposal_id"] == right)


def test_without_the_model_matches_are_lexical_and_give_no_meaning_reason(lab: Lab) -> None:
    lab.platform.module_settings["search"] = SearchSettings(embedder="none")
    lab.platform.services.pop(search.EMBEDDER_SERVICE, None)
    challenge = lab.challenge()
    lab.proposal(**RIGHT)
    Worker(lab.platform).run_ready()
    ranked = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    assert ranked and not any(r.startswith("語意相近") for r in ranked[0]["reasons"])


def test_a_vendor_writing_a_proposal_sees_their_similar_ones_only(lab: Lab) -> None:
    mine = lab.proposal(**RIGHT)
    lab.proposal(**LOOK_ALIKE)
    lab.proposal(token=lab.other_vendor, **RIGHT)
    Worker(lab.platform).run_ready()
    draft = {"title": "用鏡頭看路邊哪裡有空位", "summary": "攝影機拍路邊車格，AI 判斷空位給駕駛。"}
    similar = lab.ok(lab.post("/proposals/similar", lab.vendor, draft))
    assert similar[0]["proposal_id"] == mine
    assert len(similar) == 2  # the other vendor's proposal is not theirs to see
    staff_view = lab.ok(lab.post("/proposals/similar", lab.office, draft))
    assert len(staff_view) == 3


def test_similar_proposals_refuse_an_empty_draft(lab: Lab) -> None:
    response = lab.post("/proposals/similar", lab.vendor, {"title": "", "summary": "x"})
    assert response.status_code == 422


def test_rows_stored_before_their_vectors_are_embedded_by_the_cli(lab: Lab) -> None:
    challenge = lab.challenge()
    lab.proposal(**RIGHT)
    lab.proposal(**LOOK_ALIKE)
    # As if stored before matching read these vectors: their embedding was never queued.
    with lab.platform.db.engine.begin() as connection:
        connection.execute(delete(Job).where(Job.task == search.EMBED_TASK))
    Worker(lab.platform).run_ready()
    unembedded = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    assert not any(r.startswith("語意相近") for m in unembedded for r in m["reasons"])
    result = CliRunner().invoke(build_cli(), ["embed"], obj=lab.platform)
    assert result.exit_code == 0, result.output
    assert int(result.output.split()[0]) > 3  # each row's whole text and its sentences
    Worker(lab.platform).run_ready()
    ranked = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    assert all(any(r.startswith("語意相近") for r in m["reasons"]) for m in ranked)
    again = CliRunner().invoke(build_cli(), ["embed"], obj=lab.platform)
    assert again.output.startswith("0 ")


def test_the_hourly_job_embeds_rows_stored_before_their_vectors(lab: Lab) -> None:
    challenge = lab.challenge()
    lab.proposal(**RIGHT)
    with lab.platform.db.engine.begin() as connection:
        connection.execute(delete(Job).where(Job.task == search.EMBED_TASK))
    Worker(lab.platform).run_ready()
    jobs.embed_missing(lab.platform, None)
    Worker(lab.platform).run_ready()
    ranked = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    assert ranked and all(any(r.startswith("語意相近") for r in m["reasons"]) for m in ranked)
    (livinglab,) = [m for m in lab.platform.modules if m.name == "livinglab"]
    assert "livinglab.embed_missing" in {s.task for s in livinglab.schedules}


def test_without_the_model_nothing_is_queued_for_embedding(lab: Lab) -> None:
    lab.challenge()
    lab.platform.module_settings["search"] = SearchSettings(embedder="none")
    result = CliRunner().invoke(build_cli(), ["embed"], obj=lab.platform)
    assert result.output.startswith("0 ")


def test_closeness_is_latent_terms_and_half_the_cosine_standardised_over_the_proposals(
    lab: Lab,
) -> None:
    challenge = lab.challenge()
    lab.proposal(**RIGHT)
    lab.proposal(**LOOK_ALIKE)
    lab.proposal(title="垃圾車即時位置", summary="清運車裝定位器，市民查詢車輛何時抵達。")
    Worker(lab.platform).run_ready()
    ranked = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    with lab.platform.db.read_session() as session:
        need = semantic.challenge_texts(session.get(Challenge, UUID(challenge)))
        offers = [
            semantic.of_proposal(session.get(Proposal, UUID(m["proposal_id"]))) for m in ranked
        ]
        wholes = [need.whole, *(o.whole for o in offers)]
        vectors = search.stored_vectors(session, lab.platform, wholes, semantic.KIND)
        terms = search.stored_vectors(session, lab.platform, wholes, semantic.LATENT)
    cosines = np.array([vectors[need.whole] @ vectors[o.whole] for o in offers])
    dots = np.array([search.latent_dot(terms[need.whole], terms[o.whole]) for o in offers])
    expected = search.standardise(dots) + semantic.DENSE_SHARE * search.standardise(cosines)
    lifts = [meaning_of(m)[0] for m in ranked]
    assert lifts == pytest.approx(expected.tolist(), abs=0.006)  # the reason shows 2 decimals
    assert abs(sum(lifts)) < 0.02
