# ruff: noqa: E501  # report lines are easier to read whole
"""chatbot through the search service: lexical alone against lexical + dense, cold and warm.

Run: python bench/bench_search_chatbot.py [--tune]   (needs ../shared/data/faq/; skips cleanly without)

Two development sets, each split in halves before any tuning:
- the team's ../shared/data/faq/dev-questions.jsonl, halves by item as bench_chatbot_quality.py
  splits them (even-numbered items and unanswerable questions tune, odd ones are held out);
- bench/data/chatbot-voices.jsonl and chatbot-voices-2.jsonl (written later, before any run
  on it): long LINE-style messages, indirect questions naming none of the item's words and
  short aspect questions among sibling items, three phrasings per item, plus out-of-scope
  questions; in each file, items and out-of-scope questions are shuffled with
  random.Random(SEED) and the first half tunes, the second is held out (a file added later
  leaves the earlier files' halves as they were).
Cold: the FAQ's 1,877 items only. Warm: one phrasing of each item taught (the first of the
voices set, the first question of an item in the team's set), the *other* phrasings asked.
Vectors come from the platform's own store (bench/semantic_bank.py, var/bench/search.db):
the first run embeds what is missing (minutes), later runs read them as a cold start does.
Baselines in the same run, top-1 over the same items and the same taught phrasings: rank_bm25
over jieba tokens and a character TF-IDF cosine (bench_chatbot_quality.py's; neither declines).
--tune fits the fused ranking (engine.RANKER) and the fused calibration on the tuning halves
and prints them. Each item's passage (engine.passage_of: its question and the answer's first
sentence) is embedded as an e5 passage beside the questions and phrasings.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_chatbot_quality as quality
from semantic_bank import ROOT, bench_platform

from smartcity.modules.chatbot import engine, importer, service
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.search import service as search
from smartcity.modules.search.values import TextKind

FAQ = ROOT.parent / "shared" / "data" / "faq"
VOICES = (
    ROOT / "bench" / "data" / "chatbot-voices.jsonl",
    ROOT / "bench" / "data" / "chatbot-voices-2.jsonl",
)
SEED = 16
SMALL_BANK = 40
SMALL_BANKS = 5


@dataclass
class Question:
    text: str
    source_id: str | None
    half: str  # "tune" or "held"
    taught: bool = False  # asked warm only (another phrasing of its item was taught)


def team_set() -> tuple[list[Question], dict[str, list[str]]]:
    """The team's dev questions: cold questions, and the taught first phrasings."""
    rows = [json.loads(line) for line in (FAQ / "dev-questions.jsonl").open(encoding="utf-8")]
    items: dict[str, int] = {}
    unanswerable = 0
    out: list[Question] = []
    taught: dict[str, list[str]] = {}
    for row in rows:
        sid = row["source_id"]
        if sid:
            number = items.setdefault(sid, len(items))
        else:
            number, unanswerable = unanswerable, unanswerable + 1
        half = "held" if number % 2 else "tune"
        again = bool(sid and sid in taught)
        if sid and not again:
            taught[sid] = [row["q"]]
        out.append(Question(row["q"], sid, half, taught=again))
    return out, taught


def voices_set() -> tuple[list[Question], dict[str, list[str]]]:
    """The voices files, each split on its own, as one set."""
    out: list[Question] = []
    taught: dict[str, list[str]] = {}
    for path in VOICES:
        questions, teach = voices_file(path)
        out += questions
        taught.update(teach)
    return out, taught


