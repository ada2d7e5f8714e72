"""The incident list's filters: every parameter is validated; an invalid one is a 400, never a 500."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Field,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Upper
from django.http import QueryDict
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
    """A query over the normalised terms of ``query`` (all must match), or None if it has none. Every term but
    the last must be a whole word; the last may be the start of one, as a search typed into a box matches
    while the word is being typed. (Every term as a prefix made a common first word like "غارة" gather
    tens of thousands of index entries: three times slower, for matches nobody typed.)"""
    raw = raw_tsquery(query)
    return None if raw is None else SearchQuery(raw, search_type="raw", config="simple")


def raw_tsquery(query: str) -> str | None:
    """The tsquery text of ``text_search_query`` (terms quoted, the last a prefix), or None."""
    terms = search_terms(query)
    if not terms:
        return None
    quoted = [_quoted(term) for term in terms]
    return " & ".join([*quoted[:-1], quoted[-1] + ":*"])


PREFIX_WORDS = 32  # at most this many listed words stand in for a prefix; with more, the prefix is sent

# The listed words (incidents_search_word, migration 0017) that start with the typed text, each quoted as a
# tsquery word and whether ``to_tsquery`` reads it back as that one word; none when the typed prefix itself is
# not one word to ``to_tsquery`` (the word parser splits some text that the query normaliser keeps).
_PREFIX_WORDS_SQL = r"""
SELECT c.quoted, to_tsquery('simple'::regconfig, c.quoted) = c.quoted::tsquery
FROM (
    SELECT '''' || replace(replace(word, '\', '\\'), '''', '''''') || '''' AS quoted
    FROM incidents_search_word WHERE word LIKE %(pattern)s ORDER BY word LIMIT %(limit)s
) c
WHERE to_tsquery('simple'::regconfig, %(prefix)s) = %(prefix)s::tsquery
"""


def list_tsquery(query: str) -> str | None:
    """``raw_tsquery`` for the incident list, which matches the same incidents faster: its last term, a
    prefix, becomes the words that start with it (``'غاره' & ('زيتون' | 'زيتونه')``), read from the list of
    the incidents' and places' words that the database keeps. A prefix that no listed word starts, that too
    many words start, that starts with a digit, or that PostgreSQL would not read as one word stays a prefix."""
    terms = search_terms(query)
    if not terms:
        return None
    quoted = [_quoted(term) for term in terms]
    prefix = quoted[-1] + ":*"
    if terms[-1][0] in "0123456789":  # words starting with a digit are not listed (migration 0017)
        return " & ".join([*quoted[:-1], prefix])
    like = terms[-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cursor:
        cursor.execute(_PREFIX_WORDS_SQL, {"pattern": like, "prefix": prefix, "limit": PREFIX_WORDS + 1})
        words = cursor.fetchall()
    if 0 < len(words) <= PREFIX_WORDS and all(exact for _, exact in words):
        prefix = "(" + " | ".join(word for word, _ in words) + ")" if len(words) > 1 else words[0][0]
    return " & ".join([*quoted[:-1], prefix])


def _quoted(term: str) -> str:
    """A term as one tsquery word: in quotes, its quotes doubled and its backslashes escaped."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def search(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Filter a model with a ``search_key`` by a normalised Arabic/English query."""
    search_query = text_search_query(query)
    if search_query is None:
        return queryset
    filtered: QuerySet[Any] = queryset.annotate(search_vector=search_vector()).filter(
        search_vector=search_query
    )
    return filtered


