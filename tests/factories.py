"""Factories for every model; writes that maintain derived state go through the services."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from incidents import services as incident_services
from incidents.models import Claim, Incident, Place, PlaceLevel
from sources import services as source_services
from sources.models import Source, SourceKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


def make_source(name: str, *, aliases: tuple[str, ...] = (), **fields) -> Source:
    fields.setdefault("kind", SourceKind.MONITOR)
    return source_services.upsert_source(name=name, aliases=aliases, **fields)


def make_place(name_en: str, *, parent: Place | None = None, level: int | None = None, **fields) -> Place:
    if level is None:
        level = PlaceLevel.COUNTRY if parent is None else min(parent.level + 1, PlaceLevel.COMMUNITY)
    return incident_services.create_place(name_en=name_en, parent=parent, level=level, **fields)


_counter = iter(range(1, 10**9))


def make_incident(
    title: str | None = None, *, date: datetime.date | None = None, places=(), **fields
) -> Incident:
    n = next(_counter)
    return incident_services.create_incident(
        title=title or f"Incident {n}",
        date_start=date or datetime.date(2018, 1, 1) + datetime.timedelta(days=n % 300),
        places=places,
        **fields,
    )


def make_claim(
    incident: Incident,
    source: Source,
    low: int | None,
    high: int | None = None,
    *,
    qualifier: str | None = None,
    outcome: str = "killed",
    category: str = "civilians",
    **fields,
) -> Claim:
    if qualifier is None:
        qualifier = "exact" if high is None or high == low else "range"
        if qualifier == "exact":
            high = low
    return incident_services.create_claim(
        incident=incident,
        claimed_by=source,
        outcome=outcome,
        category=category,
        low=low,
        high=high,
        qualifier=qualifier,
        **fields,
    )