def voices_file(path: Path) -> tuple[list[Question], dict[str, list[str]]]:
    """One voices file: every phrasing cold; the first taught, the others asked warm."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    answerable = [r for r in rows if r["source_id"]]
    other = [r for r in rows if not r["source_id"]]
    rng = random.Random(SEED)
    rng.shuffle(answerable)
    rng.shuffle(other)
    out: list[Question] = []
    taught: dict[str, list[str]] = {}
    for group in (answerable, other):
        for position, row in enumerate(group):
            half = "tune" if position < len(group) / 2 else "held"
            if row["source_id"]:
                taught[row["source_id"]] = [row["phrasings"][0]]
                out.append(Question(row["phrasings"][0], row["source_id"], half))
                out += [
                    Question(p, row["source_id"], half, taught=True) for p in row["phrasings"][1:]
                ]
                # The taught phrasing is asked cold too, not warm.
                out += [Question(p, row["source_id"], half) for p in row["phrasings"][1:]]
            else:
                out.append(Question(row["q"], None, half))
                out.append(Question(row["q"], None, half, taught=True))
    return out, taught


def build(
    records: list[importer.ItemRecord],
    taught: dict[str, list[str]],
    vectors: dict[str, np.ndarray],
    passages: dict[str, np.ndarray],
) -> engine.AnswerIndex:
    index = engine.AnswerIndex()
    docs = [
        engine.Doc(
            item_id=r.source_id or "",
            source_id=r.source_id,
            question=r.question,
            answer=r.answer,
            keywords=r.keywords,
            variants=taught.get(r.source_id or "", []),
            links=r.links,
        )
        for r in records
    ]
    index.upsert(docs)
    index.rebuild()
    for doc in docs:
        texts = [doc.question, *doc.variants]
        phrasings = [vectors[t] for t in texts if t in vectors]
        index.set_vectors(doc.item_id, phrasings, passages.get(engine.passage_of(doc)))
    return index


@dataclass
class Outcome:
    question: Question
    best: str | None
    top3: list[str]
    answered: bool
    confidence: float
    features: tuple[float, float, float]


def run(
    index: engine.AnswerIndex, questions: list[Question], vectors: dict[str, np.ndarray] | None
) -> list[Outcome]:
    settings = ChatbotSettings()
    out = []
    for q in questions:
        vector = vectors.get(q.text) if vectors is not None else None
        answer = service.decide(q.text, settings, index, query_vector=vector)
        result = index.search(q.text, limit=3, query_vector=vector)
        top3 = [c.doc.source_id or "" for c in result.candidates]
        out.append(
            Outcome(
                q,
                answer.item.source_id if answer.item else None,
                top3,
                answer.answered,
                answer.confidence,
                (0.0, 0.0, 0.0),
            )
        )
    return out


def alone(
    index: engine.AnswerIndex,
    channel: search.DenseIndex,
    questions: list[Question],
    vectors: dict[str, np.ndarray],
) -> str:
    """Top-1 and top-3 of one dense reading ranking alone (answerable questions)."""
    ids = list(index.docs)
    top1 = top3 = 0
    answerable = [q for q in questions if q.source_id]
    for q in answerable:
        cosines = np.nan_to_num(channel.scores(vectors[q.text], ids), nan=-1.0)
        best = [index.docs[ids[i]].source_id for i in np.argsort(-cosines)[:3]]
        top1 += best[0] == q.source_id
        top3 += q.source_id in best
    n = max(len(answerable), 1)
    return f"top-1 {top1 / n:6.1%}  top-3 {top3 / n:6.1%} of {len(answerable):3}"


def summary(outcomes: list[Outcome]) -> str:
    answerable = [o for o in outcomes if o.question.source_id]
    other = [o for o in outcomes if not o.question.source_id]
    right = sum(o.answered and o.best == o.question.source_id for o in answerable)
    top1 = sum(bool(o.top3) and o.top3[0] == o.question.source_id for o in answerable)
    top3 = sum(o.question.source_id in o.top3 for o in answerable)
    declined = sum(not o.answered for o in other)
    n, m = max(len(answerable), 1), max(len(other), 1)
    return (
        f"right {right / n:6.1%}  top-1 {top1 / n:6.1%}  top-3 {top3 / n:6.1%} of {len(answerable):3}"
        f"  | declined {declined / m:6.1%} of {len(other):2}"
    )


def reliability(outcomes: list[Outcome]) -> list[str]:
    """How often the top item is right, by stated confidence (out-of-scope: never right)."""
    bins = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    lines = []
    for low, high in pairwise(bins):
        inside = [o for o in outcomes if low <= o.confidence < high]
        if not inside:
            continue
        right = sum(bool(o.top3) and o.top3[0] == o.question.source_id for o in inside)
        mean = sum(o.confidence for o in inside) / len(inside)
        lines.append(
            f"| {low:.1f}–{min(high, 1.0):.1f} | {len(inside)} | {mean:.2f} | {right / len(inside):.0%} |"
        )
    return lines


def ensure_vectors(
    texts: list[str], passages: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The questions' and phrasings' vectors, and the items' passages' (embedded if missing)."""
    platform = bench_platform()
    found = []
    for wanted, kind in ((texts, TextKind.QUERY), (passages, TextKind.PASSAGE)):
        started = time.perf_counter()
        added = search.embed_missing(platform, wanted, kind)
        if added:
            print(
                f"embedded {added} new {kind.value} texts in {time.perf_counter() - started:.0f} s"
            )
        with platform.db.read_session() as session:
            found.append(search.stored_vectors(session, platform, wanted, kind))
    return found[0], found[1]


