"""Reading the change history that django-pghistory records (database triggers, so bulk writes too).

A history is a list of changes, newest first: who (the user recorded in the change's context, or
"system/import" when none was), when, what kind (insert / update / delete), and field by field what the
change did, found by comparing each snapshot with the same object's previous one. Derived columns
(search keys, summaries, timestamps) are left out. Users and related objects named in the changes are
looked up once per page, so a history costs a fixed number of queries however long it is.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import pghistory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction

from incidents import services
from incidents.models import Category, Claim, Incident, Outcome, Place
from sources.models import Report, Source

SYSTEM = "system/import"
LIMIT = 300

# Derived or bookkeeping columns: recomputed by the application, never an edit by a person.
SKIPPED_FIELDS = frozenset(
    {
        "id",
        "search_key",
        "normalized",
        "content_hash",
        "created_at",
        "updated_at",
        "summary",
        "has_conflict",
        "source_count",
        "version",
        "path",
        "cmp_low",
        "cmp_high",
    }
)


@dataclass(frozen=True)
class FieldChange:
    """One field's value before and after a change, as a reader sees them ("" for empty)."""

    field: str
    label: str
    before: str
    after: str


@dataclass
class Change:
    """One recorded event of one object."""

    event_id: int
    model: str
    object_id: int
    object_label: str
    label: str
    at: datetime.datetime
    user: str
    user_id: int | None
    fields: list[FieldChange] = field(default_factory=list)
    restored_from: int | None = None
    # The earlier events of this object were not loaded, so ``fields`` lists the full snapshot.
    partial: bool = False

    @property
    def is_system(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True)
class _Source:
    """Which events make up a history: an event model and the snapshot column pointing at the object."""

    event_model: str
    lookup: str


KINDS: dict[str, tuple[type[models.Model], tuple[_Source, ...]]] = {
    "incident": (
        Incident,
        (
            _Source("incidents.IncidentEvent", "pgh_obj_id"),
            _Source("incidents.ClaimEvent", "incident_id"),
            _Source("incidents.FlagEvent", "incident_id"),
        ),
    ),
    "claim": (Claim, (_Source("incidents.ClaimEvent", "pgh_obj_id"),)),
    "source": (
        Source,
        (_Source("sources.SourceEvent", "pgh_obj_id"), _Source("sources.SourceAliasEvent", "source_id")),
    ),
    "flag": (
        apps.get_model("incidents", "Flag"),
        (_Source("incidents.FlagEvent", "pgh_obj_id"), _Source("incidents.FlagCommentEvent", "flag_id")),
    ),
}


# Related objects are named from a few columns each, so naming them never loads further rows.
_NAMERS: dict[type[models.Model], tuple[tuple[str, ...], Callable[..., str]]] = {
    Source: (("name",), lambda name: name),
    Report: (("title", "url"), lambda title, url: title or url),
    Incident: (("date_start", "title"), lambda date, title: f"{date:%Y-%m-%d} {title}"),
    Place: (("name_en",), lambda name: name),
    get_user_model(): (("username",), lambda username: username),
}


def _event_fields(event_model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in event_model._meta.concrete_fields
        if not f.name.startswith("pgh_") and f.name not in SKIPPED_FIELDS
    ]


def _snapshot(event: models.Model, fields: Iterable[models.Field[Any, Any]]) -> dict[str, Any]:
    return {f.name: getattr(event, f.attname) for f in fields}


def _display(f: models.Field[Any, Any], value: Any, names: dict[tuple[type[models.Model], Any], str]) -> str:
    """A snapshot value as a reader expects it: choice labels, related objects' names, yes/no."""
    if value is None or value == "":
        return ""
    if f.is_relation and f.related_model is not None:
        related = f.related_model
        name = names.get((related, value)) if isinstance(related, type) else None
        model_name = related._meta.verbose_name if isinstance(related, type) else "object"
        return name or f"{model_name} #{value}"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _object_label(
    model: str, snapshot: dict[str, Any], names: dict[tuple[type[models.Model], Any], str]
) -> str:
    if model == "claim":
        source = names.get((Source, snapshot["claimed_by"]), f"source #{snapshot['claimed_by']}")
        row = f"{Outcome(snapshot['outcome']).label} {Category(snapshot['category']).label}".lower()
        party = f" ({snapshot['party']})" if snapshot.get("party") else ""
        return f"{source}: {row}{party}"
    if model == "flag":
        return f"{Outcome(snapshot['outcome']).label} {Category(snapshot['category']).label}".lower()
    if model == "sourcealias":
        return str(snapshot["alias"])
    if model == "flagcomment":
        return f"comment on flag #{snapshot['flag']}"
    return str(snapshot.get("title") or snapshot.get("name") or "")


