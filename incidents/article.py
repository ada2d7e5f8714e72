"""Helpers for entering a pasted or uploaded article: HTML to text, highlighting, places, dates, proposals.

The text functions are pure. ``PlaceIndex`` and ``propose_incidents`` read the database (a fixed number of
queries each); nothing here writes.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

from django.db.models import Count, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from incidents.models import Incident, IncidentType, Place, PlaceLevel
from sources.extraction.normalize import normalize_search, strip_proclitics

# HTML to text -----------------------------------------------------------------------------------------------

# Elements whose content is never text a reader sees.
_SKIPPED: Final = frozenset(
    {"script", "style", "template", "noscript", "head", "title", "svg", "iframe", "object"}
)
# Elements that start a new line (paragraph breaks are kept so that sentences stay apart).
_BLOCKS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_VOID: Final = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}
)
_SPACES: Final = re.compile(r"[ \t\f\v\r\u00a0]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED and tag not in _VOID:
            self.skipping.append(tag)
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML document: script, style and similar content dropped, entities decoded,
    one line per paragraph (block element), runs of spaces folded. The HTML is parsed, never rendered."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_newlines(text: str) -> str:
    """Browsers submit line breaks as CRLF; the text is stored with LF so that a pasted and an uploaded copy of
    the same article hash alike and offsets do not shift between the review and the confirmation."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Highlighting -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A highlighted stretch ``[start, end)`` of a text; ``index`` names it (the candidate's number)."""

    start: int
    end: int
    index: int


def highlight(text: str, spans: Iterable[Span]) -> SafeString:
    """The text escaped, with ``<mark data-index="i">`` around each span. Spans outside the text, empty ones
    and ones overlapping an earlier span are left unmarked, so the markup is always well nested."""
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if span.start < position or span.end <= span.start or span.end > len(text):
            continue
        out.append(escape(text[position : span.start]))
        out.append(f'<mark id="mark-{span.index}" data-index="{span.index}">')
        out.append(escape(text[span.start : span.end]))
        out.append("</mark>")
        position = span.end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308  # every piece of text above is escaped


# Incident type ----------------------------------------------------------------------------------------------

# In order of precedence: a text naming aircraft describes an airstrike even if it also says "قصف"
# (bombardment, used for air and artillery fire alike).
_TYPE_WORDS: Final = (
    (IncidentType.AIRSTRIKE, ("غاره", "غارات", "طائرات", "طيران", "airstrike", "air strike", "air raid", "warplanes")),
    (IncidentType.EXPLOSIVE_DEVICE, ("مفخخه", "عبوه ناسفه", "تفجير", "انفجار", "car bomb", "explosive", "ied")),
    (IncidentType.SHELLING, ("قصف", "قذائف", "قذيفه", "صواريخ", "shelling", "shells", "artillery", "rocket")),
    (IncidentType.GROUND_CLASH, ("اشتباك", "اشتباكات", "معارك", "clash", "clashes", "fighting")),
    (IncidentType.EXECUTION, ("اعدام", "execution", "executed")),
)  # fmt: skip


def guess_incident_type(text: str) -> str:
    """The kind of incident the text's words suggest (airstrike, explosive device, shelling, ground clash,
    execution, in that order of precedence), else "other". Words match without their proclitics and with any
    ending ("بغارات", "قصفت")."""
    tokens = [strip_proclitics(token) for token in normalize_search(text).split()]
    for kind, words in _TYPE_WORDS:
        for word in words:
            parts = [strip_proclitics(part) for part in normalize_search(word).split()]
            for i in range(len(tokens) - len(parts) + 1):
                if all(tokens[i + j].startswith(part) for j, part in enumerate(parts)):
                    return kind
    return IncidentType.OTHER


