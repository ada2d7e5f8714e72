"""Folding for matching keeps a map back to the original text; search keys are stable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sources.extraction.normalize import fold, normalize_arabic, normalize_search

ARABIC_TEXT = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآىةؤئـ ًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩0123456789 ,.،\u200f")),
    max_size=60,
)


@given(ARABIC_TEXT)
def test_search_key_is_idempotent(text: str) -> None:
    assert normalize_search(normalize_search(text)) == normalize_search(text)


@given(ARABIC_TEXT)
def test_folding_is_idempotent(text: str) -> None:
    once = fold(text).text
    assert fold(once).text == once


@given(ARABIC_TEXT)
def test_every_folded_character_maps_back_to_an_original_character(text: str) -> None:
    folded = fold(text)
    for i, ch in enumerate(folded.text):
        start, end = folded.to_original(i, i + 1)
        assert end - start == 1
        assert fold(text[start:end]).text == ch


def test_folding_drops_diacritics_and_tatweel_and_unifies_letter_variants() -> None:
    assert fold("أَطْفالٌ إصابـة مستشفى ٤٥").text == "اطفال اصابه مستشفي 45"


def test_normalize_arabic_keeps_its_behaviour() -> None:
    assert normalize_arabic("إصابة مستشفى") == "اصابه مستشفي"
    assert normalize_search("  «سانا»  ") == "سانا"
