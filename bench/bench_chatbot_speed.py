# ruff: noqa: E501  # report lines are easier to read whole
"""chatbot speed: answer latency over a bank of ≥5,000 questions, and index rebuild time.

Run: python bench/bench_chatbot_speed.py   (needs ../shared/data/faq/; skips cleanly without)

The bank: the FAQ's 1,877 items, each given citizen-like variants made mechanically from its
title and keywords (≥5,000 phrasings in all). Reference in the same run: one jieba
tokenisation of the same questions (the floor any jieba-based answer pays).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
FAQ = ROOT.parent / "shared" / "data" / "faq"

from smartcity.modules.chatbot import engine, importer, service, text  # noqa: E402
from smartcity.modules.chatbot.settings import ChatbotSettings  # noqa: E402


def main() -> None:
    if not (FAQ / "taipei-faq-2017.xml").exists():
        print("skipped: ../shared/data/faq is absent")
        return
    records = importer.parse_taipei_faq_xml((FAQ / "taipei-faq-2017.xml").read_bytes())
    docs = []
    bank: list[str] = []
    for r in records:
        variants = [f"請問{r.question}", f"{r.question}要怎麼辦"] + [
            f"{k}相關問題" for k in r.keywords[:2]
        ]
        bank += variants
        docs.append(
            engine.Doc(
                item_id=r.source_id or "",
                source_id=r.source_id,
                question=r.question,
                answer=r.answer,
                keywords=r.keywords,
                variants=variants,
            )
        )
    text.tokenizer()
    started, cpu = time.perf_counter(), time.process_time()
    index = engine.AnswerIndex()
    index.upsert(docs)
    index.rebuild()
    rebuild = time.perf_counter() - started
    # CPU time beside wall time: on a shared machine the wall time also counts waiting for a core.
    rebuild_cpu = time.process_time() - cpu
    started = time.perf_counter()
    index.upsert(docs[:1])
    index.rebuild()
    incremental = time.perf_counter() - started
    started = time.perf_counter()
    again = engine.AnswerIndex()
    again.upsert(docs)
    again.rebuild()
    rebuild_cached = time.perf_counter() - started
    settings = ChatbotSettings()
    questions = bank[::2][:3000]
    for q in questions[:50]:
        service.decide(q, settings, index)
    # The bank's phrasings were tokenised while indexing: forget that, so every timed
    # question pays its own tokenisation as a new question would.
    text.clear_caches()
    latencies = []
    for q in questions:
        t = time.perf_counter()
        service.decide(q, settings, index)
        latencies.append((time.perf_counter() - t) * 1000)
    text.clear_caches()
    tok = []
    for q in questions:
        t = time.perf_counter()
        text.tokens(q)
        tok.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    tok.sort()
    p99 = latencies[int(0.99 * len(latencies)) - 1]
    print(f"bank {len(bank)} phrasings over {len(records)} items; {len(questions)} questions timed")
    print(
        f"full index rebuild {rebuild:.2f} s, CPU {rebuild_cpu:.2f} s (fresh process, nothing cached); "
        f"again with tokenisations cached {rebuild_cached:.2f} s; one-item change {incremental:.2f} s"
    )
    print(f"answer latency median {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms")
    print(
        f"reference (tokenising only) median {statistics.median(tok):.2f} ms, "
        f"p99 {tok[int(0.99 * len(tok)) - 1]:.2f} ms; ratio median {statistics.median(latencies) / statistics.median(tok):.1f}x"
    )


if __name__ == "__main__":
    main()
