"""Numbers as written in Arabic and English news: digits and number words, to integers.

Pure functions over already-folded words (see `normalize.fold`: alef forms to ا, ى to ي, ة to ه,
Arabic-Indic and Persian digits to ASCII). A number is read greedily from a sequence of `Word`s;
`read_number` says how many words it used, so callers keep offsets.

Arabic grammar covered: units in both genders and all cases (واحد/واحده، اثنان/اثنين/اثنتان، ثلاثه/ثلاث
... عشره/عشر), teens (احد عشر ... تسعه عشر, including احدي عشره and اثنتا عشره), tens (عشرون/عشرين ...
تسعون), hundreds (مئه/مائه، مئتان/مئتين/مئتا، ثلاثمائه and ثلاث مئه), scales (الف، الفان/الفا، الاف،
مليون، مليار) with fractions (ربع مليون، نصف مليون), digits with a scale word ("16.5 الف"، "4 الاف")
and additions joined by و in the orders Arabic uses ("خمسه وعشرون"، "16 الفا و507").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sources.extraction.normalize import fold_word


@dataclass(frozen=True, slots=True)
class Word:
    """One word offered to the number reader: its folded stem and whether و joins it to the previous."""

    stem: str
    joined: bool = False


_UNITS: Final[dict[str, int]] = {
    "صفر": 0,
    "واحد": 1, "واحده": 1, "احدي": 1, "احد": 1,
    "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "اثنا": 2, "اثنتا": 2, "اثني": 2, "اثنتي": 2,
    "ثلاثه": 3, "ثلاث": 3,
    "اربعه": 4, "اربع": 4,
    "خمسه": 5, "خمس": 5,
    "سته": 6, "ست": 6,
    "سبعه": 7, "سبع": 7,
    "ثمانيه": 8, "ثماني": 8, "ثمان": 8,
    "تسعه": 9, "تسع": 9,
}  # fmt: skip
# Units that are numbers only inside a teen ("احد عشر"); alone they mean "one of" or Sunday.
_TEEN_ONLY: Final = frozenset({"احد", "احدي", "اثنا", "اثنتا", "اثني", "اثنتي"})
_TEN_WORDS: Final = frozenset({"عشره", "عشر"})
_TENS: Final[dict[str, int]] = {
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
}  # fmt: skip
_HUNDRED_WORDS: Final = frozenset({"مئه", "مائه", "ميه"})


def _hundreds() -> dict[str, int]:
    table = {"مئه": 100, "مائه": 100, "ميه": 100}
    for form in ("مئتان", "مئتين", "مئتا", "مئتي", "مائتان", "مائتين", "مائتا", "مائتي"):
        table[form] = 200
    prefixes = {
        3: ("ثلاث",),
        4: ("اربع",),
        5: ("خمس",),
        6: ("ست",),
        7: ("سبع",),
        8: ("ثمان", "ثماني"),
        9: ("تسع",),
    }
    for n, heads in prefixes.items():
        for head in heads:
            for tail in ("مئه", "مائه"):
                table[head + tail] = n * 100
    return table


_HUNDREDS: Final[dict[str, int]] = _hundreds()
# Scale words: (multiplier, value when nothing precedes it). "الفا" alone is the construct dual (2000,
# "الفا شخص"); after a number it is the accusative singular ("16 الفا" = 16000).
_SCALES: Final[dict[str, tuple[int, int]]] = {
    "الف": (1000, 1000), "الفا": (1000, 2000), "الفان": (1000, 2000), "الفين": (1000, 2000),
    "الاف": (1000, 0), "الوف": (1000, 0),
    "مليون": (10**6, 10**6), "مليونا": (10**6, 10**6), "مليونان": (10**6, 2 * 10**6),
    "مليونين": (10**6, 2 * 10**6), "ملايين": (10**6, 0),
    "مليار": (10**9, 10**9), "مليارا": (10**9, 10**9), "مليارات": (10**9, 0),
}  # fmt: skip
_FRACTIONS: Final[dict[str, float]] = {"ربع": 0.25, "نصف": 0.5, "ثلث": 1 / 3}

_EN_UNITS: Final[dict[str, int]] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "dozen": 12,
}  # fmt: skip
_EN_TENS: Final[dict[str, int]] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_EN_SCALES: Final[dict[str, int]] = {"thousand": 1000, "million": 10**6, "billion": 10**9}

_DIGITS_RE: Final = re.compile(r"[0-9]+(?:[.,٫][0-9]+)*")
_THOUSANDS_RE: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


def digits_value(token: str) -> float | None:
    """The value of a digit token: "14", "16.5", "1,200" (thousands separators), else None."""
    if _DIGITS_RE.fullmatch(token) is None:
        return None
    if _THOUSANDS_RE.fullmatch(token):
        return float(token.replace(",", ""))
    token = token.replace("٫", ".").replace(",", ".")
    if token.count(".") > 1:
        return None
    return float(token)


def is_number_word(stem: str) -> bool:
    """Whether a folded Arabic or English word can start or continue a written number."""
    return (
        stem in _UNITS
        or stem in _TENS
        or stem in _HUNDREDS
        or stem in _SCALES
        or stem in _TEN_WORDS
        or stem in _FRACTIONS
        or stem in _EN_UNITS
        or stem in _EN_TENS
        or stem in _EN_SCALES
        or stem == "hundred"
    )


@dataclass(slots=True)
class _Group:
    """The part of a number below the next scale word, as it is being read."""

    value: float = 0
    hundreds: bool = False
    tens: bool = False
    units: bool = False
    digits: bool = False

    @property
    def empty(self) -> bool:
        return not (self.hundreds or self.tens or self.units or self.digits)


def read_number(words: Sequence[Word], start: int = 0) -> tuple[int, int] | None:
    """Read one number at `words[start]`: (value, words used), or None when no number starts there.

    Digits are read as one word ("16.5"); a decimal value must be scaled ("16.5 الف") to be kept.
    Stops before a و that would not continue the number (e.g. "17 و21" is two numbers, since digits
    only add to a scale: "16 الفا و507").
    """
    first = words[start].stem
    if first in _EN_UNITS or first in _EN_TENS:
        return _read_english(words, start)
    first_digits = digits_value(first)
    if first_digits is not None and start + 1 < len(words) and words[start + 1].stem in _EN_SCALES:
        value = first_digits * _EN_SCALES[words[start + 1].stem]
        return (int(value), 2) if value == int(value) else None
    if first_digits is None and not is_number_word(first):
        return None
    if first in _TEEN_ONLY and not (start + 1 < len(words) and words[start + 1].stem in _TEN_WORDS):
        return None
    total = 0.0
    group = _Group()
    last_scale = 0
    used = 0
    i = start
    while i < len(words):
        word = words[i]
        stem = word.stem
        after_scale = last_scale > 0 and group.empty
        if i > start and word.joined and not (after_scale or _can_add(group, stem)):
            break
        if i > start and not word.joined and not _can_attach(group, stem, after_scale):
            break
        digits = digits_value(stem)
        if digits is not None:
            if not group.empty:
                break
            group = _Group(value=digits, digits=True)
        elif stem in _TEN_WORDS and group.units and not group.tens and not word.joined:
            group.value += 10  # teen: "ثلاثه عشر"
            group.tens = True
        elif stem in _TEN_WORDS or stem in _TENS:
            if group.tens:
                break
            group.value += 10 if stem in _TEN_WORDS else _TENS[stem]
            group.tens = True
        elif stem in _UNITS:
            if group.units or group.tens or (stem in _TEEN_ONLY and not _teen_follows(words, i)):
                break
            group.value += _UNITS[stem]
            group.units = True
        elif stem in _HUNDREDS:
            if stem in _HUNDRED_WORDS and group.units and not group.tens and not word.joined:
                group.value *= 100  # "ثلاث مئه"
                group.units = False
            elif group.empty:
                group.value = _HUNDREDS[stem]
            else:
                break
            group.hundreds = True
        elif stem in _FRACTIONS:
            if not group.empty or i + 1 >= len(words) or words[i + 1].stem not in _SCALES:
                break
            group = _Group(value=_FRACTIONS[stem], units=True)
        elif stem in _SCALES:
            multiplier, alone = _SCALES[stem]
            if last_scale and multiplier >= last_scale:
                break
            if group.empty:
                if not alone:
                    break
                total += alone
            else:
                total += group.value * multiplier
            group = _Group()
            last_scale = multiplier
        else:
            break
        i += 1
        used = i - start
    if used == 0:
        return None
    value = total + group.value
    if value != int(value):
        return None
    return int(value), used


def _teen_follows(words: Sequence[Word], i: int) -> bool:
    return i + 1 < len(words) and words[i + 1].stem in _TEN_WORDS and not words[i + 1].joined


def _can_add(group: _Group, stem: str) -> bool:
    """Whether "و + stem" continues the group: Arabic adds units before tens and both after hundreds."""
    if group.digits:
        return False
    if stem in _UNITS:
        return group.hundreds and not group.units and not group.tens
    if stem in _TENS or stem in _TEN_WORDS:
        return not group.tens and (group.units or group.hundreds)
    return False


def _can_attach(group: _Group, stem: str, after_scale: bool) -> bool:
    """Whether an unjoined word continues: a scale, a teen's عشر, "ثلاث مئه", or digits glued to "الف"."""
    if stem in _SCALES:
        return not group.empty
    if stem in _TEN_WORDS:
        return group.units and not group.tens
    if stem in _HUNDRED_WORDS:
        return group.units and not group.tens and not group.hundreds and 3 <= group.value <= 9
    # "28 الف765": the corpus glues the remainder to the scale word.
    return after_scale and digits_value(stem) is not None and (digits_value(stem) or 0) < 1000


