"""Writes to places, incidents, claims and flags. Views, imports and commands all call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from incidents.gazetteer import GazetteerError, GazetteerPlan, PlaceRecord, plan_changes
from incidents.models import Claim, ClaimStatus, Flag, FlagComment, FlagStatus, Incident, Place, PlaceLevel
from sources.models import Report, Source

User = AuthUser | AnonymousUser

# Order in which a row stands for its outcome in the incident list when several rows have as many sources.
HEADLINE_CATEGORY_ORDER = ("people", "civilians", "security_forces", "combatants", "men", "women", "children")

_REFRESH_SUMMARIES_SQL = """
WITH cur AS (
    SELECT incident_id, outcome, category, party, claimed_by_id, low, high, cmp_low, cmp_high
    FROM incidents_claim
    WHERE is_current AND incident_id = ANY(%(ids)s)
), rows AS (
    SELECT incident_id, outcome, category, party,
           count(*) AS sources,
           min(coalesce(low, high)) AS lo,
           max(coalesce(high, low)) AS hi,
           bool_or(high IS NULL AND low IS NOT NULL) AS open_high,
           count(cmp_low) >= 2 AND max(cmp_low) > min(coalesce(cmp_high, 2147483647)) AS conflict
    FROM cur
    GROUP BY incident_id, outcome, category, party
), ranked AS (
    SELECT rows.*, row_number() OVER (
        PARTITION BY incident_id, outcome
        ORDER BY sources DESC, array_position(%(order)s::text[], category), party
    ) AS rank
    FROM rows
), summaries AS (
    SELECT i.id,
           coalesce((
               SELECT jsonb_object_agg(r.outcome, jsonb_build_object(
                   'category', r.category, 'party', r.party, 'low', r.lo, 'high', r.hi,
                   'open', r.open_high, 'conflict', r.conflict, 'sources', r.sources))
               FROM ranked r WHERE r.incident_id = i.id AND r.rank = 1
           ), '{}'::jsonb) AS summary,
           coalesce((SELECT bool_or(r.conflict) FROM rows r WHERE r.incident_id = i.id), false) AS has_conflict,
           (SELECT count(DISTINCT c.claimed_by_id) FROM cur c WHERE c.incident_id = i.id) AS source_count
    FROM incidents_incident i
    WHERE i.id = ANY(%(ids)s)
)
UPDATE incidents_incident i
SET summary = s.summary, has_conflict = s.has_conflict, source_count = s.source_count
FROM summaries s
WHERE s.id = i.id
  AND (i.summary, i.has_conflict, i.source_count) IS DISTINCT FROM (s.summary, s.has_conflict, s.source_count)
"""


# While ``deferred_summaries()`` is active, claim writes note their incident here instead of refreshing it.
_deferred_summaries: ContextVar[set[int] | None] = ContextVar("deferred_summaries", default=None)


@contextmanager
def deferred_summaries() -> Iterator[None]:
    """Refresh incident summaries once, when the block ends, instead of after every claim written in it
    (bulk imports: thousands of claims, one statement). Use inside the block's transaction."""
    if _deferred_summaries.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _deferred_summaries.set(pending)
    try:
        yield
    finally:
        _deferred_summaries.reset(token)
    refresh_incident_summaries(pending)


def refresh_incident_summaries(incident_ids: Iterable[int]) -> None:
    """Recompute the list columns (per-outcome range, conflict, source count) of these incidents in SQL."""
    ids = sorted(set(incident_ids))
    if not ids:
        return
    pending = _deferred_summaries.get()
    if pending is not None:
        pending.update(ids)
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SUMMARIES_SQL, {"ids": ids, "order": list(HEADLINE_CATEGORY_ORDER)})


def can_edit(user: User, entered_by_id: int | None) -> bool:
    """Analysts edit their own entries; editors (``edit_others_entries``) edit anyone's."""
    return bool(user.is_authenticated) and (
        entered_by_id == user.pk or user.has_perm("incidents.edit_others_entries")
    )