class IncidentTextMatch(Func):
    """An incident whose own text matches a raw tsquery, or that is filed under a place whose names match it.

    One SQL condition written out: the same statement as the ORM's search vector, array sub-query and OR gave
    (``search_vector`` and the GIN indexes ``incident_search`` and ``place_search`` read the same expression),
    which Django took longer to put together than PostgreSQL took to answer. The place branch is an array of
    ids, which PostgreSQL looks up in the primary key's index and ORs with the text index's bitmap, so each
    match is read once, straight from that bitmap; as IN (... UNION ...), every match was fetched a second time
    by id: three times slower for a common word."""

    output_field = BooleanField()

    def __init__(self, raw: str) -> None:
        super().__init__(F("search_key"), F("pk"), Value(raw))

    def as_sql(  # type: ignore[override]  # the condition is written out whole: no function or template
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        key, pk, raw = (compiler.compile(expression) for expression in self.get_source_expressions())
        match = "to_tsvector('simple'::regconfig, COALESCE({}, '')) @@ to_tsquery('simple'::regconfig, {})"
        # Only compiled expressions and constants go into the text; the query's words are a parameter.
        place_match = match.format("p.search_key", raw[0])
        places = f"SELECT ip.incident_id FROM incidents_incident_places ip WHERE ip.place_id IN (SELECT p.id FROM incidents_place p WHERE {place_match})"  # noqa: S608
        sql = f"({match.format(key[0], raw[0])} OR {pk[0]} = ANY(ARRAY({places})))"
        return sql, (*key[1], *raw[1], *pk[1], *raw[1])


def _unindexed(name: str) -> OrderBy:
    """The sort column ``name`` ("-" for descending) plus zero: the same order, which no index provides."""
    column = name.lstrip("-")
    field = Incident._meta.get_field(column)
    assert isinstance(field, Field)  # SORTS names the model's own columns
    expression = ExpressionWrapper(F(column) + 0, output_field=field)
    return expression.desc() if name.startswith("-") else expression.asc()


class PlainSelect(forms.Select):
    """A ``<select>`` built in Python. Django's ``Select`` renders a template per option, which for the
    list's few hundred sources and places cost more than the rest of the page; this widget gives the same
    HTML for flat choices (no option groups, which the list does not use). ``menu``, when set, is called at
    rendering for the options' HTML (``options_html``), built once per menu version, instead of ``choices``
    (which Django normalises item by item); the selected option is marked in that text."""

    menu: Callable[[], str] | None = None

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs) | {"name": name}
        selected = {escape(key) for key in self.format_value(value)}
        if self.menu is not None:
            options = self.menu()  # already escaped
            for key in selected:  # values are unique in a menu: the first match is the option
                options = options.replace(f'<option value="{key}">', f'<option value="{key}" selected>', 1)
        else:
            options = "".join(
                f'<option value="{key}"{" selected" if key in selected else ""}>{label}</option>'
                for key, label in ((escape(str(key)), escape(str(label))) for key, label in self.choices)
            )
        html = f"<select{_attributes(final_attrs)}>{options}</select>"
        return mark_safe(html)  # noqa: S308  # every value, label and attribute above is escaped


def _attributes(attrs: dict[str, Any]) -> str:
    """An element's attributes as Django's ``attrs.html`` writes them: ``False`` left out, ``True`` bare."""
    return "".join(
        f" {escape(str(key))}" if value is True else f' {escape(str(key))}="{escape(str(value))}"'
        for key, value in attrs.items()
        if value is not False
    )


