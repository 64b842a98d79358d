# ruff: noqa: E501  # report lines are easier to read whole
"""chatbot quality on the city's FAQ: cold (XML only) and warm (after teaching), with baselines.

Run: python bench/bench_chatbot_quality.py   (needs ../shared/data/faq/; skips cleanly without)

Cold: only the XML imported; answerable questions must be answered with the right item,
unanswerable ones declined. Warm: each item's first phrasing taught; its second phrasing asked.
Each figure is also given for the two halves: parameters were tuned on the questions of the
even-numbered items (0-based, by order of first appearance in the file) and the even-numbered
unanswerable questions; the odd ones are held out.
Baselines in the same run: rank_bm25 (BM25Okapi) over jieba tokens, and character TF-IDF
(cosine over character uni+bigrams); neither declines anything.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
FAQ = ROOT.parent / "shared" / "data" / "faq"

from smartcity.modules.chatbot import engine, importer, service, text  # noqa: E402
from smartcity.modules.chatbot.settings import ChatbotSettings  # noqa: E402


def load() -> tuple[list[importer.ItemRecord], list[dict[str, str | None]]]:
    records = importer.parse_taipei_faq_xml((FAQ / "taipei-faq-2017.xml").read_bytes())
    questions = [json.loads(line) for line in (FAQ / "dev-questions.jsonl").open(encoding="utf-8")]
    return records, questions


def build(records: list[importer.ItemRecord], taught: dict[str, list[str]]) -> engine.AnswerIndex:
    index = engine.AnswerIndex()
    index.upsert(
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
    )
    index.rebuild()
    return index


def split_halves(questions: list[dict[str, str | None]]) -> None:
    """Mark each question "even" (tuning half) or "odd" (held out) under the key `half`."""
    items: dict[str, int] = {}
    unanswerable = 0
    for q in questions:
        sid = q["source_id"]
        if sid:
            number = items.setdefault(sid, len(items))
        else:
            number, unanswerable = unanswerable, unanswerable + 1
        q["half"] = "odd" if number % 2 else "even"


def ours(index: engine.AnswerIndex, questions: list[dict[str, str | None]]) -> dict[str, float]:
    settings = ChatbotSettings()
    right = declined = answerable = unanswerable = top1 = 0
    for q in questions:
        answer = service.decide(str(q["q"]), settings, index)
        best = answer.item.source_id if answer.item else None
        if q["source_id"]:
            answerable += 1
            right += answer.answered and best == q["source_id"]
            top1 += best == q["source_id"]
        else:
            unanswerable += 1
            declined += not answer.answered
    return {
        "answered_right": right / max(answerable, 1),
        "declined": declined / max(unanswerable, 1),
        "top1": top1 / max(answerable, 1),
        "n_answerable": answerable,
        "n_unanswerable": unanswerable,
    }


def baseline_bm25(records, questions, taught):  # type: ignore[no-untyped-def]
    from rank_bm25 import BM25Okapi

    tok = text.tokenizer()
    ids = [r.source_id for r in records]
    docs = [
        [
            w
            for w in tok.lcut(" ".join([r.question, *taught.get(r.source_id or "", [])]))
            if w.strip()
        ]
        for r in records
    ]
    bm25 = BM25Okapi(docs)
    hits = n = 0
    for q in questions:
        if not q["source_id"]:
            continue
        scores = bm25.get_scores([w for w in tok.lcut(str(q["q"])) if w.strip()])
        hits += ids[int(max(range(len(scores)), key=scores.__getitem__))] == q["source_id"]
        n += 1
    return hits / max(n, 1)


def baseline_char_tfidf(records, questions, taught):  # type: ignore[no-untyped-def]
    def grams(s: str) -> Counter[str]:
        s = "".join(s.split())
        return Counter(list(s) + [s[i : i + 2] for i in range(len(s) - 1)])

    docs = [grams(" ".join([r.question, *taught.get(r.source_id or "", [])])) for r in records]
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n_docs = len(docs)

    def vec(c: Counter[str]) -> dict[str, float]:
        v = {t: tf * math.log((1 + n_docs) / (1 + df.get(t, 0))) for t, tf in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / norm for t, x in v.items()}

    vecs = [vec(d) for d in docs]
    ids = [r.source_id for r in records]
    hits = n = 0
    for q in questions:
        if not q["source_id"]:
            continue
        qv = vec(grams(str(q["q"])))
        scores = [sum(x * dv.get(t, 0.0) for t, x in qv.items()) for dv in vecs]
        hits += ids[max(range(len(scores)), key=scores.__getitem__)] == q["source_id"]
        n += 1
    return hits / max(n, 1)


def main() -> None:
    if not (FAQ / "taipei-faq-2017.xml").exists():
        print("skipped: ../shared/data/faq is absent")
        return
    records, questions = load()
    split_halves(questions)
    first: dict[str, dict[str, str | None]] = {}
    second: list[dict[str, str | None]] = []
    for q in questions:
        sid = q["source_id"]
        if sid and sid not in first:
            first[sid] = q
        elif sid:
            second.append(q)
    unanswerable = [q for q in questions if not q["source_id"]]
    taught = {sid: [str(q["q"])] for sid, q in first.items()}

    started = time.perf_counter()
    cold_index = build(records, {})
    build_seconds = time.perf_counter() - started
    warm_index = build(records, taught)
    print(f"items {len(records)}, questions {len(questions)}, index build {build_seconds:.2f} s")
    for half in ("all", "even", "odd"):
        part = [q for q in questions if half in ("all", q["half"])]
        cold = ours(cold_index, part)
        warm = ours(warm_index, [q for q in second + unanswerable if half in ("all", q["half"])])
        print(
            f"{half:>4}  cold ours: answered right {cold['answered_right']:.1%} of {cold['n_answerable']}, "
            f"declined {cold['declined']:.1%} of {cold['n_unanswerable']}, top-1 {cold['top1']:.1%}"
            f"  |  warm ours: answered right {warm['answered_right']:.1%} of {warm['n_answerable']}, "
            f"declined {warm['declined']:.1%}, top-1 {warm['top1']:.1%}"
        )
    print(
        f"cold  rank_bm25 over jieba tokens: top-1 {baseline_bm25(records, questions, {}):.1%}, declines 0%"
    )
    print(
        f"cold  character TF-IDF:            top-1 {baseline_char_tfidf(records, questions, {}):.1%}, declines 0%"
    )
    print(f"warm  rank_bm25 over jieba tokens: top-1 {baseline_bm25(records, second, taught):.1%}")
    print(
        f"warm  character TF-IDF:            top-1 {baseline_char_tfidf(records, second, taught):.1%}"
    )


if __name__ == "__main__":
    main()