def _require_edit(user: User, entered_by_id: int | None, what: str) -> None:
    if not can_edit(user, entered_by_id):
        raise PermissionDenied(f"Only editors can change {what} entered by someone else.")


# Places ---------------------------------------------------------------------------------------------------


@transaction.atomic
def create_place(
    *,
    name_en: str,
    level: int = PlaceLevel.COMMUNITY,
    name_ar: str = "",
    parent: Place | None = None,
    pcode: str | None = None,
    aliases: list[str] | None = None,
    latitude: float | Decimal | None = None,
    longitude: float | Decimal | None = None,
) -> Place:
    """Add a gazetteer node under ``parent``; its path is its parent's path plus its own id. Coordinates
    are rounded to the six decimals stored (about 0.1 m)."""
    place = Place(
        name_en=name_en,
        name_ar=name_ar,
        parent=parent,
        level=level,
        pcode=pcode or None,
        aliases=aliases or [],
        latitude=_coordinate(latitude),
        longitude=_coordinate(longitude),
    )
    place.fill_search_keys()
    place.full_clean(exclude=["path"])
    place.save()
    place.path = f"{parent.path if parent else '/'}{place.pk}/"
    place.save(update_fields=["path"])
    return place


def _coordinate(value: float | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))


def place_subtree(place: Place) -> Any:
    """The place and every place below it."""
    return Place.objects.filter(path__startswith=place.path)


# Incidents ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_incident(
    *,
    title: str,
    date_start: datetime.date,
    created_by: User | None = None,
    places: Iterable[Place] = (),
    **fields: Any,
) -> Incident:
    """Create an incident at its places."""
    incident = Incident(
        title=title,
        date_start=date_start,
        created_by=created_by if isinstance(created_by, AuthUser) else None,
        **fields,
    )
    incident.fill_search_keys()
    incident.full_clean()
    incident.save()
    incident.places.set(list(places))
    return incident


@transaction.atomic
def update_incident(
    *, incident: Incident, user: User, places: Iterable[Place] | None = None, **fields: Any
) -> Incident:
    """Change an incident's fields (and places); analysts may only change their own incidents."""
    _require_edit(user, incident.created_by_id, "incidents")
    for key, value in fields.items():
        setattr(incident, key, value)
    incident.fill_search_keys()
    incident.full_clean()
    incident.save()
    if places is not None:
        incident.places.set(list(places))
    return incident


# Claims ---------------------------------------------------------------------------------------------------


def _current_claim(claim: Claim) -> Claim | None:
    return (
        Claim.objects.filter(
            incident_id=claim.incident_id,
            claimed_by_id=claim.claimed_by_id,
            outcome=claim.outcome,
            category=claim.category,
            party=claim.party,
            is_current=True,
        )
        .exclude(pk=claim.pk)
        .first()
    )


def _make_current(claim: Claim) -> Claim | None:
    """Place a confirmed claim in its source's chain of figures for its row, by the date it was stated.

    A claim stated on or after the current one becomes current and supersedes it. A claim stated earlier
    (an old statement entered late) is slotted into the chain before the later figures and stays historical;
    the claim that must then point at it is returned, to be linked once this claim is saved.
    """
    current = _current_claim(claim)
    if current is None:
        claim.is_current = True
        return None
    if claim.stated_on is None or current.stated_on is None or claim.stated_on >= current.stated_on:
        current.is_current = False
        current.save(update_fields=["is_current", "updated_at"])
        if claim.supersedes_id is None:
            claim.supersedes = current
        claim.is_current = True
        return None
    later = current
    while True:
        earlier = Claim.objects.filter(pk=later.supersedes_id).first() if later.supersedes_id else None
        if earlier is None or earlier.stated_on is None or earlier.stated_on <= claim.stated_on:
            break
        later = earlier
    claim.is_current = False
    claim.supersedes = earlier
    # Free the one-to-one link before this claim takes it over.
    later.supersedes = None
    later.save(update_fields=["supersedes", "updated_at"])
    return later


