# ruff: noqa: E501  # report lines are easier to read whole
"""Speed of answers through the search service, with a bank of ≥5,000 phrasings.

Run: python bench/bench_search_speed.py   (needs ../shared/data/faq/; skips cleanly without)

The bank: the FAQ's 1,877 items, each with three phrasings made mechanically from its title
and keywords (as bench_chatbot_speed.py makes them). The items' questions have their real
vectors (var/bench/search.db, see bench/semantic_bank.py); the mechanical phrasings get
random unit vectors stored under their keys — the same size and the same reads, without
embedding 5,600 texts on a shared machine; the items' passages (question and the answer's
first sentence) have the real vectors bench_search_chatbot.py stored. Figures (wall time and
CPU time: on a shared machine the gap is time spent waiting for a core):
- answer: the question embedded by the model (uncached) + fused ranking, p50 and p99 over the
  team's dev questions; the lexical answer alone in the same run is the reference;
- edit visible: one item changed (re-tokenised, its stored vectors read, matrices rebuilt
  from the stored term rows) until the next question sees it;
- full rebuild from stored vectors: every vector read from the database, every item indexed.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from semantic_bank import ROOT, bench_platform

from smartcity.core.auth import system_actor
from smartcity.modules.chatbot import engine, importer, service, text
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.search import repository as search_repo
from smartcity.modules.search import service as search

FAQ = ROOT.parent / "shared" / "data" / "faq"
QUERY = search.TextKind.QUERY


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    if not (FAQ / "taipei-faq-2017.xml").exists():
        print("skipped: ../shared/data/faq is absent")
        return
    records = importer.parse_taipei_faq_xml((FAQ / "taipei-faq-2017.xml").read_bytes())
    questions = [
        json.loads(line)["q"] for line in (FAQ / "dev-questions.jsonl").open(encoding="utf-8")
    ]
    variants = {
        r.source_id or "": [
            f"請問{r.question}",
            f"{r.question}要怎麼辦",
            *[f"{k}相關問題" for k in r.keywords[:1]],
        ]
        for r in records
    }
    platform = bench_platform()
    model = search.embedder_of(platform).model
    # Random unit vectors for the mechanical phrasings (stored once).
    wanted = [v for vs in variants.values() for v in vs]
    keys = {search.key_of(model, QUERY, v): v for v in wanted}
    with platform.db.read_session() as session:
        have = search_repo.stored_keys(session, list(keys))
    rng = np.random.default_rng(16)
    missing = {}
    for key in keys:
        if key not in have:
            vector = rng.standard_normal(384).astype(np.float32)
            missing[key] = vector / np.linalg.norm(vector)
    if missing:
        with platform.unit_of_work(system_actor("bench")) as uow:
            search_repo.add_vectors(uow.session, model, missing)
            uow.audit("bench.vectors.store", "vectors", model, {"count": len(missing)})
    text.tokenizer()
    n_phrasings = sum(1 + len(v) for v in variants.values())

    def docs() -> list[engine.Doc]:
        return [
            engine.Doc(
                item_id=r.source_id or "",
                source_id=r.source_id,
                question=r.question,
                answer=r.answer,
                keywords=r.keywords,
                variants=variants[r.source_id or ""],
            )
            for r in records
        ]

    # Full rebuild from stored vectors.
    started, cpu_started = time.perf_counter(), time.process_time()
    index = engine.AnswerIndex()
    all_docs = docs()
    index.upsert(all_docs)
    tokenised_s = time.perf_counter() - started
    index.rebuild()
    lexical_s = time.perf_counter() - started
    with platform.db.read_session() as session:
        stored = search.stored_vectors(
            session, platform, [t for d in all_docs for t in (d.question, *d.variants)], QUERY
        )
        passages = search.stored_vectors(
            session, platform, [engine.passage_of(d) for d in all_docs], search.TextKind.PASSAGE
        )
    for d in all_docs:
        phrasings = [stored[t] for t in (d.question, *d.variants) if t in stored]
        index.set_vectors(d.item_id, phrasings, passages.get(engine.passage_of(d)))
    index.search(all_docs[0].question, query_vector=stored[all_docs[0].question])  # stack
    rebuild_s, rebuild_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"bank: {len(records)} items, {n_phrasings} phrasings ({len(stored)} distinct texts, each with its stored vector),"
        f" {len(passages)} passages"
    )
    print(
        f"full rebuild from stored vectors: {rebuild_s:.2f} s, CPU {rebuild_cpu:.2f} s (texts tokenised {tokenised_s:.2f} s,"
        f" lexical matrices {lexical_s - tokenised_s:.2f} s, vectors read and stacked {rebuild_s - lexical_s:.2f} s)"
    )

    # Edit visible: one item changed, then the next question.
    doc = all_docs[0]
    doc.variants = [*doc.variants, "這是剛剛教的新說法"]
    vector = stored[doc.question]
    started, cpu_started = time.perf_counter(), time.process_time()
    index.upsert([doc])
    index.rebuild()
    with platform.db.read_session() as session:
        fresh = search.stored_vectors(session, platform, [doc.question, *doc.variants], QUERY)
        passage = search.stored_vectors(
            session, platform, [engine.passage_of(doc)], search.TextKind.PASSAGE
        )
    index.set_vectors(doc.item_id, [*fresh.values(), vector], next(iter(passage.values()), None))
    found = index.search("這是剛剛教的新說法", query_vector=vector)
    edit_s, edit_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"edit visible to the next question: {edit_s * 1000:.0f} ms, CPU {edit_cpu * 1000:.0f} ms (top: {found.candidates[0].doc.item_id == doc.item_id})"
    )
    # The matrices alone, again and again: one edit's figure above is a single sample.
    rebuilds = []
    for _ in range(20):
        started = time.perf_counter()
        index.rebuild()
        rebuilds.append(time.perf_counter() - started)
    print(
        f"lexical matrices rebuilt (20 times): p50 {statistics.median(rebuilds) * 1000:.0f} ms, max {max(rebuilds) * 1000:.0f} ms"
    )

    settings = ChatbotSettings()
    embedder = search.embedder_of(platform).embedder  # loaded and warmed up here
    assert embedder is not None
    # Wall time and this thread's CPU time: on a shared machine the gap between them is the
    # time spent waiting for a core.
    names = ("lexical answer (reference)", "question embedded", "fused ranking, vector given")
    walls: dict[str, list[float]] = {
        name: [] for name in (*names, "fused answer, embedding included")
    }
    cpus: dict[str, list[float]] = {name: [] for name in walls}
    for q in questions:
        marks = [(time.perf_counter(), time.thread_time())]
        service.decide(q, settings, index)
        marks.append((time.perf_counter(), time.thread_time()))
        qv = embedder.embed([q], QUERY)[0]
        marks.append((time.perf_counter(), time.thread_time()))
        service.decide(q, settings, index, query_vector=qv)
        marks.append((time.perf_counter(), time.thread_time()))
        for name, (start, end) in zip(names, pairwise(marks), strict=True):
            walls[name].append(end[0] - start[0])
            cpus[name].append(end[1] - start[1])
        walls["fused answer, embedding included"].append(marks[3][0] - marks[1][0])
        cpus["fused answer, embedding included"].append(marks[3][1] - marks[1][1])
    for label in walls:
        wall, cpu = walls[label], cpus[label]
        print(
            f"{label:34}: wall p50 {statistics.median(wall) * 1000:6.1f} ms  p99 {percentile(wall, 0.99) * 1000:6.1f} ms"
            f"  | CPU p50 {statistics.median(cpu) * 1000:6.1f} ms  p99 {percentile(cpu, 0.99) * 1000:6.1f} ms"
        )
    fused, lexical = walls["fused answer, embedding included"], walls[names[0]]
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"ratio fused / lexical p99: {percentile(fused, 0.99) / percentile(lexical, 0.99):.1f}")


if __name__ == "__main__":
    main()
