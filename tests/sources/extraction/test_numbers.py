"""Numbers as written: digits of three scripts and Arabic number words parse back to their value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from num2words import num2words

from sources.extraction.numbers import parse_number

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@given(st.integers(min_value=0, max_value=999_999))
def test_western_digits_parse_to_their_value(n: int) -> None:
    assert parse_number(str(n)) == n


@given(st.integers(min_value=0, max_value=999_999))
def test_arabic_indic_and_persian_digits_parse_to_their_value(n: int) -> None:
    assert parse_number(str(n).translate(ARABIC_INDIC)) == n
    assert parse_number(str(n).translate(PERSIAN)) == n


@given(st.integers(min_value=0, max_value=999_999))
def test_arabic_number_words_written_by_num2words_parse_to_their_value(n: int) -> None:
    words = num2words(n, lang="ar")
    # num2words writes 101000-101999 (and the like) as "... و ألف ألف ...", which is not Arabic.
    if "ألف ألف" in words:
        return
    assert parse_number(words) == n


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("واحد", 1), ("واحدة", 1), ("اثنان", 2), ("اثنين", 2), ("اثنتان", 2), ("ثلاثة", 3), ("ثلاث", 3),
        ("ثماني", 8), ("ثمان", 8), ("عشرة", 10), ("عشر", 10), ("أحد عشر", 11), ("إحدى عشرة", 11),
        ("اثنا عشر", 12), ("اثنتي عشرة", 12), ("تسعة عشر", 19), ("عشرون", 20), ("عشرين", 20), ("تسعين", 90),
        ("سبعة وأربعون", 47), ("سبعة و أربعون", 47), ("مئة", 100), ("مائة", 100), ("مئتان", 200), ("مئتين", 200),
        ("ثلاثمائة", 300), ("ثلاث مئة", 300), ("مائة وخمسة عشر", 115), ("ألف", 1000), ("ألفان", 2000),
        ("ثلاثة آلاف", 3000), ("عشرة آلاف", 10000), ("ربع مليون", 250000), ("نصف مليون", 500000),
        ("16.5 ألف", 16500), ("4 آلاف", 4000), ("12 ألفا و340", 12340), ("٣ آلاف", 3000),
    ],
)  # fmt: skip
def test_arabic_number_forms_in_all_genders_and_cases(written: str, value: int) -> None:
    assert parse_number(written) == value


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("five", 5),
        ("twenty-five", 25),
        ("one hundred and twelve", 112),
        ("two thousand", 2000),
        ("1,250", 1250),
    ],
)
def test_english_number_words(written: str, value: int) -> None:
    assert parse_number(written) == value


@pytest.mark.parametrize("written", ["أحد", "17 و21", "واحد واحد", "16.5", "القتلى"])
def test_phrases_that_are_not_one_whole_number_give_none(written: str) -> None:
    assert parse_number(written) is None
