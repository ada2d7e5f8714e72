"""Template helpers for figures and bidirectional text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from django import forms, template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import timesince_filter
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.timezone import localtime

from config.auth import group_names
from config.paths import path_for
from incidents.models import Category, FlagStatus, Incident, IncidentType, Outcome
from incidents.selectors import Cell, Discrepancy, Matrix, MatrixRow
from incidents.services import flag_range
from incidents.templatetags.flags import flag_button, retained

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


def _day(value: Any, empty: str = "") -> str:
    """The template's ``date:"j M Y"`` (months named as the template names them)."""
    return date_filter(value, "j M Y") if value else empty


def _matrix_cell(cell: Cell | None) -> str:
    if cell is None:
        return '<td class="cell"><span class="muted" title="This source gives no figure for this row">—</span></td>'
    claim = cell.claim
    parts = [
        f'<td class="cell"><span class="figure num" data-source="{_text(claim.claimed_by.name)}">'
        f"{_text(claim.figure)}</span>"
    ]
    if claim.words:
        parts.append(f'<q class="words" {text_attrs(claim.words)}>{_text(claim.words)}</q>')
    parts.append("<details><summary>Evidence</summary>")
    if claim.evidence:
        parts.append(f"<blockquote {text_attrs(claim.evidence)}>{_text(claim.evidence)}</blockquote>")
    stated = f'<p class="muted">Stated {_text(_day(claim.stated_on, "(date unknown)"))}'
    report = claim.report
    if report is not None:
        stated += f" · via <bdi>{_text(report.publisher.name)}</bdi>"
        if report.url:
            stated += f': <a href="{_text(report.url)}" rel="noopener noreferrer">report</a>'
    parts.append(stated + "</p>")
    if cell.earlier:
        earlier = "".join(
            f'<li><span class="num">{_text(old.figure)}</span> <span class="muted">{_text(_day(old.stated_on))}</span></li>'
            for old in cell.earlier
        )
        parts.append(f'<p>Earlier figures from this source:</p><ol class="revisions">{earlier}</ol>')
    parts.append("</details>")
    if cell.revised:
        parts.append('<span class="revised" title="This source revised its figure">revised ↻</span>')
    return "".join(parts) + "</td>"


def _matrix_verdict(context: template.Context, incident: Incident, row: MatrixRow) -> str:
    comparison, flag = row.comparison, row.flag
    if comparison.agree is None:
        verdict = '<span class="mark single">● Single source</span>'
    elif comparison.conflict:
        verdict = '<strong class="mark conflict">✕ Conflict</strong>'
    else:
        verdict = '<span class="mark agree">✓ Agree</span>'
    if comparison.spread is not None and comparison.agree is not None:
        verdict += (
            f'<br><span class="muted">spread {_text(comparison.spread)} '
            f"({_text(percent(comparison.relative_spread))})</span>"
        )
    perms = context.get("perms")
    if flag is not None:
        verdict += f'<br><span class="flag-status">Flag: {_text(flag.get_status_display())}</span>'
        link = ""
        if perms is not None and "incidents.view_flag" in perms:
            link = f'<a href="{_text(path_for("flags:detail", flag.pk))}">View flag ›</a>'
        verdict += f'<div class="row-flag">{link}</div>'
    elif comparison.conflict and perms is not None and "incidents.add_flag" in perms:
        verdict += flag_button(context, incident.pk, row.outcome, row.category, row.party)
    return f'<td class="verdict">{verdict}</td>'


def _matrix_consensus(row: MatrixRow) -> str:
    consensus, flag = row.comparison.consensus, row.flag
    if consensus is not None:
        text = (
            f'<span class="num">{_text(flag_range(consensus.low, consensus.high))}</span><br>'
            f'<span class="muted rule">{_text(row.comparison.consensus_rule)}</span>'
        )
    else:
        text = '<span class="muted">no figure stated</span>'
    if flag is not None and flag.status == FlagStatus.RESOLVED:
        text += f"<br><strong>Retained: {_text(retained(flag))}</strong>"
    return f'<td class="consensus">{text}</td>'


