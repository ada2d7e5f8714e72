"""Shortcuts for asserting on extracted claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sources.extraction import CandidateClaim, extract


def figures(
    text: str, aliases: Mapping[str, Iterable[str]] | None = None, places: Iterable[str] | None = None
) -> list[tuple[str, str, int | None, int | None, str]]:
    """(outcome, category, low, high, qualifier) of each claim, checking every claim's offsets."""
    claims = extract(text, aliases=aliases, places=places)
    for claim in claims:
        assert_offsets(text, claim)
    return [(c.outcome, c.category, c.low, c.high, c.qualifier) for c in claims]


def assert_offsets(text: str, claim: CandidateClaim) -> None:
    """The evidence offsets slice the input to the words and the sentence."""
    assert text[claim.start : claim.end] == claim.words
    assert text[claim.sentence_start : claim.sentence_end] == claim.evidence
    assert claim.sentence_start <= claim.start < claim.end <= claim.sentence_end