def _save_claim(claim: Claim) -> None:
    """Save a claim already cleaned in Python (``Claim.clean`` mirrors the check constraints), letting the
    database enforce the constraints rather than asking it once per constraint beforehand: a violation
    comes back as a ValidationError naming the constraint, and the transaction stays usable."""
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or "constraint"
        raise ValidationError(f"The claim was refused by the database ({constraint}).") from exc


def _save_in_chain(claim: Claim) -> None:
    later = _make_current(claim) if claim.status == ClaimStatus.CONFIRMED else None
    _save_claim(claim)
    if later is not None:
        later.supersedes = claim
        later.save(update_fields=["supersedes", "updated_at"])


# Related objects arrive as instances and the database enforces the keys: skip the per-key existence
# queries of full_clean (three per claim, which dominate bulk imports).
_CLAIM_CLEAN_EXCLUDE = ["is_current", "incident", "claimed_by", "report", "supersedes", "entered_by"]


@transaction.atomic
def create_claim(
    *,
    incident: Incident,
    claimed_by: Source,
    outcome: str,
    category: str,
    low: int | None,
    high: int | None,
    qualifier: str,
    report: Report | None = None,
    party: str = "",
    words: str = "",
    evidence: str = "",
    evidence_start: int | None = None,
    evidence_end: int | None = None,
    stated_on: datetime.date | None = None,
    status: str = ClaimStatus.CONFIRMED,
    supersedes: Claim | None = None,
    external_id: str = "",
    note: str = "",
    entered_by: User | None = None,
) -> Claim:
    """Record one source's figure. A confirmed claim becomes that source's current figure for its row and
    supersedes the previous one; the incident's summary is refreshed in the same transaction."""
    # One writer per incident at a time keeps "one current claim per source and row" simple to maintain.
    Incident.objects.select_for_update().filter(pk=incident.pk).first()
    claim = Claim(
        incident=incident,
        claimed_by=claimed_by,
        report=report,
        outcome=outcome,
        category=category,
        party=party,
        low=low,
        high=high,
        qualifier=qualifier,
        words=words,
        evidence=evidence,
        evidence_start=evidence_start,
        evidence_end=evidence_end,
        stated_on=stated_on if stated_on is not None else (report.published_on if report else None),
        status=status,
        supersedes=supersedes,
        external_id=external_id,
        note=note,
        entered_by=entered_by if isinstance(entered_by, AuthUser) else None,
    )
    claim.full_clean(exclude=_CLAIM_CLEAN_EXCLUDE, validate_constraints=False)
    _save_in_chain(claim)
    reopen_flags_for(claim=claim)
    refresh_incident_summaries([incident.pk])
    return claim


CLAIM_EDITABLE_FIELDS = frozenset(
    {
        "claimed_by",
        "report",
        "outcome",
        "category",
        "party",
        "low",
        "high",
        "qualifier",
        "words",
        "evidence",
        "evidence_start",
        "evidence_end",
        "stated_on",
        "note",
    }
)


@transaction.atomic
def update_claim(*, claim: Claim, user: User, **fields: Any) -> Claim:
    """Correct a claim's fields; analysts may only correct their own claims."""
    _require_edit(user, claim.entered_by_id, "claims")
    unknown = set(fields) - CLAIM_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    changed = {key: value for key, value in fields.items() if getattr(claim, key) != value}
    if not changed:
        # Nothing to record: saving anyway would write a history event with no visible change.
        return claim
    Incident.objects.select_for_update().filter(pk=claim.incident_id).first()
    row_changed = any(key in changed for key in ("claimed_by", "outcome", "category", "party"))
    for key, value in changed.items():
        setattr(claim, key, value)
    claim.full_clean(exclude=_CLAIM_CLEAN_EXCLUDE, validate_constraints=False)
    if claim.is_current and row_changed:
        # Moved to another row: it starts or joins that row's chain, and its old row falls back a figure.
        _restore_predecessor(claim)
        claim.supersedes = None
        claim.is_current = False
        _save_in_chain(claim)
    else:
        _save_claim(claim)
    reopen_flags_for(claim=claim)
    refresh_incident_summaries([claim.incident_id])
    return claim