def main() -> None:
    if not (FAQ / "taipei-faq-2017.xml").exists():
        print("skipped: ../shared/data/faq is absent")
        return
    records = importer.parse_taipei_faq_xml((FAQ / "taipei-faq-2017.xml").read_bytes())
    sets = {"team": team_set(), "voices": voices_set()}
    texts = [r.question for r in records] + [q.text for qs, _ in sets.values() for q in qs]
    passage_texts = [
        engine.passage_of(engine.Doc(r.source_id or "", r.question, r.answer)) for r in records
    ]
    vectors, passages = ensure_vectors(texts, passage_texts)
    cold = build(records, {}, vectors, passages)
    if "--tune" in sys.argv:
        tune(records, sets, vectors, passages)
        return
    print(
        f"items {len(records)}; POOL {engine.POOL}; {engine.RANKER} over {engine.FEATURES}; {engine.FUSED}"
    )
    held_fused: list[Outcome] = []
    for name, (questions, taught) in sets.items():
        warm = build(records, taught, vectors, passages)
        for half in ("tune", "held"):
            cold_qs = [q for q in questions if q.half == half and not q.taught]
            warm_qs = [q for q in questions if q.half == half and q.taught]
            for label, vecs in (("lexical", None), ("fused  ", vectors)):
                c = run(cold, cold_qs, vecs)
                w = run(warm, warm_qs, vecs)
                print(f"{name:6} {half:4} {label} cold: {summary(c)}")
                print(f"{name:6} {half:4} {label} warm: {summary(w)}")
                if half == "held" and vecs is not None:
                    held_fused += c
            for state, qs, teach in (("cold", cold_qs, {}), ("warm", warm_qs, taught)):
                rows = [{"q": q.text, "source_id": q.source_id} for q in qs]
                print(
                    f"{name:6} {half:4} baselines {state}: top-1 BM25 (rank_bm25, jieba) "
                    f"{quality.baseline_bm25(records, rows, teach):6.1%}  character TF-IDF "
                    f"{quality.baseline_char_tfidf(records, rows, teach):6.1%}  (neither declines)"
                )
            for state, index, qs in (("cold", cold, cold_qs), ("warm", warm, warm_qs)):
                for label, channel in (("phrasings", index.dense), ("passages", index.passages)):
                    ranked = alone(index, channel, qs, vectors)
                    print(f"{name:6} {half:4} dense {label} alone {state}: {ranked}")
    print(f"\nsmall banks ({SMALL_BANK} items drawn {SMALL_BANKS} times), held-out halves, cold:")
    print(small_banks(records, sets, vectors, passages))
    print("\nreliability of the fused confidence, cold, held-out halves of both sets")
    print("| confidence | questions | mean stated | top item right |\n|---|---|---|---|")
    print("\n".join(reliability(held_fused)))


