"""Template helpers for figures and bidirectional text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

from config.auth import group_names
from config.paths import path_for
from incidents.models import Category, Incident, IncidentType, Outcome

register = template.Library()

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z]")


def is_arabic(text: str | None) -> bool:
    """True when the text's first strong letter is Arabic (the rule browsers use for ``dir=auto``)."""
    if not text:
        return False
    arabic, latin = _ARABIC.search(text), _LATIN.search(text)
    return arabic is not None and (latin is None or arabic.start() < latin.start())


@register.filter
def roles(user: Any) -> list[str]:
    """The names of a user's groups, read with the user (``config.auth``): the header shows them."""
    return group_names(user)


@register.filter
def text_attrs(text: str | None) -> SafeString:
    """``lang``/``dir`` attributes for user text: Arabic right to left, anything else by its first letter."""
    # Constant attribute strings: nothing from the text itself is output.
    return mark_safe('lang="ar" dir="rtl"' if is_arabic(text) else 'dir="auto"')  # noqa: S308


@register.filter
def summary_range(entry: dict[str, Any] | None) -> str:
    """A list cell's figure: "14–15", "14", "20+" (open-ended), or "–" when no number was stated."""
    if not entry or entry.get("low") is None:
        return "–"
    low, high = entry["low"], entry["high"]
    text = str(low) if high is None or high == low else f"{low}–{high}"
    return f"{text}+" if entry.get("open") else text


# Looked up once: the enums' ``values`` are rebuilt on every access, several times per list row.
_OUTCOME_LABELS = {value: str(label) for value, label in Outcome.choices}
_CATEGORY_LABELS = {value: str(label) for value, label in Category.choices}
_TYPE_LABELS = {value: str(label) for value, label in IncidentType.choices}


@register.filter
def outcome_label(value: str) -> str:
    return _OUTCOME_LABELS.get(value, value)


@register.filter
def category_label(value: str) -> str:
    return _CATEGORY_LABELS.get(value, value)


@register.filter
def incident_type_label(value: str) -> str:
    """``get_type_display`` without rebuilding the choices for every row of a list."""
    return _TYPE_LABELS.get(value, value)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@register.filter
def signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _text(value: Any) -> str:
    return escape(str(value))


def _incident_row(incident: Incident) -> str:
    """One row of the list, from ``incidents.selectors.incident_list_queryset``."""
    date = f"{incident.date_start:%Y-%m-%d}"
    if incident.date_end:
        date += f" – {incident.date_end:%Y-%m-%d}"
    conflict = (
        '<span class="badge conflict" title="Sources\' figures conflict">⚠ Conflict</span>'
        if incident.has_conflict
        else ""
    )
    places = ", ".join(
        f'<span class="place">{_text(place["name_en"])}'
        + (f' <span lang="ar" dir="rtl">{_text(place["name_ar"])}</span>' if place["name_ar"] else "")
        + "</span>"
        for place in incident.list_places  # type: ignore[attr-defined]  # incidents.selectors
    )
    figures = []
    for outcome, entry in (incident.summary or {}).items():
        party = f" (<bdi>{_text(entry['party'])}</bdi>)" if entry.get("party") else ""
        mark = '<span class="mark conflict" title="conflict">≠</span>' if entry.get("conflict") else ""
        figures.append(
            f'<li>{_text(outcome_label(outcome))}: <span class="num">{_text(summary_range(entry))}</span> '
            f'<span class="muted">{_text(category_label(entry.get("category", "")).lower())}{party}</span>'
            f"{mark}</li>"
        )
    for flag in incident.retained:  # type: ignore[attr-defined]  # incidents.selectors
        party = f" (<bdi>{_text(flag['party'])}</bdi>)" if flag["party"] else ""
        figures.append(
            f'<li class="retained">Retained by editors: {_text(outcome_label(flag["outcome"]).lower())} '
            f"{_text(category_label(flag['category']).lower())}{party} "
            f'<span class="num">{_text(summary_range(flag))}</span></li>'
        )
    return (
        f'<tr><td class="nowrap">{date}</td>'
        f'<td><a href="{_text(path_for("incidents:detail", incident.pk))}" {text_attrs(incident.title)}>{_text(incident.title)}</a>'
        f"{' ' + conflict if conflict else ''}</td>"
        f"<td>{places}</td>"
        f"<td>{_text(incident_type_label(incident.type))}</td>"
        f'<td class="num">{incident.source_count}</td>'
        f'<td><ul class="figures">{"".join(figures)}</ul></td></tr>'
    )


@register.simple_tag
def incident_rows(incidents: Iterable[Incident]) -> SafeString:
    """The incident list's table rows. Built here rather than in the template: the list is the most read
    page, and the template engine spent more time on its 25 rows than everything else on the page (the
    admin builds its change list's cells the same way). Every text from the database is escaped."""
    return mark_safe("\n".join(_incident_row(incident) for incident in incidents))  # noqa: S308


def _filter_field(field: forms.BoundField) -> str:
    label = _text(field.label)
    if isinstance(field.field.widget, forms.CheckboxInput):
        control = f"<label>{field} {label}</label>"
    else:
        control = f'<label for="{_text(field.id_for_label)}">{label}</label>\n{field}'
    errors = "".join(f'<p class="error" role="alert">{label}: {_text(error)}</p>' for error in field.errors)
    return f'<div class="field field-{_text(field.name)}">\n{control}\n{errors}</div>'


@register.simple_tag
def filter_fields(form: forms.Form, clear_url: str) -> SafeString:
    """A filter form's fields, each labelled with its errors, then Apply and Clear. Built here for the reason
    ``incident_rows`` is: on the list, the template's loop over the fields cost more than the widgets. The
    widgets render themselves (escaped: ``incidents.filters``); labels, errors and the URL are escaped."""
    fields = "\n".join(_filter_field(field) for field in form)
    actions = (
        '<div class="field actions">\n<button type="submit">Apply</button>\n'
        f'<a href="{_text(clear_url)}">Clear</a>\n</div>'
    )
    return mark_safe(f"{fields}\n{actions}")  # noqa: S308
