"""``make bench``: classifier throughput per core on texts of about 2,000 characters. Prints figures only.

Run: ``.venv/bin/python -m tests.bench_classify``. The texts are built from ``eval/cctv.jsonl``: each
item's title and request, and its response followed by the next items' responses, cut to 2,000
characters in all, so every text is real FOI wording at the size the target is stated for.
"""

from __future__ import annotations

import time

from monitor.classify import build_classifiers
from monitor.config import load_config
from monitor.evaluation.topics import EvalItem, load_items
from tests.conftest import REPO

TEXT_CHARS = 2000
TARGET_PER_CORE = 5000  # texts/s (issue 10)
ROUNDS = 20


def texts_of_about(items: list[EvalItem], chars: int) -> list[tuple[str, str, str]]:
    """(title, request, response) per eval item, the response padded from the next items to ``chars``."""
    texts = []
    for n, item in enumerate(items):
        response, following = item.response, n + 1
        while len(item.title) + len(item.request) + len(response) + 2 < chars:
            response += "\n" + items[following % len(items)].response
            following += 1
        room = max(chars - len(item.title) - len(item.request) - 2, 0)
        texts.append((item.title, item.request, response[:room]))
    return texts


def bench_classify_per_core(texts: list[tuple[str, str, str]]) -> float:
    """Texts classified per second of this process's CPU time (one thread: one core)."""
    classifier = build_classifiers(load_config(REPO / "config").topics)["cctv"]
    started = time.process_time()
    for _ in range(ROUNDS):
        for title, request, response in texts:
            classifier.classify(title, request, response)
    elapsed = time.process_time() - started
    return ROUNDS * len(texts) / elapsed


def main() -> None:
    texts = texts_of_about(load_items(REPO / "eval" / "cctv.jsonl"), TEXT_CHARS)
    mean = sum(len(t) + len(q) + len(r) for t, q, r in texts) / len(texts)
    rate = bench_classify_per_core(texts)
    print(
        f"classify per core        : {rate:8.1f} texts/s  (target {TARGET_PER_CORE:,}; "
        f"{ROUNDS * len(texts):,} texts of {mean:,.0f} characters, CPU time)"
    )


if __name__ == "__main__":
    main()
