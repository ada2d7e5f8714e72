"""English word classes for casualty figures (lower-cased; no clitics to strip)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sources.extraction.tokens import Category, Force, Lexicon, Outcome, Trigger, Victim, WordInfo, build


def _nouns(
    singular: str, plural: str, category: Category, outcome: Outcome | None = None
) -> Iterator[tuple[list[str], WordInfo]]:
    yield singular.split(), WordInfo(victim=Victim(category, 1, outcome))
    yield plural.split(), WordInfo(victim=Victim(category, 0, outcome))


def _entries() -> Iterator[tuple[list[str], WordInfo]]:
    yield from _nouns("person civilian-casualty", "people persons", "people")
    yield from _nouns("civilian", "civilians", "civilians")
    yield from _nouns(
        "child kid boy girl baby infant toddler", "children kids boys girls babies infants", "children"
    )
    yield from _nouns("woman", "women", "women")
    yield from _nouns("man", "men", "men")
    yield from _nouns(
        "militant fighter insurgent rebel jihadist gunman member combatant extremist",
        "militants fighters insurgents rebels jihadists gunmen members combatants extremists",
        "combatants",
    )
    yield from _nouns(
        "soldier policeman trooper officer guard serviceman",
        "soldiers troops policemen troopers officers guards servicemen personnel",
        "security_forces",
    )
    yield from _nouns(
        "protester demonstrator worker journalist", "protesters demonstrators workers journalists", "people"
    )
    yield (
        ["dead", "fatalities", "deaths", "bodies", "victims"],
        WordInfo(victim=Victim("people", 0, "killed")),
    )
    yield ["body", "victim", "death", "fatality"], WordInfo(victim=Victim("people", 1, "killed"))
    yield ["wounded", "injured", "injuries"], WordInfo(victim=Victim("people", 0, "injured"))
    yield ["casualties"], WordInfo(victim=Victim("people", 0, "killed_or_injured"))
    both = [
        "killed",
        "died",
        "dead",
        "executed",
        "slain",
        "perished",
        "murdered",
        "shot dead",
        "lost their lives",
    ]
    yield both, WordInfo(trigger=Trigger("killed", True, True))
    yield (
        ["killing", "deaths of", "death of", "killings of", "toll", "death toll", "kills", "kill"],
        WordInfo(trigger=Trigger("killed", True, False)),
    )
    yield ["wounded", "injured", "hurt"], WordInfo(trigger=Trigger("injured", True, True))
    yield ["wounding", "injuring", "injuries to"], WordInfo(trigger=Trigger("injured", True, False))
    yield (
        [
            "killed or wounded",
            "killed or injured",
            "killed and wounded",
            "killed and injured",
            "dead and wounded",
        ],
        (WordInfo(trigger=Trigger("killed_or_injured", True, True))),
    )
    for aux in ("were", "was", "have been", "had been", "has been", "are", "is"):
        yield (
            [f"{aux} killed", f"{aux} executed", f"{aux} shot dead"],
            WordInfo(trigger=Trigger("killed", False, True)),
        )
        yield (
            [f"{aux} wounded", f"{aux} injured", f"{aux} hurt"],
            WordInfo(trigger=Trigger("injured", False, True)),
        )
    yield ["more than", "over", "upwards of", "in excess of"], WordInfo(hedge="more_than")
    yield ["at least"], WordInfo(hedge="at_least", hedge_after=True)
    yield ["no fewer than", "no less than"], WordInfo(hedge="at_least")
    yield ["or more"], WordInfo(hedge="at_least", hedge_after=True, hedge_before=False)
    yield (
        [
            "about",
            "around",
            "nearly",
            "almost",
            "some",
            "approximately",
            "roughly",
            "an estimated",
            "close to",
        ],
        (WordInfo(hedge="about")),
    )
    yield ["up to", "as many as", "fewer than", "less than", "under"], WordInfo(hedge="up_to")
    yield ["between"], WordInfo(range_start=True)
    yield ["to", "-", "–", "or"], WordInfo(range_link=True)
    yield ["including", "among them", "among whom", "among those"], WordInfo(part="pre")
    yield ["of them", "of whom"], WordInfo(part="both")
    yield ["others", "other", "more"], WordInfo(others=True)
    yield ["another"], WordInfo(others=True)
    yield (
        [
            "km",
            "kilometres",
            "kilometers",
            "kilometre",
            "kilometer",
            "miles",
            "mile",
            "metres",
            "meters",
            "hours",
            "hour",
            "days",
            "day",
            "weeks",
            "week",
            "months",
            "month",
            "years",
            "year",
            "times",
            "airstrikes",
            "airstrike",
            "strikes",
            "strike",
            "raids",
            "raid",
            "rockets",
            "rocket",
            "shells",
            "shell",
            "missiles",
            "missile",
            "bombs",
            "bomb",
            "attacks",
            "attack",
            "vehicles",
            "cars",
            "houses",
            "homes",
            "buildings",
            "dollars",
            "percent",
            "per",
            "cent",
            "minutes",
            "minute",
            "villages",
            "towns",
            "sorties",
            "tons",
            "tonnes",
            "points",
            "seats",
            "votes",
            "cases",
            "years-old",
        ],
        WordInfo(unit=True),
    )
    yield (
        ["year", "in", "since", "aged", "age", "number", "no", "route", "division", "brigade", "the"],
        WordInfo(function=True),
    )
    yield ["aged", "age", "number", "no", "route", "division", "brigade", "since"], WordInfo(blocks_next=True)
    yield (
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
            "jan",
            "feb",
            "mar",
            "apr",
            "jun",
            "jul",
            "aug",
            "sep",
            "sept",
            "oct",
            "nov",
            "dec",
        ],
        WordInfo(month=True, unit=True),
    )
    yield (
        ["said", "says", "say", "reported", "reports", "told", "announced", "stated", "confirmed", "added"],
        (WordInfo(report="verb")),
    )
    yield ["according to", "citing", "quoting", "per"], WordInfo(report="adv")
    yield (
        ["that", "on", "in", "at", "yesterday", "today", "monday", "tuesday", "wednesday", "thursday"],
        WordInfo(subject_stop=True),
    )
    yield (
        ["friday", "saturday", "sunday", "late", "earlier", "later", "while", "when"],
        WordInfo(subject_stop=True),
    )
    yield (
        ["arrested", "detained", "captured", "abducted", "kidnapped", "rescued", "evacuated", "displaced"],
        (WordInfo(barrier=True)),
    )
    yield ["of", "from"], WordInfo(of=True, function=True)
    yield ["a", "an", "the", "and", "by", "with", "were", "was"], WordInfo(function=True)
    yield ["dozens", "scores", "hundreds", "thousands", "several", "tens"], WordInfo(vague=True)
    for spellings, category, party in _FORCES:
        yield spellings, WordInfo(force=Force(category, party))
    yield (
        ["city", "town", "village", "province", "district", "governorate", "neighbourhood", "camp"],
        WordInfo(place_type=True),
    )
    for name, adjective in _NATIONALITIES.items():
        yield [name], WordInfo(nationality=adjective)


_FORCES: Final[list[tuple[list[str], Category, str | None]]] = [
    (["army", "police", "security forces", "government forces", "regime forces", "the military"],
     "security_forces", None),
    (["islamic state", "isis", "isil", "daesh"], "combatants", "ISIS"),
    (["al-nusra", "nusra front"], "combatants", "al-Nusra Front"),
    (["hezbollah"], "combatants", "Hezbollah"),
    (["houthis", "houthi"], "combatants", "Houthis"),
    (["taliban"], "combatants", "Taliban"),
    (["rebels", "opposition", "militia", "militias"], "combatants", None),
]  # fmt: skip
_NATIONALITIES: Final = {
    n.lower(): n
    for n in [
        "Syrian",
        "Iraqi",
        "Afghan",
        "Turkish",
        "Egyptian",
        "Yemeni",
        "Russian",
        "Israeli",
        "Lebanese",
        "Palestinian",
        "Iranian",
        "Saudi",
        "American",
        "Libyan",
        "Nigerian",
        "Pakistani",
        "Kurdish",
        "Jordanian",
    ]
}


def _variants(norm: str) -> tuple[tuple[str, int, bool, bool], ...]:
    if norm == "and":
        return (("", 0, True, False),)
    return ((norm, 0, False, norm == "the"),)


def _english() -> Lexicon:
    base = build(_entries(), str.lower)
    return Lexicon(base.words, base.phrases, _variants, lower=True)


ENGLISH: Final = _english()
MEDIA: Final = frozenset({"reuters", "afp", "ap", "bbc", "cnn"})