def first_line(text: str, limit: int = 300) -> str:
    """The first non-empty line of a text, cut to ``limit`` characters: a default title."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


# Dates named in the text ------------------------------------------------------------------------------------

_MONTHS: Final = {
    normalize_search(name): number
    for number, names in enumerate(
        (
            ("كانون الثاني", "يناير", "january", "jan"),
            ("شباط", "فبراير", "february", "feb"),
            ("آذار", "مارس", "march", "mar"),
            ("نيسان", "أبريل", "ابريل", "april", "apr"),
            ("أيار", "مايو", "may"),
            ("حزيران", "يونيو", "يونيه", "june", "jun"),
            ("تموز", "يوليو", "يوليه", "july", "jul"),
            ("آب", "أغسطس", "اغسطس", "august", "aug"),
            ("أيلول", "سبتمبر", "september", "sep", "sept"),
            ("تشرين الأول", "أكتوبر", "اكتوبر", "october", "oct"),
            ("تشرين الثاني", "نوفمبر", "november", "nov"),
            ("كانون الأول", "ديسمبر", "december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_ALTERNATIVES: Final = "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH: Final = re.compile(
    rf"(?<!\d)(\d{{1,2}}) (?:من )?({_MONTH_ALTERNATIVES})(?: ({_MONTH_ALTERNATIVES}))?(?: (?:عام |سنه )?(\d{{4}}))?\b"
)
_ISO: Final = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def dates_in_text(text: str, published_on: datetime.date | None) -> list[datetime.date]:
    """Dates written as "17 أيلول/سبتمبر", "3 November 2018" or "2018-11-03", in order, without repeats.

    A date without a year takes the publication's year, or the year before when that would put it after the
    publication (an article of 4 January about "30 December").
    """
    key = normalize_search(text)
    found: list[datetime.date] = []
    for match in _DAY_MONTH.finditer(key):
        day, month = int(match[1]), _MONTHS[match[2]]
        if match[4]:
            year = int(match[4])
        elif published_on is not None:
            year = published_on.year
            if (month, day) > (published_on.month, published_on.day):
                year -= 1
        else:
            continue
        found.extend(_date(year, month, day))
    for match in _ISO.finditer(text):
        found.extend(_date(int(match[1]), int(match[2]), int(match[3])))
    return list(dict.fromkeys(found))


def _date(year: int, month: int, day: int) -> list[datetime.date]:
    try:
        return [datetime.date(year, month, day)]
    except ValueError:
        return []


# Places named in the text -----------------------------------------------------------------------------------


def _name_key(name: str) -> tuple[str, ...]:
    """A place name as matched: normalised words, the first without its proclitics ("والشفعة" = "الشفعة")."""
    words = normalize_search(name).split()
    return (strip_proclitics(words[0]), *words[1:]) if words else ()


@dataclass(frozen=True)
class PlaceIndex:
    """The gazetteer's names (English, Arabic, aliases) keyed for matching against text, with each place's
    path, so that sub-trees can be compared without further queries."""

    keys: dict[tuple[str, ...], frozenset[int]]
    paths: dict[int, str]
    levels: dict[int, int]
    names: tuple[str, ...]

    @classmethod
    def load(cls) -> PlaceIndex:
        """Read every place's names in one query."""
        keys: dict[tuple[str, ...], set[int]] = {}
        paths: dict[int, str] = {}
        levels: dict[int, int] = {}
        names: list[str] = []
        for pk, name_en, name_ar, aliases, path, level in Place.objects.values_list(
            "pk", "name_en", "name_ar", "aliases", "path", "level"
        ):
            paths[pk] = path
            levels[pk] = level
            for name in (name_en, name_ar, *aliases):
                key = _name_key(name or "")
                if key:
                    keys.setdefault(key, set()).add(pk)
                    names.append(name)
        return cls(
            keys={k: frozenset(v) for k, v in keys.items()},
            paths=paths,
            levels=levels,
            names=tuple(dict.fromkeys(names)),
        )

    def resolve(self, names: Iterable[str]) -> set[int]:
        """The places called by any of these names."""
        return {pk for name in names for pk in self.keys.get(_name_key(name), ())}

    def find(self, text: str) -> set[int]:
        """The places whose names occur in the text as whole words (longest names first)."""
        longest = max((len(k) for k in self.keys), default=0)
        words = normalize_search(text).split()
        found: set[int] = set()
        k = 0
        while k < len(words):
            for size in range(min(longest, len(words) - k), 0, -1):
                key = (strip_proclitics(words[k]), *words[k + 1 : k + size])
                places = self.keys.get(key)
                if places:
                    found |= places
                    k += size - 1
                    break
            k += 1
        return found

    def deepest(self, ids: Collection[int]) -> list[int]:
        """Of these places, those with no other of them below (Hajin rather than Deir ez-Zor), countries
        dropped: what a new incident is best placed at."""
        kept = [
            pk
            for pk in ids
            if pk in self.paths
            and self.levels[pk] > PlaceLevel.COUNTRY
            and not any(other != pk and self.paths[other].startswith(self.paths[pk]) for other in ids)
        ]
        return sorted(kept, key=lambda pk: self.paths[pk])


