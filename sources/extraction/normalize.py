"""Arabic/English text normalisation shared by extraction and the database's search keys.

Pure functions: no Django, no database. The stored text is never changed; these derive keys from it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from camel_tools.utils.charsets import AR_DIAC_CHARSET
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
)

TATWEEL = "\u0640"
# Arabic-Indic (U+0660..) and Extended/Persian (U+06F0..) digits to ASCII.
DIGITS = str.maketrans(
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
    "01234567890123456789",
)
_BIDI_AND_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_PUNCT = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def normalize_arabic(text: str) -> str:
    """Fold the Arabic letter variants that spellings disagree on; keeps length-changing steps minimal."""
    text = dediac_ar(text).replace(TATWEEL, "")
    text = normalize_alef_ar(text)
    text = normalize_alef_maksura_ar(text)
    text = normalize_teh_marbuta_ar(text)
    return text.translate(DIGITS)


def normalize_search(text: str | None) -> str:
    """The search key of a name or text: Arabic folded, digits ASCII, case-folded, punctuation to spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _BIDI_AND_ZERO_WIDTH.sub("", text)
    text = normalize_arabic(text).casefold()
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# Proclitics folded for search, longest first: conjunction (و ف), preposition (ب ل ك) and article (ال).
_PROCLITICS = ("وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_MIN_STEM = 3


def strip_proclitics(token: str) -> str:
    """The token without its leading proclitics ("والسوسه" -> "سوسه"), never shorter than three letters."""
    for prefix in _PROCLITICS:
        if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_STEM:
            return token[len(prefix) :]
    return token


def search_document(text: str | None) -> str:
    """A normalised search key: every token, followed by its proclitic-free form where that differs."""
    words: list[str] = []
    seen: set[str] = set()
    for token in normalize_search(text).split():
        for form in (token, strip_proclitics(token)):
            if form not in seen:
                seen.add(form)
                words.append(form)
    return " ".join(words)


def search_terms(query: str | None) -> list[str]:
    """The terms of a user's query, normalised the same way as search documents."""
    return [strip_proclitics(token) for token in normalize_search(query).split()]


# Characters that spellings add or drop freely: Arabic diacritics (camel-tools' set), tatweel, and the
# invisible bidi / zero-width marks that copy-pasted news text is full of.
_DROPPED = (
    frozenset(AR_DIAC_CHARSET)
    | {TATWEEL}
    | {chr(c) for c in range(0x200B, 0x2010)}
    | {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF)}
)
_DROPPED_RE = re.compile("[" + re.escape("".join(sorted(_DROPPED))) + "]")


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded copy of a text with a map from each folded character back to the original string.

    `index[i]` is the offset in the original of folded character `i`; `index[len(text)]` is the
    original's length, so a folded span `[a, b)` maps to the original span `[index[a], index[b - 1] + 1)`.
    `index` is None when nothing was dropped: offsets are then identical.
    """

    text: str
    original: str
    index: tuple[int, ...] | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded span `[start, end)` (end exclusive, `end > start`)."""
        if self.index is None:
            return start, end
        return self.index[start], self.index[end - 1] + 1


def fold(text: str) -> Folded:
    """Fold a text for matching while keeping offsets into the original.

    Drops diacritics, tatweel and invisible marks (recording where every kept character came from),
    then applies camel-tools' one-character-for-one foldings (alef forms, alef maksura, teh marbuta)
    and maps Arabic-Indic and Persian digits to ASCII. Letter case is left alone.
    """
    if _DROPPED_RE.search(text) is None:
        index: tuple[int, ...] | None = None
        kept = text
    else:
        positions: list[int] = []
        previous = 0
        for match in _DROPPED_RE.finditer(text):
            positions.extend(range(previous, match.start()))
            previous = match.end()
        positions.extend(range(previous, len(text)))
        kept = _DROPPED_RE.sub("", text)
        index = (*positions, len(text))
    folded = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(kept))).translate(DIGITS)
    # The camel-tools foldings map one character to one character; offsets depend on it.
    assert len(folded) == len(kept)
    return Folded(folded, text, index)


def fold_word(word: str) -> str:
    """The folded form of a single word or phrase: `fold(word).text`, lower-cased."""
    return fold(word).text.lower()