@register.simple_tag(takes_context=True)
def matrix_rows(context: template.Context, incident: Incident, matrix: Matrix) -> SafeString:
    """The rows of the incident page's figures side by side (``incidents.selectors.comparison_matrix``): each
    source's current figure with its words, evidence, report and earlier figures, the row's verdict, flag and
    consensus. Built here rather than in the template, as the list's rows (``incident_rows``): the template
    engine's loops over rows and cells took about a third of the incident page's rendering (an incident of
    several rows and sources). Every text is escaped."""
    rows = []
    for row in matrix.rows:
        data_row = f"{row.outcome}-{row.category}" + (f"-{slugify(row.party)}" if row.party else "")
        rows.append(
            f'<tr class="{"conflict" if row.comparison.conflict else ""}" data-row="{_text(data_row)}">'
            f'<th scope="row">{_text(row.label)}</th>'
            + "".join(_matrix_cell(cell) for cell in row.cells)
            + _matrix_verdict(context, incident, row)
            + _matrix_consensus(row)
            + "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308


def _queue_row(
    context: template.Context, item: Discrepancy, incident: Any, found: list[str], can_flag: bool
) -> str:
    places = ""
    if incident is not None:
        names = incident.place_names
        places = "".join(
            f'<span class="muted">{" · " if i == 0 else ""}{_text(name)}{", " if i < len(names) - 1 else ""}</span>'
            for i, name in enumerate(names)
        )
    checks = ""
    if found:
        checks = (
            f'<br><a class="badge conflict" href="#problems-{item.incident_id}" title="Consistency problems on '
            f'this incident">⚠ {len(found)} check{"" if len(found) == 1 else "s"}</a>'
        )
    verdict = (
        ' <strong class="mark conflict">✕ Conflict</strong>'
        if item.conflict
        else ' <span class="mark agree">✓ Agree now</span>'
    )
    figures = "".join(
        f'<li><span class="source">{_text(f.source)}:</span> <span class="num">{_text(f.figure)}</span>'
        + (f' <span class="muted">({_text(f.stated_on)})</span>' if f.stated_on else "")
        + "</li>"
        for f in item.figures
    )
    relative = item.relative_spread
    spread = f"{item.spread}" + (
        f'<br><span class="muted">{_text(percent(relative))}</span>' if relative is not None else ""
    )
    changed = localtime(item.changed_at)  # as the template's date filter shows it
    if item.flag_id:
        flag = (
            f'<a href="{_text(path_for("flags:detail", item.flag_id))}"><span class="badge flag-status '
            f'status-{_text(item.flag_status)}">{_text(item.flag_status_label)}</span></a>'
        )
        if item.assignee:
            flag += f'<br><span class="muted">→ {_text(item.assignee)}</span>'
        if item.flag_status == FlagStatus.RESOLVED:
            flag += f'<br><strong>Retained: <span class="num">{_text(retained(item))}</span></strong>'
    else:
        flag = '<span class="muted">Not flagged</span>'
        if can_flag:
            flag += flag_button(context, item.incident_id, item.outcome, item.category, item.party)
    return (
        f'<tr class="{"conflict" if item.conflict else ""}" data-discrepancy="{item.incident_id}-'
        f'{_text(item.row_key)}"><td><a href="{_text(path_for("incidents:detail", item.incident_id))}'
        f'#matrix-title" {text_attrs(item.title)}>{_text(item.title)}</a><br><span class="muted nowrap">'
        f"{item.date_start:%Y-%m-%d}</span>{places}{checks}</td>"
        f"<td>{_text(item.label)}{verdict}</td>"
        f'<td><ul class="figures">{figures}</ul></td>'
        f'<td class="num">{spread}</td>'
        f'<td class="nowrap" title="{_text(date_filter(changed, "Y-m-d H:i"))}">'
        f"{_text(timesince_filter(item.changed_at))} ago</td>"
        f"<td>{flag}</td></tr>"
    )


@register.simple_tag(takes_context=True)
def queue_rows(
    context: template.Context, rows: Iterable[tuple[Discrepancy, Any, list[str]]], can_flag: bool
) -> SafeString:
    """The discrepancy queue's table rows: each discrepancy with its incident (``selectors.queue_incidents``)
    and that incident's consistency problems. Built here rather than in the template, as the list's rows
    (``hasila.incident_rows``): the template engine's loop over the 25 rows took most of the page's time.
    Every text is escaped; the flag forms are ``flag_button``'s."""
    html = "\n".join(
        _queue_row(context, item, incident, found, bool(can_flag)) for item, incident, found in rows
    )
    return mark_safe(html)  # noqa: S308  # every value above is escaped or built by format_html
