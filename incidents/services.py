"""Writes to places, incidents, claims and flags. Views, imports and commands all call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from incidents.models import Claim, ClaimStatus, Incident, Place, PlaceLevel
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


def refresh_incident_summaries(incident_ids: Iterable[int]) -> None:
    """Recompute the list columns (per-outcome range, conflict, source count) of these incidents in SQL."""
    ids = sorted(set(incident_ids))
    if not ids:
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


def _save_in_chain(claim: Claim) -> None:
    later = _make_current(claim) if claim.status == ClaimStatus.CONFIRMED else None
    claim.validate_constraints()
    claim.save()
    if later is not None:
        later.supersedes = claim
        later.save(update_fields=["supersedes", "updated_at"])


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
    claim.full_clean(exclude=["is_current"], validate_constraints=False)
    _save_in_chain(claim)
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
    Incident.objects.select_for_update().filter(pk=claim.incident_id).first()
    row_changed = any(
        key in fields and fields[key] != getattr(claim, key)
        for key in ("claimed_by", "outcome", "category", "party")
    )
    for key, value in fields.items():
        setattr(claim, key, value)
    claim.full_clean(exclude=["is_current"], validate_constraints=False)
    if claim.is_current and row_changed:
        # Moved to another row: it starts or joins that row's chain, and its old row falls back a figure.
        _restore_predecessor(claim)
        claim.supersedes = None
        claim.is_current = False
        _save_in_chain(claim)
    else:
        claim.validate_constraints()
        claim.save()
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
    refresh_incident_summaries([claim.incident_id])
    return claim