def small_banks(
    records: list[importer.ItemRecord],
    sets: dict[str, tuple[list[Question], dict[str, list[str]]]],
    vectors: dict[str, np.ndarray],
    passages: dict[str, np.ndarray],
) -> str:
    """A city starting with a few dozen items (the demo has 37): how often a question whose
    item is not in the bank is answered anyway, and how often one whose item is, is answered
    right."""
    settings = ChatbotSettings()
    questions = [q for qs, _ in sets.values() for q in qs if q.half == "held" and not q.taught]
    rng = random.Random(SEED)
    absent = wrong = present = right = 0
    for _ in range(SMALL_BANKS):
        bank = rng.sample(records, SMALL_BANK)
        inside = {r.source_id for r in bank}
        index = build(bank, {}, vectors, passages)
        for q in questions:
            answer = service.decide(q.text, settings, index, query_vector=vectors[q.text])
            if q.source_id in inside:
                present += 1
                right += (
                    answer.answered
                    and answer.item is not None
                    and answer.item.source_id == q.source_id
                )
            else:
                absent += 1
                wrong += answer.answered
    return (
        f"item absent: answered anyway {wrong / max(absent, 1):6.1%} of {absent}"
        f"  | item present: answered right {right}/{present}"
    )


def tune(
    records: list[importer.ItemRecord],
    sets: dict[str, tuple[list[Question], dict[str, list[str]]]],
    vectors: dict[str, np.ndarray],
    passages: dict[str, np.ndarray],
) -> None:
    """Fit RANKER (a listwise softmax: the right item's share of its pool) and then the
    calibration (logistic regression) on the tuning halves."""
    cases = []
    for name, (questions, taught) in sets.items():
        warm = build(records, taught, vectors, passages)
        cold = build(records, {}, vectors, passages)
        for q in questions:
            if q.half == "tune":
                cases.append((name, warm if q.taught else cold, q))
    pools = []
    for _name, index, q in cases:
        if q.source_id:
            ids, features = index.features(q.text, vectors[q.text])
            if q.source_id in ids:  # a pool without the right item teaches nothing
                pools.append((features, ids.index(q.source_id)))
    weights = np.zeros(len(engine.FEATURES))
    for _ in range(3000):
        gradient = np.zeros_like(weights)
        for features, right in pools:
            scores = features @ weights
            share = np.exp(scores - scores.max())
            share /= share.sum()
            gradient += features.T @ share - features[right]
        weights -= 0.5 * (gradient / len(pools) + 1e-3 * weights)
    engine.RANKER = search.Ranker(tuple(round(float(w), 2) for w in weights))
    print(f"pools with the right item: {len(pools)} of {sum(bool(q.source_id) for *_, q in cases)}")
    rows, labels = [], []
    for _name, index, q in cases:
        found = index.search(q.text, limit=3, query_vector=vectors[q.text])
        if found.candidates:
            top = found.candidates[0]
            # Which channel puts an item first, and by how much it leads, say more among
            # 1,877 items than among 40: the confidence reads neither (weights stay 0).
            rows.append((top.lexical, top.lift))
            labels.append(top.doc.source_id == q.source_id)
    x = np.array(rows, dtype=float)
    y = np.array(labels, dtype=float)
    n = np.ones(len(y))
    w = np.zeros(x.shape[1] + 1)
    design = np.hstack([x, np.ones((len(x), 1))])
    # Newton steps: the inputs' scales differ tenfold (the lift is in z-scores), where
    # gradient steps of one size stopped far from the optimum.
    ridge = 1e-3 * n.sum() * np.diag(np.r_[np.ones(x.shape[1]), 0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ w))
        hessian = design.T @ (design * (n * p * (1 - p))[:, None]) + ridge
        w -= np.linalg.solve(hessian, design.T @ (n * (p - y)) + ridge @ w)
    print(f"RANKER = search.Ranker({engine.RANKER.weights})  # {', '.join(engine.FEATURES)}")
    print(
        f"FUSED = search.Calibration(lexical={w[0]:.2f}, dense={w[1]:.2f}, margin=0.0, bias={w[2]:.2f},"
        " dense_first=0.0, lexical_first=0.0)"
    )


if __name__ == "__main__":
    main()
