"""From analysed tokens to figures: which numbers are tolls, of what outcome and which victims.

Language-neutral: works on `tokens.Tok`s whatever lexicon produced them. Within one sentence:

1. Mentions. A number or vague amount ("عشرات") with its hedge ("نحو"، "اكثر من"، "بين 5 و10") and
   head noun ("15 مدنيا", "10 من الجنود", "9 عناصر من تنظيم داعش"); or an indefinite singular or dual
   victim noun standing for 1 or 2 ("طفل", "جنديين"). Numbers that head a unit ("110 كيلومترا",
   "3 مرات"), follow a label ("عام 2014", "الساعه 6", "الـ24") or precede a month are never mentions.
2. Roles. A mention after "بينهم"/"including" (or before "منهم") is a part of the mention before it;
   one joined by "و" to the previous mention shares its role ("بينهم 5 اطفال و5 نساء").
3. Outcome. The mention's own noun ("قتيلا", "جرحى") or the nearest casualty word before it (after
   the previous mention, not across an arrest or other non-casualty verb), else its whole's or its
   coordinate's, else a casualty verb right after it or after its chain ("... و5 نساء قتلوا").
4. Category. The noun's or the named force's ("من قوات النظام" → security_forces); a part without a
   noun takes its whole's (civilians become people: a part of civilians is not stated to be all
   civilian), a coordinate its neighbour's, and "آخرين" or a bare figure after a new casualty word takes
   the previous figure's only when that is combatants or security forces.
A mention with no outcome is dropped: a number is a toll only when a casualty word governs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sources.extraction.tokens import EMPTY, Category, Outcome, Qualifier, Tok, Victim

PRE_WINDOW = 8  # tokens between a casualty word and a figure with a victim noun
BARE_WINDOW = 4  # ... and a figure without one ("واصيب 20 بجروح")
IMPLICIT_WINDOW = 2  # ... and a singular or dual noun ("بمقتل مدني")
POST_WINDOW = 4  # tokens between a figure and a casualty verb after it ("12 شخصا على الاقل قتلوا")


@dataclass(slots=True)
class Mention:
    """A figure being resolved; becomes a claim once it has an outcome."""

    lead: int  # first token, hedge included
    first: int  # the number (or implicit noun) token
    last: int  # one past the last token of the figure and its noun phrase
    low: int | None
    high: int | None
    qualifier: Qualifier
    words_start: int
    words_end: int
    noun: Victim | None = None
    category: Category | None = None
    party: str | None = None
    nationality: str | None = None
    others: bool = False
    implicit: bool = False
    part_after: bool = False  # "36 منهم"
    outcome: Outcome | None = None
    trigger_distance: int | None = None
    post_found: bool = False
    barrier: bool = False
    role: str = "top"
    whole: Mention | None = None
    coordinate: Mention | None = None


def _qualify(value: int | None, hedge: Qualifier | None) -> tuple[int | None, int | None, Qualifier]:
    if value is None:
        return None, None, "unspecified"
    if hedge in ("at_least", "more_than"):
        return value, None, hedge
    if hedge == "up_to":
        return None, value, "up_to"
    if hedge == "about":
        return value, value, "about"
    return value, value, "exact"


def _numeric(
    toks: Sequence[Tok], k: int, lo: int, hi: int, adjectives_first: bool, floor: int
) -> Mention | None:
    tok = toks[k]
    # A figure in brackets reads as if they were not there: "بلغت (18) قتيلا".
    bracketed = lo < k and k + 1 < hi and toks[k - 1].info.punct == "(" and toks[k + 1].info.punct == ")"
    before = k - 1 if bracketed else k
    prev = toks[before - 1] if before > lo else None
    if prev is not None and (prev.info.blocks_next or prev.info.month):
        return None
    value = tok.number
    hedge: Qualifier | None = None
    lead = before
    if prev is not None and prev.info.hedge and prev.info.hedge_before:
        hedge = prev.info.hedge
        lead = before - 1
    end = k + 2 if bracketed else k + 1
    low_high: tuple[int | None, int | None] | None = None
    # Ranges: "بين 5 و10", "5 - 10", "5 او 6", "من 5 الي 10", "between 5 and 10".
    if value is not None and end < hi:
        nxt = toks[end]
        if nxt.number is not None and nxt.conj and prev is not None and prev.info.range_start:
            low_high, end, lead = (value, nxt.number), end + 1, k - 1
        elif (
            end + 1 < hi
            and toks[end + 1].number is not None
            and (
                nxt.info.range_link
                or (nxt.conj and nxt.info.function and prev is not None and prev.info.range_start)
            )
        ):
            low_high, end = (value, toks[end + 1].number), end + 2
            if prev is not None and prev.info.range_start:
                lead = k - 1
    if end < hi and (toks[end].info.month or (toks[end].info.blocks_next and toks[end].number is not None)):
        return None
    words_end = toks[end - 1].end
    if end < hi and toks[end].info.hedge_after and hedge is None:
        hedge = toks[end].info.hedge
        end += 1
    mention = Mention(lead, k, end, None, None, "exact", toks[before].start, words_end)
    if low_high is not None:
        mention.low, mention.high, mention.qualifier = low_high[0], low_high[1], "range"
    else:
        mention.low, mention.high, mention.qualifier = _qualify(value, hedge)
    j = _head(toks, end, hi, mention, adjectives_first)
    if j is None:
        return None
    # The noun before its number: "محتجين اثنين", "جندي واحد".
    if (
        mention.noun is None
        and mention.category is None
        and value in (1, 2)
        and prev is not None
        and before > floor
        and prev.info.victim is not None
        and not prev.definite
    ):
        mention.noun = prev.info.victim
        mention.lead = mention.first = k - 1
        mention.words_start = prev.start
    if mention.noun is None and value is not None and 1900 <= value <= 2100 and low_high is None:
        return None  # a year
    return mention


def _head(toks: Sequence[Tok], j: int, hi: int, mention: Mention, adjectives_first: bool) -> int | None:
    """Attach the noun phrase after a figure; None when the figure counts something else (a unit)."""
    if j >= hi:
        return j
    if adjectives_first:
        # English puts adjectives first: "14 Syrian soldiers", "five young children".
        skip = j
        while skip < hi and skip - j < 2 and toks[skip].info.victim is None and _adjective_like(toks[skip]):
            skip += 1
        if skip < hi and toks[skip].info.victim is not None and skip > j:
            for t in toks[j:skip]:
                mention.nationality = mention.nationality or t.info.nationality
            j = skip
    head = toks[j]
    if head.info.unit or head.info.month:
        return None
    if head.info.victim is not None:
        mention.noun = head.info.victim
        j += 1
    elif head.info.of and j + 1 < hi and (toks[j + 1].info.victim is not None or toks[j + 1].info.force):
        following = toks[j + 1]
        if following.info.victim is not None:
            mention.noun = following.info.victim
        else:
            assert following.info.force is not None
            mention.category, mention.party = following.info.force.category, following.info.force.party
        j += 2
    elif head.info.force is not None and head.definite:
        mention.category, mention.party = head.info.force.category, head.info.force.party  # "عشرات المسلحين"
        j += 1
    elif head.info.others:
        mention.others = True
        j += 1
    elif head.nisba:
        mention.noun = Victim("people")
        j += 1
    elif head.info.part in ("both", "post"):
        mention.part_after = True
        mention.last = j + 1
        return j + 1
    else:
        return j
    j = _modifiers(toks, j, hi, mention)
    mention.words_end = toks[j - 1].end
    if j < hi and toks[j].info.hedge_after and mention.qualifier == "exact" and mention.low is not None:
        mention.low, mention.high, mention.qualifier = _qualify(mention.low, toks[j].info.hedge)
        j += 1
    if (
        j < hi
        and toks[j].info.part in ("both", "post")
        and not (j + 1 < hi and toks[j + 1].number is not None)
    ):
        mention.part_after = True
        j += 1
    mention.last = j
    return j


def _adjective_like(tok: Tok) -> bool:
    info = tok.info
    return bool(info.nationality) or (
        tok.stem.isalpha() and not (info.function or info.unit or info.trigger or info.hedge or info.report)
    )


def _modifiers(toks: Sequence[Tok], j: int, hi: int, mention: Mention) -> int:
    """Consume what qualifies a victim noun: nationality, "آخرين", a force ("من قوات النظام"), an
    adjective, a predicate naming the category ("عشرة من القتلى مدنيون"), a coordinated group that
    shares the figure ("من جبهة النصرة والمقاتلين الموالين لها")."""
    steps = 0
    adjective = False
    while j < hi and steps < 8:
        tok = toks[j]
        info = tok.info
        if tok.conj:
            # "والمسلحين الموالين لها": the same figure covers both groups; the first names the category.
            if (info.victim is not None and info.victim.count == 0 and info.victim.outcome is None) or (
                info.force is not None and tok.definite
            ):
                if j + 1 < hi and toks[j + 1].number is not None:
                    break
                j += 1
                steps += 1
                continue
            break
        if info.victim is not None and info.victim.outcome == "killed_or_injured":
            mention.noun = info.victim  # "45 إصابة بين قتيل وجريح"
        elif info.nationality or (tok.nisba and not info.victim) or (info is EMPTY and _nisba_like(tok.stem)):
            mention.nationality = mention.nationality or info.nationality
        elif info.others:
            mention.others = True
        elif info.attributive:
            pass
        elif info.force is not None:
            mention.category, mention.party = info.force.category, info.force.party or mention.party
        elif (
            info.victim is not None
            and info.victim.category != "people"
            and mention.category is None
            and mention.noun is not None
            and mention.noun.category == "people"
        ):
            mention.category = info.victim.category
        elif info.of or (info.function and tok.stem in _FORCE_PREPOSITIONS):
            found = _force_after(toks, j + 1, hi)
            if found is None:
                break
            k, force_category, party = found
            mention.category, mention.party = force_category, party or mention.party
            j = k + 1
            steps += 1
            continue
        elif not adjective and steps == 0 and info is EMPTY and tok.number is None and _agrees(tok.stem):
            adjective = True  # one adjective agreeing with the noun: "عنصرا منشقا"
        else:
            break
        j += 1
        steps += 1
    return j


def _nisba_like(stem: str) -> bool:
    bare = stem[2:] if stem.startswith("ال") else stem
    return len(bare) >= 4 and bare.isalpha() and bare.endswith(("ي", "يه", "يين", "يون", "يا"))


def _agrees(stem: str) -> bool:
    return (
        len(stem) >= 3
        and stem.isalpha()
        and stem.endswith(("ا", "ين", "ون", "ه", "ي"))
        and not stem.startswith("ال")
    )


_FORCE_PREPOSITIONS = frozenset({"في", "من", "in", "of", "from"})
_FORCE_FILLERS = frozenset(
    {"صفوف", "عناصر", "مقاتلي", "مسلحي", "رجال", "افراد", "مجندي", "ranks", "the", "members"}
)


def _force_after(toks: Sequence[Tok], j: int, hi: int) -> tuple[int, Category, str | None] | None:
    """A force within three words after "من"/"في" ("من عناصر القوات النظاميه", "في صفوف الجيش")."""
    for k in range(j, min(hi, j + 3)):
        tok = toks[k]
        if tok.info.force is not None:
            party = tok.info.force.party
            if k + 1 < hi and toks[k + 1].info.nationality and party is None:
                party = f"{toks[k + 1].info.nationality} {'army' if tok.info.force.category == 'security_forces' else 'forces'}"
            return k, tok.info.force.category, party
        if tok.info.victim is not None and tok.info.victim.category in ("security_forces", "combatants"):
            return k, tok.info.victim.category, None
        if tok.stem not in _FORCE_FILLERS and not (tok.info.victim and tok.info.victim.category == "men"):
            return None
    return None


def _implicit(toks: Sequence[Tok], k: int, hi: int) -> Mention | None:
    tok = toks[k]
    victim = tok.info.victim
    assert victim is not None
    if k + 1 < hi and toks[k + 1].number in (1, 2):
        return None  # the number after it makes the mention ("جندي واحد")
    mention = Mention(
        k, k, k + 1, victim.count, victim.count, "exact", tok.start, tok.end, noun=victim, implicit=True
    )
    _head_after_implicit(toks, k + 1, hi, mention)
    return mention


def _head_after_implicit(toks: Sequence[Tok], j: int, hi: int, mention: Mention) -> None:
    j = _modifiers(toks, j, hi, mention)
    mention.words_end = toks[j - 1].end
    mention.last = j


def find_mentions(toks: Sequence[Tok], lo: int, hi: int, adjectives_first: bool = False) -> list[Mention]:
    """All candidate figures in `toks[lo:hi]` (one sentence), in order."""
    mentions: list[Mention] = []
    consumed = -1
    for k in range(lo, hi):
        if k < consumed:
            continue
        tok = toks[k]
        mention: Mention | None = None
        if tok.number is not None or tok.info.vague:
            mention = _numeric(toks, k, lo, hi, adjectives_first, max(lo, consumed))
        elif (
            tok.info.victim is not None
            and tok.info.victim.count in (1, 2)
            and not tok.definite
            and not tok.info.unit
        ):
            mention = _implicit(toks, k, hi)
        elif tok.info.others and tok.stem in _SINGULAR_OTHERS and k > lo and toks[k - 1].info.trigger:
            mention = Mention(
                k, k, k + 1, 1, 1, "exact", tok.start, tok.end, noun=Victim("people", 1), implicit=True
            )
        if mention is not None:
            mentions.append(mention)
            consumed = mention.last
    return mentions


_SINGULAR_OTHERS = frozenset({"اخر", "another"})


def _pre_trigger(
    toks: Sequence[Tok], start: int, floor: int, window: int, has_noun: bool
) -> tuple[Outcome, int, int] | bool | None:
    """The casualty word governing a figure starting at `start`: (outcome, distance, token index);
    False when a non-casualty verb ("اعتقال") comes first."""
    distance = 0
    k = start - 1
    while k >= floor and distance < window:
        tok = toks[k]
        if tok.info.barrier:
            return False
        trigger = tok.info.trigger
        if trigger is not None and trigger.pre and (has_noun or not trigger.weak):
            return trigger.outcome, distance, k
        if tok.info.punct in {":", "؛", ";"}:
            return None
        if not (tok.info.function or tok.info.hedge):
            distance += 1
        k -= 1
    return None


def _post_trigger(toks: Sequence[Tok], j: int, hi: int) -> Outcome | None:
    """A casualty verb right after a figure ("قتلوا", "were killed", "بجروح"), skipping adjectives."""
    skipped = 0
    depth = 0
    after_comma = False
    while j < hi and skipped <= POST_WINDOW:
        tok = toks[j]
        info = tok.info
        if info.punct in {"(", "["}:
            depth += 1
        elif info.punct in {")", "]"}:
            depth = max(0, depth - 1)
        elif depth:
            pass
        elif info.trigger is not None and info.trigger.post and not (after_comma and info.trigger.pre):
            return info.trigger.outcome
        elif info.punct in {",", "،"} and skipped == 0:
            # "14 civilians, including five children, were killed"; but a verb that can open a clause
            # ("، بينما أصيب") starts a new statement.
            after_comma = True
        elif (
            info.punct
            or tok.number is not None
            or info.part
            or info.report
            or info.barrier
            or info.victim is not None
            or (info.trigger is not None)
            or tok.conj
        ):
            return None
        j += 1
        skipped += 1
    return None


def _gap_kinds(toks: Sequence[Tok], a: int, b: int) -> tuple[bool, bool, bool]:
    """(part marker, coordinating "و" or list comma only, dash list) in the tokens `toks[a:b]`."""
    part = any(t.info.part in ("pre", "both") for t in toks[a:b])
    joiners = all(
        t.info.punct in {",", "،"} or (t.conj and t.info.function) or t.info.hedge or t.info.coordinator
        for t in toks[a:b]
    )
    dash = b - a == 1 and toks[a].stem in {"-", "–"}
    return part, joiners and b - a <= 2, dash


def _inherit_for_part(category: Category | None) -> Category:
    return "people" if category in (None, "civilians") else category


def _inherit_for_ellipsis(category: Category | None) -> Category:
    return category if category in ("combatants", "security_forces") else "people"


def link(toks: Sequence[Tok], mentions: list[Mention], lo: int) -> list[Mention]:
    """Resolve roles, outcomes and categories; return the mentions that are casualty figures."""
    previous: Mention | None = None
    last_top: Mention | None = None
    for m in mentions:
        floor = previous.last if previous is not None else lo
        window = IMPLICIT_WINDOW if m.implicit else PRE_WINDOW if m.noun or m.category else BARE_WINDOW
        found = _pre_trigger(toks, m.lead, floor, window, m.noun is not None or m.category is not None)
        if found is False:
            m.barrier = True
        elif isinstance(found, tuple):
            m.outcome, m.trigger_distance, at = found
            # "عدد القتلى المدنيين ... 1916 قتيلا": the casualty word names the victims.
            named = toks[at + 1].info.victim if at + 1 < len(toks) and toks[at].info.victim else None
            if (
                named is not None
                and named.category != "people"
                and m.category is None
                and (m.noun is None or m.noun.category == "people")
            ):
                m.category = named.category
        # The noun's own outcome wins, except over a combined casualty word ("مقتل وجرح 60 شخصا").
        if (
            m.noun is not None
            and m.noun.outcome is not None
            and not (m.outcome == "killed_or_injured" and m.noun.outcome != "killed_or_injured")
        ):
            m.outcome = m.noun.outcome
        if previous is not None:
            part, joined, dash = _gap_kinds(toks, previous.last, m.lead)
            coordinated = joined and any(
                t.conj or t.info.coordinator for t in toks[previous.last : m.lead + 1]
            )
            if part or dash:
                m.role, m.whole = "part", previous
            elif coordinated and m.trigger_distance is None:
                m.role, m.whole, m.coordinate = previous.role, previous.whole, previous
            elif m.part_after:
                m.role, m.whole = "part", previous
        if m.part_after and m.role == "top" and previous is not None:
            m.role, m.whole = "part", previous
        if m.role == "top" and m.coordinate is None:
            last_top_for_ellipsis = last_top
            last_top = m
        else:
            last_top_for_ellipsis = None
        _category(m, last_top_for_ellipsis)
        previous = m
    hi = mentions[-1].last if mentions else lo
    # Casualty verbs after a figure, then along chains of parts and coordinates.
    for index, m in enumerate(mentions):
        if m.outcome is None:
            limit = mentions[index + 1].lead if index + 1 < len(mentions) else len(toks)
            post = _post_trigger(toks, m.last, max(limit, hi) if index + 1 == len(mentions) else limit)
            if post is not None:
                m.outcome, m.post_found = post, True
    for _ in range(3):
        for m in reversed(mentions):
            if m.outcome is not None:
                continue
            for source in (m.whole, m.coordinate):
                if source is not None and source.outcome is not None and not m.barrier:
                    m.outcome = source.outcome
                    break
        for m in mentions:
            if m.outcome is None or m.post_found is False:
                continue
            for other in (m.whole, m.coordinate):
                if other is not None and other.outcome is None and not other.barrier:
                    other.outcome = m.outcome
                    other.post_found = True
    kept = []
    for m in mentions:
        if m.outcome is None:
            continue
        if m.category is None:
            continue
        if not _licensed(m):
            continue
        kept.append(m)
    return kept


def _category(m: Mention, antecedent: Mention | None) -> None:
    if m.category is None and m.noun is not None and not (m.others and m.noun.category == "people"):
        m.category = m.noun.category
    if m.category is not None:
        return
    if m.role == "part" and m.whole is not None and m.coordinate is None:
        m.category = _inherit_for_part(m.whole.category)
        m.party = m.whole.party if m.category == m.whole.category else None
    elif m.coordinate is not None:
        m.category, m.party = m.coordinate.category, m.coordinate.party
        if m.category is None:
            m.category = "people"
    elif antecedent is not None:
        m.category = _inherit_for_ellipsis(antecedent.category)
        m.party = antecedent.party if m.category == antecedent.category else None
    else:
        m.category = "people"


def _licensed(m: Mention) -> bool:
    """Whether a figure is close enough to what makes it a toll."""
    if m.implicit:
        own = m.noun is not None and m.noun.outcome is not None
        near = m.trigger_distance is not None and m.trigger_distance <= IMPLICIT_WINDOW
        return own or near or m.role == "part" or m.coordinate is not None or m.post_found
    if m.noun is None and m.category is None and not m.others and m.role == "top" and m.coordinate is None:
        return m.post_found or (m.trigger_distance is not None and m.trigger_distance <= BARE_WINDOW)
    return True
