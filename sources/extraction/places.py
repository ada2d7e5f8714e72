"""Where casualties occurred, as written: a best effort over one sentence.

Two sources of names, both returned as written (without a leading proclitic: "بإدلب" gives "إدلب"):
- a gazetteer, when `extract` is given one: any of its names (matched on folded, proclitic-free words);
- otherwise, names after a place-type noun ("مدينة حلب", "بلدات هجين والسوسة", "Hama province" is
  not covered): up to three words, stopping at a function word, number, punctuation or known word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sources.extraction.normalize import Folded, fold_word
from sources.extraction.tokens import EMPTY, Tok

MAX_NAME = 3
_DIRECTIONS = frozenset(
    fold_word(w)
    for w in ["شمال", "جنوب", "شرق", "غرب", "وسط", "شرقي", "غربي", "شمالي", "جنوبي", "قرب", "محيط"]
)


def gazetteer_index(places: Iterable[str] | None) -> dict[tuple[str, ...], str]:
    """Folded word tuples of gazetteer names, for matching against token stems."""
    index: dict[tuple[str, ...], str] = {}
    for name in places or ():
        words = tuple(fold_word(w) for w in name.split())
        if words:
            index[words] = name
    return index


def _written(text: str, folded: Folded, tok: Tok) -> tuple[int, int]:
    return tok.start + tok.prefix, tok.end


def find_places(
    text: str, folded: Folded, toks: Sequence[Tok], lo: int, hi: int, gazetteer: dict[tuple[str, ...], str]
) -> tuple[str, ...]:
    """Place names in sentence `toks[lo:hi]`, in order, without repeats."""
    found: list[str] = []
    if gazetteer:
        longest = max(len(k) for k in gazetteer)
        k = lo
        while k < hi:
            for size in range(min(longest, hi - k), 0, -1):
                key = tuple(
                    toks[k + i].stem if i == 0 else fold_word(text[toks[k + i].start : toks[k + i].end])
                    for i in range(size)
                )
                full = tuple(fold_word(text[toks[k + i].start : toks[k + i].end]) for i in range(size))
                if key in gazetteer or full in gazetteer:
                    a, _ = _written(text, folded, toks[k])
                    found.append(text[a : toks[k + size - 1].end])
                    k += size - 1
                    break
            k += 1
        return tuple(dict.fromkeys(found))
    k = lo
    while k < hi:
        if toks[k].info.place_type:
            j = k + 1
            while j < hi:
                a = j
                while j < hi and j - a < MAX_NAME and _name_like(toks[j], first=j == a):
                    j += 1
                if j > a:
                    start, _ = _written(text, folded, toks[a])
                    found.append(text[start : toks[j - 1].end])
                if (
                    j < hi
                    and j > a
                    and toks[j].conj
                    and _name_like(toks[j], first=True)
                    and toks[j].info.place_type is False
                ):
                    continue
                break
            k = max(j, k + 1)
        else:
            k += 1
    return tuple(dict.fromkeys(found))


def _name_like(tok: Tok, first: bool) -> bool:
    if tok.number is not None or tok.info is not EMPTY or tok.stem in _DIRECTIONS:
        return False
    if not first and tok.conj:
        return False
    return tok.stem.isalpha()
