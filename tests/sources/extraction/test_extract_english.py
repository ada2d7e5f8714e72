"""English texts follow the same contract as Arabic ones."""

from __future__ import annotations

from sources.extraction import detect_language, extract

from .helpers import figures


def test_language_is_detected_from_the_script() -> None:
    assert detect_language("قتل 5 أشخاص") == "ar"
    assert detect_language("Five people were killed") == "en"


def test_parts_hedges_and_a_trailing_reporting_verb() -> None:
    text = "At least 14 civilians, including five children, were killed in the raid, the monitor said."
    claims = extract(text)
    assert [(c.outcome, c.category, c.low, c.high, c.qualifier) for c in claims] == [
        ("killed", "civilians", 14, None, "at_least"),
        ("killed", "children", 5, 5, "exact"),
    ]
    assert [c.part_of for c in claims] == [None, 0]
    assert {c.source_as_written for c in claims} == {"the monitor"}


def test_english_outcomes_numbers_and_vague_amounts() -> None:
    assert figures("The bombing killed twenty-two people and wounded dozens, police said.") == [
        ("killed", "people", 22, 22, "exact"),
        ("injured", "people", None, None, "unspecified"),
    ]
    assert figures("Between 30 and 40 militants died, according to the army.") == [
        ("killed", "combatants", 30, 40, "range"),
    ]


def test_english_non_tolls() -> None:
    assert figures("The convoy drove 20 km in 3 hours in May 2014 before the killing.") == []
