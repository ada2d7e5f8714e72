"""Throughput of claim extraction against camel-tools' tokenizer alone, on the same text (one core).

Run: `uv run python bench/extraction.py`. The corpus is the sample article from ../shared when present,
else the project's own sentences, repeated to about 1 MB of text. Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from camel_tools.tokenizers.word import simple_word_tokenize

from sources.extraction import extract

SAMPLE = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/seed/alalam-2018-11-04-hajin-idlib.ar.txt"
)
OWN_SENTENCES = [
    "أعلنت وزارة الصحة مقتل ٢٣ شخصاً بينهم سبعة أطفال وإصابة أكثر من خمسين آخرين في قصف على بلدة كفرنبل.",
    "وقال المرصد إن ما لا يقل عن 12 عنصرا من قوات النظام قتلوا في اشتباكات على بعد 30 كيلومترا من المدينة.",
    "لقي خمسة وعشرون مدنيا حتفهم وجرح العشرات في انفجار سيارة مفخخة صباح الأحد 5 مارس 2015.",
    "At least 14 civilians, including five children, were killed in an airstrike, the monitor said.",
]
TARGET_CHARS = 1_000_000


def corpus() -> list[str]:
    """Documents of the benchmark: the sample article (or own sentences), repeated."""
    base = SAMPLE.read_text(encoding="utf-8") if SAMPLE.exists() else "\n".join(OWN_SENTENCES)
    return [base] * max(1, TARGET_CHARS // len(base))


def rate(work: Callable[[str], object], docs: list[str], rounds: int = 3) -> float:
    """Best characters per second over a few rounds."""
    chars = sum(len(d) for d in docs)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for doc in docs:
            work(doc)
        best = min(best, time.perf_counter() - started)
    return chars / best


def main() -> None:
    """Print extraction and tokenizer throughput and their ratio."""
    docs = corpus()
    extract(docs[0])  # warm the lexicon caches, as a long-running server would be
    tokenize = rate(simple_word_tokenize, docs)
    extraction = rate(extract, docs)
    print(f"corpus: {len(docs)} documents, {sum(len(d) for d in docs):,} characters")
    print(f"simple_word_tokenize: {tokenize:,.0f} chars/s")
    print(f"extract:              {extraction:,.0f} chars/s")
    print(f"extraction costs {tokenize / extraction:.2f}x tokenisation (target: at most 3x)")


if __name__ == "__main__":
    main()
