"""Analytics pages (sources compared, charts with their data as tables and CSV) and history pages."""

from __future__ import annotations

import csv
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from config.paths import path_for
from incidents import history as history_module
from incidents.models import Category, Claim, Outcome, Place
from incidents.views import HtmxHttpRequest
from sources import analytics, charts
from sources.models import Source

# Analytics -----------------------------------------------------------------------------------------------


def _blank(choices: Any, label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


class RowFilterForm(forms.Form):
    """Which rows to compare: an outcome and a victim category, or all."""

    outcome = forms.ChoiceField(choices=_blank(Outcome.choices, "All outcomes"), required=False)
    category = forms.ChoiceField(choices=_blank(Category.choices, "All categories"), required=False)


class MatrixForm(RowFilterForm):
    metric = forms.ChoiceField(choices=list(analytics.METRICS.items()), required=False, label="Heatmap shows")


class TimelineForm(RowFilterForm):
    sources = forms.ModelMultipleChoiceField(
        queryset=Source.objects.all(), required=False, help_text="None selected: every source."
    )
    place = forms.ModelChoiceField(
        queryset=Place.objects.filter(level__lte=2).order_by("path"),
        required=False,
        empty_label="Anywhere",
        help_text="Incidents at this place or anywhere under it.",
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    measure = forms.ChoiceField(choices=list(analytics.MEASURES.items()), required=False, label="Count")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("The start date is after the end date.")
        return data


# A spreadsheet would run a cell that starts like a formula; figures and signed labels ("+2 … +5") are not.
_SIGNED_LABEL = re.compile(r"^[+\-−]?\d+(\.\d+)?( … [+\-−]?\d+)?$")


def _csv_cell(value: analytics.Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not _SIGNED_LABEL.match(text)):
        return "'" + text
    return text


def _csv(table: analytics.Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([_csv_cell(h) for h in table.headers])
    writer.writerows([_csv_cell(c) for c in row] for row in table.rows)
    return response


def _wants_csv(request: HtmxHttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _csv_query(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


def _partial(request: HtmxHttpRequest, template: str) -> str:
    return f"{template}#results" if request.htmx and not request.htmx.boosted else template


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def pair_matrix(request: HtmxHttpRequest) -> HttpResponse:
    """Every pair of sources: shared incidents, agreement, mean and median difference, as a heatmap and a
    table; ``?format=csv`` gives the table."""
    form = MatrixForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    stats = analytics.pair_stats(outcome=data.get("outcome"), category=data.get("category")) if valid else []
    table = analytics.pair_table(stats)
    if _wants_csv(request) and valid:
        return _csv(table, "source-pairs")
    metric = data.get("metric") or "agreement"
    matrix = analytics.pair_matrix(stats)
    chart = None
    if matrix.sources:
        names = [name for _, name in matrix.sources]
        chart = charts.heatmap(
            title=f"Sources compared: {analytics.METRICS[metric]}",
            rows=names,
            columns=names,
            values=matrix.values(metric),
            notes=matrix.notes(),
            diverging=metric in ("mean", "median"),
            format_value=charts.signed if metric in ("mean", "median") else lambda v: f"{v:g}",
            description="Each cell compares the row's source with the column's source on the rows both "
            "report; an empty cell means no shared row.",
        )
    context = {"form": form, "table": table, "chart": chart, "matrix": matrix, "metric": metric}
    context["csv_query"] = _csv_query(request)
    status = 200 if valid else 400
    return render(request, _partial(request, "sources/analytics/pair_matrix.html"), context, status=status)


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def source_deviation(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """How far a source's figures stand from the median of the other sources' on the same rows."""
    source = get_object_or_404(Source, pk=pk)
    form = RowFilterForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    outcome, category = data.get("outcome"), data.get("category")
    distribution = analytics.deviation_distribution(source, outcome=outcome, category=category)
    table = analytics.distribution_table(distribution)
    if _wants_csv(request) and valid:
        return _csv(table, f"source-{source.pk}-deviation")
    chart = charts.histogram(
        title=f"{source.name}: deviation from the other sources' median",
        bins=distribution.bins,
        x_label=f"{source.name}'s figure minus the median of the others'",
        description=f"{distribution.rows} rows with at least one other source's figure.",
    )
    context = {
        "source": source,
        "form": form,
        "distribution": distribution,
        "table": table,
        "chart": chart if distribution.rows else None,
        "largest": analytics.largest_deviations(source, outcome=outcome, category=category)
        if distribution.rows
        else [],
        "csv_query": _csv_query(request),
    }
    status = 200 if valid else 400
    return render(
        request, _partial(request, "sources/analytics/source_deviation.html"), context, status=status
    )


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def claims_timeline(request: HtmxHttpRequest) -> HttpResponse:
    """Current claims per month and source, filtered by source, place sub-tree, outcome, category, dates."""
    form = TimelineForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    measure = data.get("measure") or "claims"
    series = (
        analytics.timeline(
            analytics.TimelineFilters(
                sources=list(data.get("sources") or ()),
                place=data.get("place"),
                outcome=data.get("outcome") or "",
                category=data.get("category") or "",
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
            )
        )
        if valid
        else analytics.Timeline(months=[], series=[])
    )
    table = analytics.timeline_table(series, measure)
    if _wants_csv(request) and valid:
        return _csv(table, "claims-over-time")
    chart = None
    if series.months:
        chart = charts.line_chart(
            title=f"{analytics.MEASURES[measure]} per month and source",
            x_labels=[month.strftime("%Y-%m") for month in series.months],
            series=[(s.name, s.totals if measure == "total" else s.claims) for s in series.series],
            y_label=analytics.MEASURES[measure].lower(),
            description="Current claims, by the month of the incident.",
        )
    context = {"form": form, "table": table, "chart": chart, "csv_query": _csv_query(request)}
    status = 200 if valid else 400
    return render(request, _partial(request, "sources/analytics/timeline.html"), context, status=status)


# History --------------------------------------------------------------------------------------------------

_KIND_TITLES = {"incident": "Incident", "claim": "Claim", "source": "Source", "flag": "Flag"}


def _history_page(request: HtmxHttpRequest, kind: str, pk: int) -> HttpResponse:
    model, _ = history_module.KINDS[kind]
    obj = model._default_manager.filter(pk=pk).first()
    changes = history_module.history(kind, pk)
    if obj is None and not changes:
        raise Http404(f"No {kind} {pk}")
    context = {
        "kind": kind,
        "kind_title": _KIND_TITLES[kind],
        "object": obj,
        "pk": pk,
        "changes": changes,
        "limit": history_module.LIMIT,
        "back": _back_link(kind, obj),
        "back_to": "incident" if kind in ("claim", "flag") else kind,
        "can_restore": kind == "claim"
        and obj is not None
        and request.user.has_perm("incidents.delete_claim"),
    }
    return render(request, "history/history.html", context)


def _back_link(kind: str, obj: Any) -> str | None:
    if obj is None:
        return None
    if kind in ("claim", "flag"):
        return path_for("incidents:detail", obj.incident_id)
    return str(obj.get_absolute_url())


@require_GET
@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def incident_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of an incident, its claims and its flags, field by field, newest first."""
    return _history_page(request, "incident", pk)


@require_GET
@login_required
@permission_required("incidents.view_claim", raise_exception=True)
def claim_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of a claim; admins may restore an earlier version."""
    return _history_page(request, "claim", pk)


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def source_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of a source and its spellings."""
    return _history_page(request, "source", pk)


@require_GET
@login_required
@permission_required("incidents.view_flag", raise_exception=True)
def flag_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of a flag and its comments."""
    return _history_page(request, "flag", pk)


@require_POST
@login_required
@permission_required("incidents.delete_claim", raise_exception=True)
def restore_claim(request: HtmxHttpRequest, pk: int, event_id: int) -> HttpResponse:
    """Restore a claim's fields from an earlier version (admins); the restore is itself a recorded change."""
    claim = get_object_or_404(Claim, pk=pk)
    try:
        changed = history_module.restore_claim(claim=claim, event_id=event_id, user=request.user)
    except history_module.RestoreError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "That version cannot be restored: " + " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Restored version {event_id}: {', '.join(changed)}.")
    return redirect("analytics:history_claim", pk=claim.pk)
