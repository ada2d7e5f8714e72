"""Tokens follow camel-tools' word tokenizer, with offsets into the original text."""

from __future__ import annotations

import re

import pytest
from camel_tools.tokenizers.word import simple_word_tokenize

from sources.extraction.lexicon import ARABIC
from sources.extraction.normalize import fold
from sources.extraction.tokens import analyse, raw_tokens

SENTENCES = [
    "قتل 7 أشخاص وأصيب12 آخرون بجروح (بينهم طفلان) في «حي السلام»، بحسب الدفاع المدني!",
    "وأعلنت الوزارة: مقتل نحو364 مسلحا خلال الـ48 ساعة الماضية؛ والعدد مرشح للارتفاع...",
    "At least 9 people died, officials said.",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_word_boundaries_are_camel_tools_boundaries(text: str) -> None:
    folded = fold(text)
    ours = [folded.text[a:b] for a, b in raw_tokens(folded, arabic=True)]
    camel = simple_word_tokenize(folded.text, split_digits=True)
    # We keep a number's inner separators ("16.5", "6:00"); camel-tools splits them.
    split = [t for token in ours for t in (re.split(r"(\D)", token) if token[0].isdigit() else [token]) if t]
    assert split == camel


def test_glued_figures_are_split_from_words() -> None:
    _folded, toks = analyse("واصيب10 مدنيين", ARABIC, arabic=True)
    assert [t.number for t in toks] == [None, 10, None]


def test_a_written_number_is_one_token_spanning_the_original() -> None:
    text = "لقي خمسةٌ وعشرون شخصاً حتفهم"
    _folded, toks = analyse(text, ARABIC, arabic=True)
    number = next(t for t in toks if t.number is not None)
    assert number.number == 25
    assert text[number.start : number.end] == "خمسةٌ وعشرون"
