"""Tokens with offsets, and the word classes the claim linker reads.

A `Lexicon` (one per language) classifies words and multi-word phrases into `WordInfo`s; `analyse`
turns a text into `Tok`s: one per word, phrase or whole number ("خمسه وعشرون" is one token), each
with the span it covers in the ORIGINAL text. Arabic tokens follow camel-tools'
`simple_word_tokenize(split_digits=True)`: whitespace splits, every character camel-tools classes as
punctuation or symbol is a token, digit runs are split from letters (so the corpus' glued "اصيب10" is
two tokens). The same rules are compiled into one regular expression here, because we need each
token's offset and camel-tools' per-character loop would cost as much as the whole extraction
(`tests/sources/extraction/test_tokens.py` checks that both give the same tokens). Proclitics
(و ف ب ل ك ال) are stripped by the lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Final, Literal

from camel_tools.utils.charsets import UNICODE_PUNCT_SYMBOL_CHARSET

from sources.extraction.normalize import Folded, fold
from sources.extraction.numbers import Word, read_number

Outcome = Literal["killed", "injured", "killed_or_injured"]
Category = Literal["people", "civilians", "children", "women", "men", "combatants", "security_forces"]
Qualifier = Literal["exact", "at_least", "more_than", "about", "up_to", "range", "unspecified"]


@dataclass(frozen=True, slots=True)
class Victim:
    """A noun naming victims: its category, the count it implies (1, 2; 0 for a plural) and outcome."""

    category: Category
    count: int = 0
    outcome: Outcome | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A casualty word. `pre`: governs a figure after it ("مقتل 5"); `post`: one before ("5 قتلوا")."""

    outcome: Outcome
    pre: bool = True
    post: bool = False
    weak: bool = False  # only with a victim noun: "سقوط 30 مقاتلا" but not "سقوط 5 مدن"


@dataclass(frozen=True, slots=True)
class Force:
    """An armed force named near a figure ("من قوات النظام"), deciding the victims' category."""

    category: Category
    party: str | None = None


@dataclass(frozen=True, slots=True)
class WordInfo:
    """Everything a lexicon knows about one word or phrase; a word may have several roles."""

    victim: Victim | None = None
    trigger: Trigger | None = None
    hedge: Qualifier | None = None
    hedge_after: bool = False  # the hedge follows its figure ("على الاقل", "at least" both ways)
    hedge_before: bool = True
    range_start: bool = False  # "بين" of "بين 5 و10"
    range_link: bool = False  # "-", "الي", "to", "او"
    part: Literal["pre", "post", "both"] | None = None
    others: bool = False
    unit: bool = False
    blocks_next: bool = False
    month: bool = False
    of: bool = False
    force: Force | None = None
    nationality: str | None = None
    report: Literal["verb", "adv", "via"] | None = None
    subject_stop: bool = False
    barrier: bool = False
    place_type: bool = False
    vague: bool = False
    coordinator: bool = False  # "بالإضافة إلى": joins two figures like "و"
    attributive: bool = False  # extends a victim noun phrase ("الموالين لها")
    article: bool = False  # a detached article ("ال ـ 24" in the corpus)
    function: bool = False  # a grammatical word that may sit between a trigger and its figure
    punct: str | None = None

    def merge(self, other: WordInfo) -> WordInfo:
        """Combine two descriptions of the same word; set fields of `other` win."""
        changes = {
            name: getattr(other, name)
            for name in other.__dataclass_fields__
            if getattr(other, name) not in (None, False)
        }
        return replace(self, **changes)


EMPTY: Final = WordInfo()


@dataclass(frozen=True, slots=True)
class Tok:
    """One analysed token: a word, a phrase or a whole number, with its original span."""

    start: int
    end: int
    stem: str
    info: WordInfo = EMPTY
    conj: bool = False  # led by "و" / "and" (as a proclitic or the previous word)
    definite: bool = False
    number: int | None = None
    nisba: bool = False  # an Arabic relative adjective ("عراقيا"): a nationality used as a noun
    words: int = 1
    prefix: int = 0  # original characters of stripped proclitics at the start


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A language's word classes: single stems and multi-word phrases (tuples of stems)."""

    words: Mapping[str, WordInfo]
    phrases: Mapping[str, Sequence[tuple[tuple[str, ...], WordInfo]]]
    variants: Callable[[str], tuple[tuple[str, int, bool, bool], ...]]
    lower: bool = False
    nisba: Callable[[str], bool] = field(default=lambda stem: False)


