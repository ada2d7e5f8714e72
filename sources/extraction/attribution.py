"""Who states a figure: the reporting statements of a sentence and the source each figure falls under.

A statement is a reporting verb with its subject ("قال المرصد ... إن", "the ministry said") or an
attribution phrase with its object ("بحسب المرصد", "نقلا عن مصادر", "according to the UN"). For "نقلت
قناة X عن Y" the source is Y. A verb with no subject ("وأضاف أن") refers to the last named source.

A figure's source, in order of preference:
1. the nearest reporting verb before it in the sentence (it introduces what follows);
2. an attribution phrase in the sentence, the nearest after the figure first ("..., بحسب المرصد");
3. the source of the previous sentence when that sentence had a statement (a report continues);
4. none: the outlet speaks in its own voice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sources.extraction.tokens import Tok

MAX_SUBJECT = 12
_QUOTES: Final = frozenset("\"«»“”'")
_APPOSITION = 4  # words of a name set off by commas after a title ("مدير المرصد، رامي عبد الرحمن، أن")


@dataclass(frozen=True, slots=True)
class Statement:
    """A reporting statement at token `at`: its kind and the source's span in the original (or None)."""

    at: int
    kind: str
    span: tuple[int, int] | None


def _stops(tok: Tok, media: frozenset[str]) -> bool:
    info = tok.info
    if tok.info.punct in _QUOTES:
        return False
    if (
        info.subject_stop
        or info.report
        or info.trigger
        or info.hedge
        or info.barrier
        or tok.number is not None
        or info.vague
        or info.part
    ):
        return True
    # "لوكالة فرانس برس", "لـ«الشرق الأوسط»": the outlet spoken to, not the speaker.
    return tok.prefix > 0 and tok.stem in media


def _subject_after(toks: Sequence[Tok], j: int, hi: int, media: frozenset[str]) -> tuple[int, int] | None:
    """Token range [a, b) of the subject starting at j, or None when there is none."""
    while j < hi and toks[j].info.punct in _QUOTES:
        j += 1
    while j < hi and toks[j].stem in {"ل", "لـ"}:  # "وفقا لـ المتحدث"
        j += 1
    a = j
    while j < hi and j - a < MAX_SUBJECT and not _stops(toks[j], media):
        j += 1
    b = j
    if b > a and b < hi and toks[b].info.punct in {"،", ","}:
        k = b + 1
        while k < hi and k - b <= _APPOSITION and not _stops(toks[k], media):
            k += 1
        after = toks[k] if k < hi else None
        closes = after is not None and (
            (after.info.punct in {"،", ","} and k + 1 < hi and toks[k + 1].info.subject_stop)
            or (after.info.subject_stop and after.info.punct is None)
        )
        if k > b + 1 and closes:
            b = k
    while b > a and toks[b - 1].info.punct is not None:
        b -= 1
    while a < b and toks[a].info.punct is not None:
        a += 1
    if b <= a:
        return None
    return a, b


def _subject_before(toks: Sequence[Tok], k: int, lo: int, media: frozenset[str]) -> tuple[int, int] | None:
    """English subject before its verb: back to a comma, "that", a figure or the sentence start."""
    b = k
    a = k
    while a > lo and b - a < MAX_SUBJECT:
        tok = toks[a - 1]
        if (
            (tok.info.punct and tok.info.punct not in _QUOTES)
            or _stops(tok, media)
            or tok.stem in {"and", "that"}
        ):
            break
        a -= 1
    while a < b and toks[a].info.punct is not None:
        a += 1
    return (a, b) if b > a else None


def statements(
    toks: Sequence[Tok],
    lo: int,
    hi: int,
    media: frozenset[str],
    subject_first: bool,
    last_named: tuple[int, int] | None,
) -> tuple[list[Statement], tuple[int, int] | None]:
    """The statements of sentence `toks[lo:hi]`, and the last named source span after it."""
    found: list[Statement] = []
    for k in range(lo, hi):
        tok = toks[k]
        kind = tok.info.report
        if kind is None:
            continue
        rng: tuple[int, int] | None = None
        if kind == "adv":
            rng = _subject_after(toks, k + 1, hi, media)
        elif subject_first:
            rng = _subject_before(toks, k, lo, media) or _subject_after(toks, k + 1, hi, media)
        else:
            rng = _subject_after(toks, k + 1, hi, media)
            end = rng[1] if rng else k + 1
            if kind == "via" and end < hi and toks[end].stem in {"عن", "from"}:
                rng = _subject_after(toks, end + 1, hi, media) or rng
        span = (toks[rng[0]].start, toks[rng[1] - 1].end) if rng else None
        if span is None and kind != "adv":
            span = last_named
        if span is not None:
            last_named = span
            found.append(Statement(k, kind, span))
    return found, last_named


def source_for(
    at: int, found: Sequence[Statement], carried: tuple[int, int] | None, verbs_follow: bool = False
) -> tuple[int, int] | None:
    """The source span of a figure at token `at`, by the rules of the module docstring.

    With `verbs_follow` (English), a reporting verb after the figure also covers it ("..., police said").
    """
    verbs = [s for s in found if s.kind != "adv" and s.at < at]
    if verbs:
        return verbs[-1].span
    if verbs_follow:
        later = [s for s in found if s.at > at]
        if later:
            return later[0].span
    after = [s for s in found if s.kind == "adv" and s.at > at]
    if after:
        return after[0].span
    before = [s for s in found if s.kind == "adv" and s.at < at]
    if before:
        return before[-1].span
    if not found:
        return carried
    return None
