"""The candidate claim: what extraction hands to an analyst for review."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sources.extraction.tokens import Category, Outcome, Qualifier


@dataclass(frozen=True, slots=True)
class CandidateClaim:
    """One source's casualty figure as found in a text, before an analyst confirms it.

    Offsets are into the text given to `extract`, end exclusive: `text[start:end] == words` (the
    figure and its victim noun as written, e.g. "15 مدنيا", "9 عناصر من تنظيم داعش", "طفلين"), and
    `text[sentence_start:sentence_end] == evidence` (the whole sentence, for display). `part_of` is
    the index, in the same result list, of the claim this one breaks down ("14 مدنيا بينهم 5 أطفال").
    """

    outcome: Outcome
    category: Category
    party: str | None
    low: int | None
    high: int | None
    qualifier: Qualifier
    words: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    evidence: str
    source_as_written: str | None
    source: str | None
    places: tuple[str, ...]
    language: str
    part_of: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (places as a list)."""
        data = asdict(self)
        data["places"] = list(self.places)
        return data