def _restore_predecessor(claim: Claim) -> None:
    predecessor = Claim.objects.filter(pk=claim.supersedes_id).first() if claim.supersedes_id else None
    claim.is_current = False
    Claim.objects.filter(pk=claim.pk).update(is_current=False, supersedes=None)
    if predecessor is not None:
        predecessor.is_current = True
        predecessor.save(update_fields=["is_current", "updated_at"])


@transaction.atomic
def confirm_claim(*, claim: Claim, user: User) -> Claim:
    """An analyst confirms a candidate claim: it becomes its source's current figure."""
    if claim.status == ClaimStatus.CONFIRMED:
        return claim
    _require_edit(user, claim.entered_by_id, "claims")
    Incident.objects.select_for_update().filter(pk=claim.incident_id).first()
    claim.status = ClaimStatus.CONFIRMED
    _save_in_chain(claim)
    reopen_flags_for(claim=claim)
    refresh_incident_summaries([claim.incident_id])
    return claim


# Gazetteer ------------------------------------------------------------------------------------------------

_GAZETTEER_FIELDS = ["name_en", "name_ar", "aliases", "level", "parent", "latitude", "longitude", "path"]

# Every path from the roots down, written only where it differs: run after a place moved, so that its
# sub-tree (loaded or not) follows it.
_RECOMPUTE_PATHS_SQL = """
WITH RECURSIVE tree(id, path) AS (
    SELECT id, '/' || id::text || '/' FROM incidents_place WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, t.path || c.id::text || '/' FROM incidents_place c JOIN tree t ON c.parent_id = t.id
)
UPDATE incidents_place p SET path = tree.path FROM tree WHERE p.id = tree.id AND p.path <> tree.path
"""


@dataclass(frozen=True)
class PlaceLoadResult:
    """What ``upsert_places`` did (or, for a dry run, would do)."""

    plan: GazetteerPlan
    dry_run: bool
    repathed: int = 0  # places whose path was rewritten because an ancestor moved

    @property
    def created(self) -> int:
        return len(self.plan.create)

    @property
    def updated(self) -> int:
        return len(self.plan.update)

    @property
    def unchanged(self) -> int:
        return self.plan.unchanged


