"""The incident list's filters: every parameter is validated; an invalid one is a 400, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Upper
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe

from incidents.models import Category, Claim, Flag, FlagStatus, Incident, Outcome, Place, PlaceLevel
from sources.extraction.normalize import search_terms
from sources.models import Source, search_vector

SORTS = {
    "newest": ("-date_start", "-id"),
    "oldest": ("date_start", "id"),
    "sources": ("-source_count", "-date_start", "-id"),
}
SORT_CHOICES = [("newest", "Newest first"), ("oldest", "Oldest first"), ("sources", "Most sources")]


def text_search_query(query: str) -> SearchQuery | None:
    """A prefix query over the normalised terms of ``query`` (all terms must match), or None if it has none."""
    terms = search_terms(query)
    if not terms:
        return None
    raw = " & ".join("'" + term.replace("'", "''") + "':*" for term in terms)
    return SearchQuery(raw, search_type="raw", config="simple")


def search(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Filter a model with a ``search_key`` by a normalised Arabic/English query."""
    search_query = text_search_query(query)
    if search_query is None:
        return queryset
    filtered: QuerySet[Any] = queryset.annotate(search_vector=search_vector()).filter(
        search_vector=search_query
    )
    return filtered


class PlainSelect(forms.Select):
    """A ``<select>`` built in Python. Django's ``Select`` renders a template per option, which for the
    list's few hundred sources and places cost more than the rest of the page; this widget gives the same
    HTML for flat choices (no option groups, which the list does not use). ``menu``, when set, is called at
    rendering for the options instead of ``choices`` (which Django normalises item by item)."""

    menu: Callable[[], Iterable[tuple[Any, Any]]] | None = None

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs) | {"name": name}
        selected = set(self.format_value(value))
        options = []
        for value_, label in self.menu() if self.menu is not None else self.choices:
            key = str(value_)
            mark = " selected" if key in selected else ""
            options.append(f'<option value="{escape(key)}"{mark}>{escape(str(label))}</option>')
        html = f"<select{flatatt(final_attrs)}>{''.join(options)}</select>"
        return mark_safe(html)  # noqa: S308  # every value and label above is escaped; flatatt escapes attrs


def _ids(value: str | None) -> list[int]:
    return [int(value)] if value and value.isdigit() else []


def _place_menu(selected: str | None) -> list[tuple[Any, str]]:
    menu = (
        Place.objects.filter(Q(level__lte=PlaceLevel.DISTRICT) | Q(pk__in=_ids(selected)))
        .order_by("path")
        .values_list("pk", "level", "name_en", "name_ar")
    )
    return [("", "Anywhere")] + [
        (pk, f"{'— ' * level}{name_en} / {name_ar}" if name_ar else f"{'— ' * level}{name_en}")
        for pk, level, name_en, name_ar in menu
    ]


def _source_menu() -> list[tuple[Any, str]]:
    # Labels only, in the sources' own order: a Source instance per option cost more than the query itself.
    sources = Source.objects.order_by(Upper("name")).values_list("pk", "name")
    return [("", "---------"), *sources]


class IncidentFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200)
    date_from = django_filters.DateFilter(
        label="From", method="filter_date_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label="To", field_name="date_start", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    place = django_filters.ModelChoiceFilter(
        label="Place",
        queryset=Place.objects.all(),
        method="filter_place",
        null_label=None,
        widget=PlainSelect,
    )
    source = django_filters.ModelChoiceFilter(
        label="Source", queryset=Source.objects.all(), method="filter_claims", widget=PlainSelect
    )
    outcome = django_filters.ChoiceFilter(
        label="Outcome", choices=Outcome.choices, method="filter_claims", widget=PlainSelect
    )
    category = django_filters.ChoiceFilter(
        label="Category", choices=Category.choices, method="filter_claims", widget=PlainSelect
    )
    conflicting = django_filters.BooleanFilter(
        label="Conflicting only", method="filter_conflicting", widget=forms.CheckboxInput
    )
    flag_status = django_filters.ChoiceFilter(
        label="Flag", choices=FlagStatus.choices, method="filter_flag", widget=PlainSelect
    )
    sort = django_filters.ChoiceFilter(
        label="Sort", choices=SORT_CHOICES, method="filter_noop", empty_label=None, widget=PlainSelect
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any place can be filtered on (by id, e.g. from a link), but the menu lists the upper levels only:
        # a gazetteer has thousands of communities. Both menus are read when the form is rendered, not for
        # an htmx request that only needs the results.
        selected = self.data.get("place") if self.data else None
        place_widget, source_widget = self.form.fields["place"].widget, self.form.fields["source"].widget
        assert isinstance(place_widget, PlainSelect)
        assert isinstance(source_widget, PlainSelect)
        place_widget.menu = lambda: _place_menu(selected)
        source_widget.menu = _source_menu

    def filter_conflicting(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        return queryset.filter(has_conflict=True) if value else queryset

    def filter_noop(self, queryset: QuerySet[Incident], name: str, value: Any) -> QuerySet[Incident]:
        return queryset

    def filter_q(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        search_query = text_search_query(value)
        if search_query is None:
            return queryset
        # The incidents whose own text matches, and those filed under a place whose names match, each found
        # through its GIN index. As one set of ids (a UNION) rather than an OR in the outer query, the cost
        # follows the number of matches: with the OR, PostgreSQL walked the date order computing every
        # incident's text vector, and a search matching nothing read all 200,000 incidents (654 ms).
        own = search(Incident.objects.order_by(), value).values("pk")
        places = search(Place.objects.order_by(), value).values("pk")
        by_place = Incident.places.through.objects.filter(place__in=places).values("incident_id")
        return queryset.filter(pk__in=own.union(by_place))

    def filter_date_from(self, queryset: QuerySet[Incident], name: str, value: Any) -> QuerySet[Incident]:
        # An incident over a date range is in if any of its days is.
        return queryset.filter(Q(date_start__gte=value) | Q(date_end__gte=value))

    def filter_place(self, queryset: QuerySet[Incident], name: str, value: Place) -> QuerySet[Incident]:
        return queryset.filter(
            Exists(Place.objects.filter(incidents=OuterRef("pk"), path__startswith=value.path))
        )

    def filter_claims(self, queryset: QuerySet[Incident], name: str, value: Any) -> QuerySet[Incident]:
        # Source, outcome and category are applied together in filter_queryset: one claim must match all.
        return queryset

    def filter_flag(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return queryset.filter(Exists(Flag.objects.filter(incident=OuterRef("pk"), status=value)))

    def filter_queryset(self, queryset: QuerySet[Incident]) -> QuerySet[Incident]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        claim_filter = {
            key: data[name]
            for name, key in (("source", "claimed_by"), ("outcome", "outcome"), ("category", "category"))
            if data.get(name)
        }
        if claim_filter:
            queryset = queryset.filter(
                Exists(Claim.objects.filter(incident=OuterRef("pk"), is_current=True, **claim_filter))
            )
        return queryset.order_by(*SORTS[data.get("sort") or "newest"])