def _read_english(words: Sequence[Word], start: int) -> tuple[int, int] | None:
    """English number words: "five", "twenty-five", "one hundred and twelve", "two thousand"."""
    total = 0
    current = 0
    last = ""
    i = end = start
    while i < len(words):
        stem = words[i].stem
        if stem in {"-", "and"} and last and i + 1 < len(words):
            following = words[i + 1].stem
            if following in _EN_UNITS or following in _EN_TENS:
                i += 1
                continue
            break
        if stem in _EN_UNITS:
            value = _EN_UNITS[stem]
            if last in {"unit", "teen"} or (last == "tens" and value >= 10):
                break
            current += value
            last = "teen" if value >= 10 else "unit"
        elif stem in _EN_TENS:
            if last in {"unit", "teen", "tens"}:
                break
            current += _EN_TENS[stem]
            last = "tens"
        elif stem == "hundred":
            if last not in {"unit", "teen"} or current >= 100:
                break
            current = current % 100 * 100 + current // 100 * 100
            last = "hundred"
        elif stem in _EN_SCALES:
            if not last or last == "scale":
                break
            total += current * _EN_SCALES[stem]
            current = 0
            last = "scale"
        else:
            break
        i += 1
        end = i
    if not last:
        return None
    return total + current, end - start


_SPLIT_RE: Final = re.compile(r"[0-9]+(?:[.,٫][0-9]+)*|[^\W\d_]+|-")


def parse_number(text: str) -> int | None:
    """The integer written by a whole phrase ("خمسه وعشرون", "١٤", "16 الفا و507", "twenty-five").

    Returns None unless the entire phrase is one number. Word-initial و joins words, as in the text.
    """
    words: list[Word] = []
    for match in _SPLIT_RE.finditer(fold_word(text)):
        token = match.group()
        if token == "و":  # noqa: S105 - the Arabic "and", not a secret
            words.append(Word("و"))
            continue
        joined = bool(words) and words[-1].stem == "و"
        if joined:
            words.pop()
        if (
            token.startswith("و")
            and len(token) > 2
            and not is_number_word(token)
            and is_number_word(token[1:])
        ):
            words.append(Word(token[1:], True))
        else:
            words.append(Word(token, joined))
    if not words:
        return None
    result = read_number(words)
    if result is None or result[1] != len(words):
        return None
    return result[0]
