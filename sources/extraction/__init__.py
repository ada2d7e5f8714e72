"""Casualty-claim extraction: text in, candidate claims out. Pure Python: no Django, database or network.

    from sources.extraction import extract, detect_language, CandidateClaim
    claims = extract(text, aliases={"SANA": ["سانا", "SANA"]}, places=["إدلب", "حماة"])

Each `CandidateClaim` carries its evidence as offsets into `text` (end exclusive):
`text[claim.start:claim.end] == claim.words` (the figure and its victim noun as written) and
`text[claim.sentence_start:claim.sentence_end] == claim.evidence` (the governing sentence, shown to
the analyst). Arabic is folded for matching only (camel-tools: alef forms, alef maksura, teh marbuta,
diacritics, tatweel; digits to ASCII) with a map back to the original, so offsets never drift.

Pipeline: `tokens.analyse` (words, phrases and numbers with offsets) → sentences → `linker`
(which numbers are tolls, outcome, category, parts of wholes) → `attribution` (who states each
figure) → `places` → one claim per figure, a figure repeated by the same source reported once.
`aliases` maps a canonical source name to its spellings, matched on `normalize_search` forms; the
canonical name goes into `source`. `places` is an optional gazetteer of names to look for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from sources.extraction import attribution, english, lexicon, linker
from sources.extraction.model import CandidateClaim
from sources.extraction.normalize import normalize_search
from sources.extraction.places import find_places, gazetteer_index
from sources.extraction.tokens import Tok, analyse

__all__ = ["CandidateClaim", "detect_language", "extract"]

_ARABIC_LETTER: Final = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER: Final = re.compile(r"[A-Za-z]")
_LINE_BREAK: Final = re.compile(r"\n")
_SENTENCE_END: Final = frozenset({".", "!", "?", "؟", "؛"})


def detect_language(text: str) -> str:
    """ "ar" when Arabic letters are at least as many as Latin ones (and for empty text), else "en"."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return "ar" if arabic >= latin else "en"


def sentences(text: str, toks: Sequence[Tok]) -> list[tuple[int, int]]:
    """Token ranges of sentences: ended by . ! ? ؟ ؛ or a line break."""
    out: list[tuple[int, int]] = []
    lo = 0
    breaks = [m.start() for m in _LINE_BREAK.finditer(text)]
    b = 0
    for k, tok in enumerate(toks):
        while b < len(breaks) and breaks[b] < tok.start:
            if k > lo and breaks[b] >= toks[k - 1].end:
                out.append((lo, k))
                lo = k
            b += 1
        if tok.info.punct in _SENTENCE_END:
            out.append((lo, k + 1))
            lo = k + 1
    if lo < len(toks):
        out.append((lo, len(toks)))
    return out


def _alias_table(aliases: Mapping[str, Iterable[str]] | None) -> list[tuple[str, str]]:
    table = [
        (normalize_search(spelling), canonical)
        for canonical, spellings in (aliases or {}).items()
        for spelling in (*spellings, canonical)
        if normalize_search(spelling)
    ]
    return sorted(table, key=lambda item: -len(item[0]))


def canonical_source(written: str | None, table: Sequence[tuple[str, str]]) -> str | None:
    """The canonical name whose alias occurs, as whole words, in the source as written (longest first)."""
    if not written:
        return None
    key = f" {normalize_search(written)} "
    for alias, canonical in table:
        if f" {alias} " in key:
            return canonical
    return None


def _party(m: linker.Mention) -> str | None:
    if m.party:
        return m.party
    if m.nationality and m.category == "security_forces":
        return f"{m.nationality} army"
    return None