def build(entries: Iterable[tuple[Iterable[str], WordInfo]], normal: Callable[[str], str]) -> Lexicon:
    """Merge (spellings, info) entries into a lexicon; spellings with spaces become phrases."""
    words: dict[str, WordInfo] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], WordInfo]]] = {}
    for spellings, info in entries:
        for spelling in spellings:
            parts = tuple(normal(part) for part in spelling.split())
            if len(parts) == 1:
                words[parts[0]] = words.get(parts[0], EMPTY).merge(info)
            else:
                phrases.setdefault(parts[0], []).append((parts, info))
    for options in phrases.values():
        options.sort(key=lambda option: -len(option[0]))
    return Lexicon(words, phrases, lambda stem: ((stem, 0, False, False),))


_ALIGN_SKIP: Final = re.compile(r"\s*")
_URL_RE: Final = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _char_class(chars: Iterable[str]) -> str:
    """A compact regex character class body for a set of characters (ranges of consecutive code points)."""
    points = sorted(ord(c) for c in chars)
    parts: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = re.escape(chr(points[i])), re.escape(chr(points[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


_CAMEL_PUNCT: Final = _char_class(UNICODE_PUNCT_SYMBOL_CHARSET)
# Digits keep their inner separators ("16.5", "1,000", "6:00", "4/4"): one number or clock or date.
_AR_TOKEN_RE: Final = re.compile(rf"\d+(?:[.,٫:/]\d+)*|[{_CAMEL_PUNCT}]|[^\s\d{_CAMEL_PUNCT}]+")
_EN_TOKEN_RE: Final = re.compile(r"[0-9]+(?:[.,:/][0-9]+)*|[^\W\d_]+(?:'[a-z]+)?|\S", re.IGNORECASE)


def raw_tokens(folded: Folded, arabic: bool) -> list[tuple[int, int]]:
    """Folded-text spans of the words: camel-tools' tokenizer for Arabic, a regex for English.

    URLs become one token each, so the digits in them are never read as numbers.
    """
    text = folded.text
    spans: list[tuple[int, int]] = []
    pieces: list[tuple[int, int, bool]] = []
    last = 0
    for match in _URL_RE.finditer(text):
        pieces.append((last, match.start(), True))
        pieces.append((match.start(), match.end(), False))
        last = match.end()
    pieces.append((last, len(text), True))
    for lo, hi, plain in pieces:
        if not plain:
            spans.append((lo, hi))
            continue
        pattern = _AR_TOKEN_RE if arabic else _EN_TOKEN_RE
        spans.extend(m.span() for m in pattern.finditer(text, lo, hi))
    return spans


_CLOCK_OR_DATE: Final = re.compile(r"[0-9]+[:/][0-9]+(?:[:/][0-9]+)*")


def analyse(text: str, lexicon: Lexicon, arabic: bool) -> tuple[Folded, list[Tok]]:
    """Analyse a text into tokens: phrases and numbers merged, offsets into `text`."""
    folded = fold(text)
    spans = raw_tokens(folded, arabic)
    body = folded.text
    norms = [body[a:b].lower() for a, b in spans] if lexicon.lower else [body[a:b] for a, b in spans]
    key = id(lexicon)
    _LEXICONS.setdefault(key, lexicon)
    entries = [_entry(key, norm) for norm in norms]
    index = folded.index
    if index is None:
        starts = [a for a, _b in spans]
        ends = [b for _a, b in spans]
    else:
        starts = [index[a] for a, _b in spans]
        ends = [index[b - 1] + 1 for _a, b in spans]
    toks: list[Tok] = []
    append = toks.append
    i = 0
    n = len(spans)
    while i < n:
        stem, info, conj, definite, prefix, numeric, nisba, phrase_start = entries[i]
        if conj and stem == "":  # a lone "و"
            append(Tok(starts[i], ends[i], norms[i], _CONJ, conj=True))
            i += 1
            continue
        if numeric:
            number = _number_at(norms, entries, i)
            if number is not None:
                value, used = number
                kept = info if used == 1 else EMPTY
                append(
                    Tok(starts[i], ends[i + used - 1], stem, kept, conj, definite, value, False, used, prefix)
                )
                i += used
                continue
        if phrase_start:
            phrase = _phrase_at(lexicon, norms, stem, i)
            if phrase is not None:
                used, pinfo = phrase
                append(
                    Tok(starts[i], ends[i + used - 1], stem, pinfo, conj, definite, None, False, used, prefix)
                )
                i += used
                continue
        append(Tok(starts[i], ends[i], stem, info, conj, definite, None, nisba, 1, prefix))
        i += 1
    return folded, toks


Entry = tuple[str, "WordInfo", bool, bool, int, bool, bool, bool]


@lru_cache(maxsize=65536)
def _entry(lexicon_id: int, norm: str) -> Entry:
    """Everything about one folded word that does not depend on its neighbours (cached: words repeat)."""
    lexicon = _LEXICONS[lexicon_id]
    stem, info, conj, definite, prefix = _lookup_cached(lexicon_id, norm)
    if info is EMPTY and _CLOCK_OR_DATE.fullmatch(norm):
        info = _CLOCK
    if info is EMPTY and len(norm) == 1 and not norm.isalnum():
        info = WordInfo(punct=norm, subject_stop=True)
    nisba = info is EMPTY and lexicon.nisba(stem)
    return stem, info, conj, definite, prefix, _is_numeric_stem(stem), nisba, stem in lexicon.phrases


_CONJ: Final = WordInfo(function=True)
_CLOCK: Final = WordInfo(unit=True, blocks_next=True)


@lru_cache(maxsize=65536)
def _lookup_cached(lexicon_id: int, norm: str) -> tuple[str, WordInfo, bool, bool, int]:
    lexicon = _LEXICONS[lexicon_id]
    fallback: tuple[str, WordInfo, bool, bool, int] | None = None
    for stem, prefix, conj, definite in lexicon.variants(norm):
        if fallback is None or (conj and fallback[0] == norm):
            fallback = (stem, EMPTY, conj, definite, prefix)
        info = lexicon.words.get(stem)
        if info is not None or stem in lexicon.phrases:
            return stem, info or EMPTY, conj, definite, prefix
        if _is_numeric_stem(stem):
            return stem, EMPTY, conj, definite, prefix
    assert fallback is not None
    return fallback


_LEXICONS: dict[int, Lexicon] = {}


def _is_numeric_stem(stem: str) -> bool:
    from sources.extraction.numbers import digits_value, is_number_word

    return is_number_word(stem) or digits_value(stem) is not None


def _number_at(norms: Sequence[str], analyses: Sequence[Entry], i: int) -> tuple[int, int] | None:
    """A number starting at token i: (value, tokens used). A lone "و" token joins the word after it."""
    words: list[Word] = []
    ends: list[int] = []  # index of the token that ends each word
    j = i
    # A window is enough: no written number runs past a dozen words.
    while j < len(norms) and len(words) < 14:
        stem, conj = analyses[j][0], analyses[j][2]
        if conj and stem == "":
            if not words or j + 1 >= len(norms):
                break
            words.append(Word(analyses[j + 1][0], True))
            ends.append(j + 1)
            j += 2
            continue
        words.append(Word(stem, conj and j > i))
        ends.append(j)
        j += 1
    result = read_number(words)
    if result is None:
        return None
    value, used_words = result
    return value, ends[used_words - 1] - i + 1


def _phrase_at(lexicon: Lexicon, norms: Sequence[str], stem: str, i: int) -> tuple[int, WordInfo] | None:
    options = lexicon.phrases.get(stem)
    if not options:
        return None
    for words, info in options:
        if i + len(words) > len(norms):
            continue
        if all(words[k] in _forms(lexicon, norms[i + k]) for k in range(1, len(words))):
            return len(words), info
    return None


def _forms(lexicon: Lexicon, norm: str) -> frozenset[str]:
    return _forms_cached(id(lexicon), norm)


@lru_cache(maxsize=65536)
def _forms_cached(lexicon_id: int, norm: str) -> frozenset[str]:
    return frozenset({norm, *(variant for variant, _p, _c, _d in _LEXICONS[lexicon_id].variants(norm))})