# Proposing incidents ----------------------------------------------------------------------------------------

DATE_WINDOW_DAYS = 3
MAX_PROPOSALS = 10


@dataclass(frozen=True)
class Proposal:
    """An existing incident the article may be about, and why: sources in common and days apart."""

    incident: Incident
    shared_sources: int
    days_apart: int


def propose_incidents(
    *,
    dates: Sequence[datetime.date],
    place_paths: Collection[str],
    source_ids: Collection[int],
    first: Collection[int] = (),
    window: int = DATE_WINDOW_DAYS,
    limit: int = MAX_PROPOSALS,
) -> list[Proposal]:
    """Incidents within ``window`` days of any of ``dates`` whose places share a sub-tree with one of the
    ``place_paths`` (a place named in the text is within the incident's place or the other way round),
    most sources in common first. Without places, only incidents sharing a source are proposed. Incidents in
    ``first`` (e.g. those already citing the same report) lead the list whatever their date or place.

    Two queries, however many incidents match.
    """
    if not dates and not first:
        return []
    date_q = Q()
    for day in dates:
        low, high = day - datetime.timedelta(days=window), day + datetime.timedelta(days=window)
        # A range overlaps [low, high] if it starts before high and ends (or, single-day, starts) after low.
        date_q |= Q(date_start__lte=high) & (Q(date_start__gte=low) | Q(date_end__gte=low))
    if place_paths:
        ancestors = {int(part) for path in place_paths for part in path.strip("/").split("/") if part}
        place_q = Q(places__pk__in=ancestors)
        for path in place_paths:
            place_q |= Q(places__path__startswith=path)
        where_q = Q(pk__in=Incident.objects.filter(place_q).values("pk"))
    else:
        where_q = Q(claims__claimed_by__in=list(source_ids), claims__is_current=True)
    match_q = (date_q & where_q) if dates else Q(pk__in=[])
    queryset: QuerySet[Incident] = (
        Incident.objects.filter(match_q | Q(pk__in=list(first)))
        .annotate(
            shared=Count(
                "claims__claimed_by",
                filter=Q(claims__claimed_by__in=list(source_ids), claims__is_current=True),
                distinct=True,
            )
        )
        .prefetch_related("places")
        .order_by("-shared", "-date_start", "-pk")
    )
    proposals = [
        Proposal(
            incident=incident,
            shared_sources=incident.shared,  # type: ignore[attr-defined]  # annotated above
            days_apart=min((abs((incident.date_start - day).days) for day in dates), default=0),
        )
        for incident in queryset[: limit * 2]
    ]
    leading = set(first)
    proposals.sort(key=lambda p: (p.incident.pk not in leading, -p.shared_sources, p.days_apart))
    return proposals[:limit]


# Place labels -----------------------------------------------------------------------------------------------


def place_labels(places: Sequence[Place]) -> dict[int, str]:
    """Each place as "هجين Hajin — Abu Kamal — Deir ez-Zor": its Arabic and English names, then its ancestors'
    English names up to (not including) the country. The ancestors of all places are read in one query."""
    chains = {
        place.pk: [int(part) for part in place.path.strip("/").split("/")[:-1] if part] for place in places
    }
    wanted = {pk for chain in chains.values() for pk in chain}
    names: dict[int, str] = (
        dict(Place.objects.filter(pk__in=wanted, level__gt=PlaceLevel.COUNTRY).values_list("pk", "name_en"))
        if wanted
        else {}
    )
    labels: dict[int, str] = {}
    for place in places:
        own = f"{place.name_ar} {place.name_en}" if place.name_ar else place.name_en
        above = [names[pk] for pk in reversed(chains[place.pk]) if pk in names]
        labels[place.pk] = " — ".join([own, *above])
    return labels