@transaction.atomic
def upsert_places(*, records: Sequence[PlaceRecord], dry_run: bool = False) -> PlaceLoadResult:
    """Make the places keyed by these records' P-codes match them (``incidents.gazetteer`` says how records
    combine); unchanged places are not written. A handful of queries however many places; all or nothing:
    raises ``GazetteerError`` naming the rows at fault."""
    wanted = {r.pcode for r in records} | {r.parent_pcode for r in records if r.parent_pcode}
    stored = {
        place.pcode: place
        for place in Place.objects.filter(pcode__in=wanted).select_related("parent")
        if place.pcode is not None
    }
    plan = plan_changes(
        records,
        {
            pcode: PlaceRecord(
                pcode=pcode,
                level=place.level,
                name_en=place.name_en,
                name_ar=place.name_ar,
                aliases=tuple(place.aliases),
                parent_pcode=place.parent.pcode if place.parent else None,
                latitude=place.latitude,
                longitude=place.longitude,
                origin=f"stored place {pcode}",
            )
            for pcode, place in stored.items()
        },
    )
    if dry_run:
        return PlaceLoadResult(plan=plan, dry_run=True)
    new_ids = iter(_allocate_place_ids(len(plan.create)))
    places: dict[str, Place] = dict(stored)
    created: list[Place] = []
    updated: list[Place] = []
    moved = False
    errors: list[str] = []
    # Parents before children, so that a child's path is built from its parent's final path.
    work: list[tuple[PlaceRecord, tuple[str, ...] | None]] = [(record, None) for record in plan.create]
    work += [(change.after, change.fields) for change in plan.update]
    for record, fields in sorted(work, key=lambda item: item[0].level):
        place = places[record.pcode] if fields is not None else Place(pk=next(new_ids), pcode=record.pcode)
        place.name_en, place.name_ar, place.aliases = record.name_en, record.name_ar, list(record.aliases)
        place.level, place.latitude, place.longitude = record.level, record.latitude, record.longitude
        if fields is None or "parent_pcode" in fields:
            parent = places[record.parent_pcode] if record.parent_pcode else None
            place.parent = parent
            place.path = f"{parent.path if parent else '/'}{place.pk}/"
            moved = moved or fields is not None
        place.fill_search_keys()
        try:
            place.full_clean(
                exclude=["parent", "path", *Place.search_keys],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors.append(f"{record.origin}: {'; '.join(exc.messages)}")
        places[record.pcode] = place
        (created if fields is None else updated).append(place)
    if errors:
        raise GazetteerError(errors)
    Place.objects.bulk_create(created, batch_size=1000)
    Place.objects.bulk_update(updated, [*_GAZETTEER_FIELDS, *Place.search_keys], batch_size=500)
    repathed = 0
    if moved:
        with connection.cursor() as cursor:
            cursor.execute(_RECOMPUTE_PATHS_SQL)
            repathed = cursor.rowcount
    return PlaceLoadResult(plan=plan, dry_run=False, repathed=repathed)


def _allocate_place_ids(count: int) -> list[int]:
    """Ids taken from the table's sequence up front, so that each new place is inserted once with its path
    (one history event) rather than inserted and then updated."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Place._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


# Flags ----------------------------------------------------------------------------------------------------

# Statuses an editor moves a flag between by hand; resolving and dismissing have their own services.
FLAG_WORKING_STATUSES = (FlagStatus.OPEN, FlagStatus.UNDER_REVIEW)
FLAG_CLOSED_STATUSES = (FlagStatus.RESOLVED, FlagStatus.DISMISSED)
# A flag back at work carries no resolution; the history keeps the one it had.
_CLEARED_RESOLUTION: dict[str, Any] = {
    "resolution_low": None,
    "resolution_high": None,
    "resolution_note": "",
    "resolved_by": None,
    "resolved_at": None,
}


class FlagChanged(Exception):
    """Someone changed the flag after the caller read it; ``flag`` is the flag as it now stands."""

    def __init__(self, flag: Flag) -> None:
        self.flag = flag
        super().__init__(
            f"This flag changed since you opened it: it is now {flag.get_status_display().lower()} "
            f"(version {flag.version}). Your change was not saved."
        )


def _require_perm(user: User, perm: str, action: str) -> None:
    if not user.is_authenticated or not user.has_perm(perm):
        raise PermissionDenied(f"Only editors can {action}.")


def flag_range(low: int | None, high: int | None) -> str:
    """A retained figure as written on the pages: "14", "14–15"."""
    if low is None:
        return ""
    return str(low) if high is None or high == low else f"{low}–{high}"


def _change_flag(flag: Flag, *, expected_version: int, **changes: Any) -> Flag:
    """Apply ``changes`` if the flag is still at ``expected_version``: an UPDATE ... WHERE version = expected,
    so that of two editors acting on the same version exactly one wins and the other gets ``FlagChanged``."""
    current = Flag.objects.select_related("assigned_to").get(pk=flag.pk)
    if current.version != expected_version:
        raise FlagChanged(current)
    for key, value in changes.items():
        setattr(current, key, value)
    current.version = expected_version + 1
    current.updated_at = timezone.now()
    current.full_clean(exclude=["incident", "created_by", "resolved_by"])
    updated = Flag.objects.filter(pk=flag.pk, version=expected_version).update(
        **changes, version=current.version, updated_at=current.updated_at
    )
    if not updated:
        raise FlagChanged(Flag.objects.select_related("assigned_to").get(pk=flag.pk))
    return current


def _is_flag_editor(user: AuthUser) -> bool:
    return user.is_active and user.has_perm("incidents.change_flag")


@transaction.atomic
def flag_discrepancy(
    *,
    incident: Incident,
    outcome: str,
    category: str,
    user: User,
    party: str = "",
    note: str = "",
    assigned_to: AuthUser | None = None,
) -> Flag:
    """An editor flags one row of an incident's comparison (outcome x category x party) with a note.

    Raises ``ValidationError`` when the row has no current figure or is already flagged (one flag per row).
    """
    _require_perm(user, "incidents.add_flag", "flag discrepancies")
    # Serialises flagging (and claim writes) on this incident, so a second flag on the row fails cleanly.
    Incident.objects.select_for_update().filter(pk=incident.pk).first()
    if not Claim.objects.filter(
        incident=incident, outcome=outcome, category=category, party=party, is_current=True
    ).exists():
        raise ValidationError("No source gives a current figure for this row: there is nothing to flag.")
    if Flag.objects.filter(incident=incident, outcome=outcome, category=category, party=party).exists():
        raise ValidationError("This row is already flagged.")
    if assigned_to is not None and not _is_flag_editor(assigned_to):
        raise ValidationError({"assigned_to": "Flags can only be assigned to editors."})
    flag = Flag(
        incident=incident,
        outcome=outcome,
        category=category,
        party=party,
        note=note.strip(),
        assigned_to=assigned_to,
        created_by=user if isinstance(user, AuthUser) else None,
    )
    flag.full_clean()
    flag.save()
    return flag


@transaction.atomic
def assign_flag(*, flag: Flag, user: User, assignee: AuthUser | None, expected_version: int) -> Flag:
    """Give the flag to an editor (or to nobody)."""
    _require_perm(user, "incidents.change_flag", "assign flags")
    if assignee is not None and not _is_flag_editor(assignee):
        raise ValidationError({"assigned_to": "Flags can only be assigned to editors."})
    return _change_flag(flag, expected_version=expected_version, assigned_to=assignee)


@transaction.atomic
def change_flag_status(*, flag: Flag, user: User, status: str, expected_version: int) -> Flag:
    """Move a flag to open or under review; a resolved or dismissed flag moved back loses its resolution."""
    _require_perm(user, "incidents.change_flag", "change flags")
    if status not in FLAG_WORKING_STATUSES:
        raise ValidationError({"status": "Use resolve or dismiss to close a flag."})
    return _change_flag(flag, expected_version=expected_version, status=status, **_CLEARED_RESOLUTION)


@transaction.atomic
def resolve_flag(
    *, flag: Flag, user: User, low: int, high: int | None = None, note: str, expected_version: int
) -> Flag:
    """Record the figure (``high`` empty or equal) or range retained, and why."""
    _require_perm(user, "incidents.resolve_flag", "resolve flags")
    if not note.strip():
        raise ValidationError({"resolution_note": "Say why this figure is retained."})
    if low is None:
        raise ValidationError({"resolution_low": "Give the figure retained."})
    if high is not None and high < low:
        raise ValidationError({"resolution_high": "The upper figure cannot be below the lower one."})
    return _change_flag(
        flag,
        expected_version=expected_version,
        status=FlagStatus.RESOLVED,
        resolution_low=low,
        resolution_high=high if high is not None and high != low else None,
        resolution_note=note.strip(),
        resolved_by=user if isinstance(user, AuthUser) else None,
        resolved_at=timezone.now(),
    )


@transaction.atomic
def dismiss_flag(*, flag: Flag, user: User, note: str, expected_version: int) -> Flag:
    """Close a flag without retaining a figure (e.g. the sources count different things), saying why."""
    _require_perm(user, "incidents.resolve_flag", "dismiss flags")
    if not note.strip():
        raise ValidationError({"resolution_note": "Say why this flag is dismissed."})
    return _change_flag(
        flag,
        expected_version=expected_version,
        status=FlagStatus.DISMISSED,
        resolution_low=None,
        resolution_high=None,
        resolution_note=note.strip(),
        resolved_by=user if isinstance(user, AuthUser) else None,
        resolved_at=timezone.now(),
    )


@transaction.atomic
def comment_on_flag(*, flag: Flag, user: User, body: str) -> FlagComment:
    """Add a comment to the flag's thread (comments only add, so they need no version check)."""
    _require_perm(user, "incidents.add_flagcomment", "comment on flags")
    comment = FlagComment(flag=flag, author=user if isinstance(user, AuthUser) else None, body=body.strip())
    comment.full_clean()
    comment.save()
    return comment


_FIGURE_FIELDS = ("low", "high", "qualifier")


def _figure_before(claim: Claim) -> tuple[Any, ...] | None:
    """The figure this claim's source gave on the claim's row just before the write that saved it: the
    claim's own previous state if it was already current on that row (an edit), else the claim it
    supersedes (a revision), else nothing (a new source on the row)."""
    event_model = apps.get_model("incidents", "ClaimEvent")
    previous = (
        event_model.objects.filter(pgh_obj_id=claim.pk)
        .order_by("-pgh_id")
        .values(*_FIGURE_FIELDS, "is_current", "outcome", "category", "party", "claimed_by_id")[1:2]
    )
    for state in previous:
        same_row = all(
            state[key] == getattr(claim, key) for key in ("outcome", "category", "party", "claimed_by_id")
        )
        if state["is_current"] and same_row:
            return tuple(state[key] for key in _FIGURE_FIELDS)
    if claim.supersedes_id is not None:
        earlier = Claim.objects.filter(pk=claim.supersedes_id).values_list(*_FIGURE_FIELDS).first()
        return tuple(earlier) if earlier is not None else None
    return None


def reopen_flags_for(*, claim: Claim) -> list[Flag]:
    """Reopen the resolved or dismissed flag of the claim's row when the claim, just saved, changed the
    row's current figures; an automatic comment says what changed. Returns the flags reopened."""
    if not claim.is_current:
        return []
    flags = list(
        Flag.objects.filter(
            incident_id=claim.incident_id,
            outcome=claim.outcome,
            category=claim.category,
            party=claim.party,
            status__in=FLAG_CLOSED_STATUSES,
        )
    )
    if not flags:
        return []
    before = _figure_before(claim)
    if before == tuple(getattr(claim, key) for key in _FIGURE_FIELDS):
        return []
    source = Source.objects.filter(pk=claim.claimed_by_id).values_list("name", flat=True).first()
    said = f"{source} reported {claim.figure}"
    if claim.stated_on:
        said += f" on {claim.stated_on:%Y-%m-%d}"
    if before is not None:
        said += f" (before: {Claim(low=before[0], high=before[1], qualifier=before[2]).figure})"
    reopened: list[Flag] = []
    for flag in flags:
        closed = (
            f"the figure retained was {flag_range(flag.resolution_low, flag.resolution_high)}"
            if flag.status == FlagStatus.RESOLVED
            else "the flag had been dismissed"
        )
        why = f" ({flag.resolution_note})" if flag.resolution_note else ""
        updated = Flag.objects.filter(pk=flag.pk, version=flag.version).update(
            status=FlagStatus.OPEN, version=F("version") + 1, updated_at=timezone.now(), **_CLEARED_RESOLUTION
        )
        if not updated:
            continue
        FlagComment.objects.create(
            flag=flag, author=None, automatic=True, body=f"Reopened: {said}; {closed}{why}."
        )
        reopened.append(flag)
    return reopened


# Entry ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleClaim:
    """A candidate claim an analyst kept from an article. ``claimed_by`` is a source, or the name of a source
    to create (admins only). ``start``/``end`` locate the words and ``evidence_start``/``evidence_end`` the
    sentence in the article's text; both are read back from the text, never taken from the form."""

    claimed_by: Source | str
    outcome: str
    category: str
    low: int | None
    high: int | None
    qualifier: str
    party: str = ""
    start: int | None = None
    end: int | None = None
    evidence_start: int | None = None
    evidence_end: int | None = None
    source_as_written: str = ""


@dataclass(frozen=True)
class NewIncident:
    """The incident to create for an article that reports one not yet recorded."""

    title: str
    date_start: datetime.date
    type: str
    places: Sequence[Place] = ()
    date_end: datetime.date | None = None
    perpetrator: str = ""
    description: str = ""


@dataclass(frozen=True)
class ArticleRecord:
    """What ``record_article`` wrote: the report (new or the stored copy of the same text), the incident
    (new or chosen), the claims created and how many were skipped as already recorded from this report."""

    report: Report
    report_created: bool
    incident: Incident
    incident_created: bool
    claims: list[Claim]
    skipped: int


def _span(text: str, start: int | None, end: int | None, what: str) -> str:
    if start is None or end is None:
        return ""
    if not 0 <= start <= end <= len(text):
        raise ValidationError(f"The {what} offsets {start}-{end} are outside the text.")
    return text[start:end]


@transaction.atomic
def record_article(
    *,
    publisher: Source,
    text: str,
    published_on: datetime.date | None,
    language: str,
    claims: Sequence[ArticleClaim],
    user: User,
    url: str = "",
    title: str = "",
    incident: Incident | None = None,
    new_incident: NewIncident | None = None,
) -> ArticleRecord:
    """Write an article's report and the claims an analyst confirmed from it, all or nothing.

    The same text already stored is reused (content hash), and a claim it already gave the incident is not
    written twice. Give either an existing ``incident`` or a ``new_incident`` to create.
    """
    from sources.services import create_report, upsert_source

    if (incident is None) == (new_incident is None):
        raise ValueError("Give either an existing incident or a new one.")
    report, report_created = create_report(
        publisher=publisher,
        text=text,
        url=url,
        title=title,
        published_on=published_on,
        language=language,
        entered_by=user if isinstance(user, AuthUser) else None,
    )
    incident_created = incident is None
    if new_incident is not None:
        incident = create_incident(
            title=new_incident.title,
            date_start=new_incident.date_start,
            date_end=new_incident.date_end,
            type=new_incident.type,
            perpetrator=new_incident.perpetrator,
            description=new_incident.description,
            places=new_incident.places,
            created_by=user,
        )
    assert incident is not None
    recorded: set[tuple[Any, ...]] = set()
    if not report_created:
        recorded = set(
            Claim.objects.filter(report=report, incident=incident).values_list(
                "claimed_by_id", "outcome", "category", "party", "low", "high", "qualifier"
            )
        )
    new_sources: dict[str, Source] = {}
    created: list[Claim] = []
    skipped = 0
    for item in claims:
        source = item.claimed_by
        if isinstance(source, str):
            if not user.has_perm("sources.add_source"):
                raise PermissionDenied("Only admins can add sources.")
            if source not in new_sources:
                try:
                    new_sources[source] = upsert_source(
                        name=source, aliases=[item.source_as_written] if item.source_as_written else []
                    )
                except ValueError as exc:
                    raise ValidationError(str(exc)) from exc
            source = new_sources[source]
        key = (source.pk, item.outcome, item.category, item.party, item.low, item.high, item.qualifier)
        if key in recorded:
            skipped += 1
            continue
        created.append(
            create_claim(
                incident=incident,
                claimed_by=source,
                report=report,
                outcome=item.outcome,
                category=item.category,
                party=item.party,
                low=item.low,
                high=item.high,
                qualifier=item.qualifier,
                words=_span(text, item.start, item.end, "words'"),
                evidence=_span(text, item.evidence_start, item.evidence_end, "evidence's"),
                evidence_start=item.evidence_start,
                evidence_end=item.evidence_end,
                entered_by=user,
            )
        )
        recorded.add(key)
    return ArticleRecord(
        report=report,
        report_created=report_created,
        incident=incident,
        incident_created=incident_created,
        claims=created,
        skipped=skipped,
    )