def history(kind: str, pk: int, *, limit: int = LIMIT) -> list[Change]:
    """The changes of an object (an incident's include its claims' and flags'; a source's its spellings';
    a flag's its comments'), newest first, at most ``limit``."""
    _, sources = KINDS[kind]
    loaded: list[tuple[str, list[models.Field[Any, Any]], models.Model]] = []
    for source in sources:
        event_model = apps.get_model(source.event_model)
        fields = _event_fields(event_model)
        model_name = event_model.pgh_tracked_model._meta.model_name
        events = (
            event_model.objects.filter(**{source.lookup: pk})
            .select_related("pgh_context")
            .order_by("-pgh_id")[:limit]
        )
        loaded += [(model_name, fields, event) for event in events]

    names = _names(loaded)
    changes: list[Change] = []
    previous: dict[tuple[str, int], dict[str, Any]] = {}
    for model_name, fields, event in sorted(loaded, key=_order):
        snapshot = _snapshot(event, fields)
        key = (model_name, event.pgh_obj_id)  # type: ignore[attr-defined]
        before = previous.get(key)
        label = event.pgh_label  # type: ignore[attr-defined]
        metadata = _metadata(event)
        user_id = metadata.get("user") if isinstance(metadata.get("user"), int) else None
        changes.append(
            Change(
                event_id=event.pk,
                model=model_name,
                object_id=event.pgh_obj_id,  # type: ignore[attr-defined]
                object_label=_object_label(model_name, snapshot, names),
                label=label,
                at=event.pgh_created_at,  # type: ignore[attr-defined]
                user=names.get((get_user_model(), user_id), SYSTEM) if user_id else SYSTEM,
                user_id=user_id,
                fields=_diff(fields, before, snapshot, names),
                restored_from=_int_or_none(metadata.get("restored_from")),
                partial=before is None and label != "insert",
            )
        )
        previous[key] = snapshot
    changes.reverse()
    return changes[:limit]


def _order(item: tuple[str, list[models.Field[Any, Any]], models.Model]) -> tuple[Any, ...]:
    # Events of one transaction share a timestamp; within a table the event id keeps their order.
    model_name, _, event = item
    return (event.pgh_created_at, event.pk, model_name)  # type: ignore[attr-defined]


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _metadata(event: models.Model) -> dict[str, Any]:
    context = event.pgh_context  # type: ignore[attr-defined]
    return context.metadata if context is not None and isinstance(context.metadata, dict) else {}


def _diff(
    fields: list[models.Field[Any, Any]],
    before: dict[str, Any] | None,
    after: dict[str, Any],
    names: dict[tuple[type[models.Model], Any], str],
) -> list[FieldChange]:
    changes = []
    for f in fields:
        old = before.get(f.name) if before is not None else None
        new = after[f.name]
        if before is not None and old == new:
            continue
        old_text, new_text = _display(f, old, names), _display(f, new, names)
        if old_text == new_text:
            continue
        changes.append(FieldChange(f.name, str(f.verbose_name), old_text, new_text))
    return changes


def _names(
    loaded: list[tuple[str, list[models.Field[Any, Any]], models.Model]],
) -> dict[tuple[type[models.Model], Any], str]:
    """Names of every user and related object the events mention: one query per related model."""
    user_model = get_user_model()
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for _, fields, event in loaded:
        user = _metadata(event).get("user")
        if isinstance(user, int):
            wanted[user_model].add(user)
        for f in fields:
            related = f.related_model
            value = getattr(event, f.attname)
            if f.is_relation and isinstance(related, type) and related in _NAMERS and value is not None:
                wanted[related].add(value)
    names: dict[tuple[type[models.Model], Any], str] = {}
    for model, ids in wanted.items():
        columns, namer = _NAMERS[model]
        for pk, *values in model._default_manager.filter(pk__in=ids).values_list("pk", *columns):
            names[(model, pk)] = namer(*values)
    return names


# Restoring a claim ----------------------------------------------------------------------------------------


class RestoreError(ValueError):
    """An earlier version that cannot be restored, with the reason for the reader."""


def claim_event(claim: Claim, event_id: int) -> Any:
    """The recorded version ``event_id`` of this claim, or None."""
    event_model = apps.get_model("incidents", "ClaimEvent")
    return event_model.objects.filter(pk=event_id, pgh_obj_id=claim.pk).first()


@transaction.atomic
def restore_claim(*, claim: Claim, event_id: int, user: services.User) -> list[str]:
    """Put back a claim's editable fields as they were in version ``event_id``, through
    ``services.update_claim`` (so the claim chain and the incident summary stay right). The restore is
    itself a recorded change, its context naming the user and the version restored. Returns the names of
    the fields that changed; raises RestoreError when nothing can or needs to be restored."""
    event = claim_event(claim, event_id)
    if event is None:
        raise RestoreError("This version does not belong to this claim.")
    if event.pgh_label == "delete":
        raise RestoreError("A deletion cannot be restored here.")
    values: dict[str, Any] = {}
    for name in sorted(services.CLAIM_EDITABLE_FIELDS):
        f = cast(models.Field[Any, Any], Claim._meta.get_field(name))
        value = getattr(event, f.attname)
        if f.is_relation:
            if value is not None:
                related = f.related_model._default_manager.filter(pk=value).first()  # type: ignore[union-attr]
                if related is None:
                    raise RestoreError(f"The {f.verbose_name} of that version no longer exists.")
                value = related
            if getattr(claim, f.attname) != getattr(value, "pk", None):
                values[name] = value
        elif getattr(claim, name) != value:
            values[name] = value
    if not values:
        raise RestoreError("The claim already has the values of that version.")
    with pghistory.context(user=user.pk, restored_from=event_id):
        services.update_claim(claim=claim, user=user, **values)
    return sorted(values)