def extract(
    text: str, aliases: Mapping[str, Iterable[str]] | None = None, places: Iterable[str] | None = None
) -> list[CandidateClaim]:
    """Candidate casualty claims in `text`, in order of appearance (see the module docstring)."""
    language = detect_language(text)
    arabic = language == "ar"
    lex = lexicon.ARABIC if arabic else english.ENGLISH
    media = lexicon.MEDIA if arabic else english.MEDIA
    folded, toks = analyse(text, lex, arabic)
    table = _alias_table(aliases)
    gazetteer = gazetteer_index(places)
    rows: list[tuple[linker.Mention, CandidateClaim]] = []
    carried: tuple[int, int] | None = None
    last_named: tuple[int, int] | None = None
    for lo, hi in sentences(text, toks):
        found, last_named = attribution.statements(toks, lo, hi, media, not arabic, last_named)
        kept = linker.link(toks, linker.find_mentions(toks, lo, hi, adjectives_first=not arabic), lo)
        if kept:
            where = find_places(text, folded, toks, lo, hi, gazetteer)
            s_start, s_end = toks[lo].start, toks[hi - 1].end
            for m in kept:
                span = attribution.source_for(m.first, found, carried, verbs_follow=not arabic)
                written = text[span[0] : span[1]] if span else None
                assert m.outcome is not None
                assert m.category is not None
                claim = CandidateClaim(
                    outcome=m.outcome,
                    category=m.category,
                    party=_party(m),
                    low=m.low,
                    high=m.high,
                    qualifier=m.qualifier,
                    words=text[m.words_start : m.words_end],
                    start=m.words_start,
                    end=m.words_end,
                    sentence_start=s_start,
                    sentence_end=s_end,
                    evidence=text[s_start:s_end],
                    source_as_written=written,
                    source=canonical_source(written, table),
                    places=where,
                    language=language,
                )
                rows.append((m, claim))
        carried = found[-1].span if found else None
    return _finish(rows)


def _same_source(a: CandidateClaim, b: CandidateClaim) -> bool:
    if a.source and b.source:
        return a.source == b.source
    x, y = normalize_search(a.source_as_written), normalize_search(b.source_as_written)
    return x == y or (bool(x) and bool(y) and (x in y or y in x))


def _same_words(a: CandidateClaim, b: CandidateClaim) -> bool:
    return normalize_search(a.words) == normalize_search(b.words)


def _finish(rows: list[tuple[linker.Mention, CandidateClaim]]) -> list[CandidateClaim]:
    """Drop repeats (same figure, outcome and category from the same source, or one unattributed:
    a headline restating the body), preferring the attributed copy; then number the parts."""
    kept: list[tuple[linker.Mention, CandidateClaim]] = []
    replaced: dict[int, int] = {}  # id(mention) of a dropped repeat -> index in kept
    for m, claim in rows:
        if m.implicit:  # "سيدة ... وسيدة": two people, not one figure repeated
            kept.append((m, claim))
            continue
        key = (claim.outcome, claim.category, claim.low, claim.high, claim.qualifier)
        twin = next(
            (
                i
                for i, (_om, other) in enumerate(kept)
                if (other.outcome, other.category, other.low, other.high, other.qualifier) == key
                and not _om.implicit
                and (
                    (
                        other.sentence_start == claim.sentence_start
                        and (claim.low is None or _same_words(other, claim))
                    )
                    or _same_source(other, claim)
                    or not other.source_as_written
                    or not claim.source_as_written
                )
            ),
            None,
        )
        if twin is None:
            kept.append((m, claim))
            continue
        if not kept[twin][1].source_as_written and claim.source_as_written:
            replaced[id(kept[twin][0])] = twin
            kept[twin] = (m, claim)
        replaced[id(m)] = twin
    index = {id(m): i for i, (m, _c) in enumerate(kept)}
    index.update({k: v for k, v in replaced.items() if k not in index})
    out: list[CandidateClaim] = []
    for m, claim in kept:
        whole = m.whole
        part_of = index.get(id(whole)) if whole is not None else None
        out.append(_with_part(claim, part_of))
    return out


def _with_part(claim: CandidateClaim, part_of: int | None) -> CandidateClaim:
    from dataclasses import replace

    return replace(claim, part_of=part_of)