class PlainInputMixin:
    """An ``<input>`` built in Python, with the HTML of Django's ``input.html``: the filter forms are on the
    most read pages, and a widget template cost as much as the rest of its field."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]  # a Widget's
        shown = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
        html = f'<input type="{escape(widget["type"])}" name="{escape(name)}"{shown}{_attributes(widget["attrs"])}>'
        return mark_safe(html)  # noqa: S308  # the type, name, value and every attribute are escaped


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainDateInput(PlainInputMixin, forms.DateInput):
    input_type = "date"


class PlainCheckboxInput(PlainInputMixin, forms.CheckboxInput):
    pass


def options_html(entries: Iterable[Option]) -> str:
    """``<option>`` elements for menu entries whose values and labels are already escaped."""
    return "".join(f'<option value="{key}">{label}</option>' for key, label in entries)


def _ids(value: str | None) -> list[int]:
    return [int(value)] if value and value.isdigit() else []


Option = tuple[str, str]  # a menu entry: its value and its label, both escaped for HTML


@dataclass(frozen=True)
class _Menus:
    version: int
    places: list[Option]
    sources: list[Option]

    @functools.cached_property
    def place_ids(self) -> frozenset[str]:
        return frozenset(value for value, _ in self.places)

    @functools.cached_property
    def source_ids(self) -> frozenset[str]:
        return frozenset(value for value, _ in self.sources)

    # Each menu's options as HTML, built the first time a page of this process shows it at this version.
    @functools.cached_property
    def places_html(self) -> str:
        return options_html(self.places)

    @functools.cached_property
    def sources_html(self) -> str:
        return options_html(self.sources)


class MenuChoiceField(django_filters.fields.ModelChoiceField):  # type: ignore[misc]  # django-filter is untyped
    """A model choice that takes the menu's word for an id it lists: the filters need only the id, and the menu
    is current (its version is read per page), so the row is not fetched again. Other ids are looked up."""

    listed: Callable[[], frozenset[str]] | None = None

    def to_python(self, value: Any) -> Any:
        if self.listed is not None and isinstance(value, str) and value in self.listed():
            return self.queryset.model(pk=int(value))
        return super().to_python(value)


class MenuChoiceFilter(django_filters.ModelChoiceFilter):  # type: ignore[misc]
    field_class = MenuChoiceField


# This process's menus and the version they were built at (see incidents/migrations/0006_menu_version.py).
_menus: _Menus | None = None


def _place_label(level: int, name_en: str, name_ar: str) -> str:
    return f"{'— ' * level}{name_en} / {name_ar}" if name_ar else f"{'— ' * level}{name_en}"


def _escaped(rows: Iterable[tuple[Any, str]]) -> list[Option]:
    return [(escape(str(value)), escape(label)) for value, label in rows]


MENU_VERSION_SQL = "SELECT version FROM incidents_menu_version"


def filter_menus(version: int | None = None) -> _Menus:
    """The place and source menus, rebuilt only when the database's menu version moved since this process
    last built them: a page reads one number instead of both tables. ``version``, when given, was read in the
    same transaction by a statement the page sent anyway (the list's, ``incident_list_queryset``)."""
    global _menus  # one cache per process, replaced whole
    if version is None:
        with connection.cursor() as cursor:
            cursor.execute(MENU_VERSION_SQL)
            (version,) = cursor.fetchone()
    if _menus is None or _menus.version != version:
        # Any place can be filtered on, but the menu lists the upper levels only: a gazetteer has thousands
        # of communities. Sources are listed by name; labels only, a model instance per option cost more
        # than the query itself.
        places = Place.objects.filter(level__lte=PlaceLevel.DISTRICT).order_by("path")
        sources = Source.objects.order_by(Upper("name")).values_list("pk", "name")
        _menus = _Menus(
            version=version,
            places=_escaped(
                (pk, _place_label(level, name_en, name_ar))
                for pk, level, name_en, name_ar in places.values_list("pk", "level", "name_en", "name_ar")
            ),
            sources=_escaped(sources),
        )
    return _menus


def place_menu(menus: _Menus, selected: str | None) -> str:
    """The place menu's options: "Anywhere", then the upper places (and the selected one if deeper)."""
    ids = _ids(selected)
    extra = ""
    if ids and str(ids[0]) not in menus.place_ids:
        # A place below the menu's levels, selected from a link: shown first so the form keeps it.
        rows = Place.objects.filter(pk=ids[0]).values_list("pk", "level", "name_en", "name_ar")
        extra = options_html(_escaped((pk, _place_label(level, en, ar)) for pk, level, en, ar in rows))
    return f'<option value="">Anywhere</option>{extra}{menus.places_html}'


def source_menu(menus: _Menus, empty_label: str = "---------") -> str:
    return f'<option value="">{escape(empty_label)}</option>{menus.sources_html}'


class IncidentFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200, widget=PlainTextInput)
    date_from = django_filters.DateFilter(label="From", method="filter_date_from", widget=PlainDateInput)
    date_to = django_filters.DateFilter(
        label="To", field_name="date_start", lookup_expr="lte", widget=PlainDateInput
    )
    place = MenuChoiceFilter(
        label="Place",
        queryset=Place.objects.all(),
        method="filter_place",
        null_label=None,
        widget=PlainSelect,
    )
    source = MenuChoiceFilter(
        label="Source", queryset=Source.objects.all(), method="filter_claims", widget=PlainSelect
    )
    outcome = django_filters.ChoiceFilter(
        label="Outcome", choices=Outcome.choices, method="filter_claims", widget=PlainSelect
    )
    category = django_filters.ChoiceFilter(
        label="Category", choices=Category.choices, method="filter_claims", widget=PlainSelect
    )
    conflicting = django_filters.BooleanFilter(
        label="Conflicting only", method="filter_conflicting", widget=PlainCheckboxInput
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

    def __init__(
        self, data: Any = None, queryset: Any = None, *, request: Any = None, prefix: str | None = None
    ) -> None:
        # django-filter's own __init__, except for the filters' copies. It deep-copies every filter (and its
        # queryset) per instance, and builds a form class per instance, whose form deep-copies every field
        # again: about a tenth of a list page's Python. Here the filters are copied shallowly (an instance sets
        # only ``model`` and ``parent`` on them, and binds its methods) and the form class is built once per
        # process (``get_form_class``); the form still copies its fields, so what a page sets on its widgets
        # stays its own.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset if queryset is not None else Incident.objects.all()
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # binds the filter's method to this copy (and so to this set)
        # Both menus are read when the form is rendered, not for an htmx request that only needs the results.
        selected = self.data.get("place") if self.data else None
        place_widget, source_widget = self.form.fields["place"].widget, self.form.fields["source"].widget
        assert isinstance(place_widget, PlainSelect)
        assert isinstance(source_widget, PlainSelect)
        # The menus' version, if the page learns it with its results (the list's rows carry it): no query then.
        self.menu_version: int | None = None
        menus = functools.cache(lambda: filter_menus(self.menu_version))  # read at most once per form
        place_widget.menu = lambda: place_menu(menus(), selected)
        source_widget.menu = lambda: source_menu(menus())
        place_field, source_field = self.form.fields["place"], self.form.fields["source"]
        assert isinstance(place_field, MenuChoiceField)
        assert isinstance(source_field, MenuChoiceField)
        place_field.listed = lambda: menus().place_ids
        source_field.listed = lambda: menus().source_ids

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        built: type[forms.Form] | None = cls.__dict__.get("_built_form_class")
        if built is None:
            fields = {name: filter_.field for name, filter_ in self.filters.items()}
            built = cls._built_form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        return built

    def filter_conflicting(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        return queryset.filter(has_conflict=True) if value else queryset

    def filter_noop(self, queryset: QuerySet[Incident], name: str, value: Any) -> QuerySet[Incident]:
        return queryset

    def filter_q(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        raw = list_tsquery(value)
        # ``filter_queryset`` keeps the planner from walking the date order instead of the indexes' bitmaps.
        return queryset if raw is None else queryset.filter(IncidentTextMatch(raw))

    def filter_date_from(self, queryset: QuerySet[Incident], name: str, value: Any) -> QuerySet[Incident]:
        # An incident over a date range is in if any of its days is.
        return queryset.filter(Q(date_start__gte=value) | Q(date_end__gte=value))

    def filter_place(self, queryset: QuerySet[Incident], name: str, value: Place) -> QuerySet[Incident]:
        # place_tree holds every place of the incident and their upper places (kept by the database).
        return queryset.filter(place_tree__contains=[value.pk])

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
        order: list[str | OrderBy] = list(SORTS[data.get("sort") or "newest"])
        if raw_tsquery(data.get("q") or "") is not None:
            # A search reads its matches from the text index's bitmap and sorts them. Given the sort's index,
            # the planner walks it instead, expecting a match every few hundred rows: for a word that matches
            # nothing it read all 200,000 incidents, computing each one's text vector (1.5 s).
            order[0] = _unindexed(SORTS[data.get("sort") or "newest"][0])
        return queryset.order_by(*order)
