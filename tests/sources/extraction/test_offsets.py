"""Whatever the spelling noise, evidence offsets always slice the original input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sources.extraction import extract

from .helpers import assert_offsets

FRAGMENTS = [
    "قتل 12 مدنيا بينهم 4 أطفال",
    "وأصيب نحو ثلاثين آخرين بجروح",
    "، بحسب مصادر محلية.",
    "وقال المسؤول إن ",
    "مقتل جنديين وإصابة عشرات",
    "على بعد 30 كيلومترا",
    " عام 2015 ",
    "\n",
    "At least 9 people were killed, officials said. ",
]
NOISE = st.sampled_from(["", "\u064e", "\u0651", "\u0640", "\u200f", " ", "،", "٣"])


@st.composite
def noisy_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6))
    out = []
    for part in parts:
        for ch in part:
            out.append(ch + draw(NOISE) if draw(st.booleans()) else ch)
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(noisy_texts())
def test_offsets_slice_the_input_to_the_words_and_sentence(text: str) -> None:
    for claim in extract(text):
        assert_offsets(text, claim)


@given(st.text(max_size=80))
def test_any_text_is_handled_without_error(text: str) -> None:
    for claim in extract(text):
        assert_offsets(text, claim)
