"""Entering data by hand and from articles. Forms validate, services write, ``incidents.article`` helps read.

Every form works without JavaScript; with htmx, the incident page's forms load and submit in place and
return a partial (the ``form`` block of their template), and a successful write redirects the whole page
so the comparison shows the new figures.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Min, Value, When
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from incidents import services
from incidents.article import (
    PlaceIndex,
    Proposal,
    Span,
    dates_in_text,
    first_line,
    guess_incident_type,
    highlight,
    place_labels,
    propose_incidents,
)
from incidents.filters import search
from incidents.forms import ArticleForm, CandidateFormSet, ClaimForm, IncidentChoiceForm, IncidentForm
from incidents.models import Claim, Incident, Place, PlaceLevel
from incidents.views import HtmxHttpRequest
from sources.extraction import CandidateClaim, extract
from sources.extraction.normalize import normalize_search
from sources.models import Report, Source, SourceAlias, content_hash
from sources.selectors import alias_table

AUTOCOMPLETE_LIMIT = 20
PLACE_FIELDS = frozenset({"places", "new-places"})


def _done(request: HtmxHttpRequest, url: str) -> HttpResponseBase:
    """After a write: the whole page moves on (htmx included), so the comparison is redrawn."""
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)


def _template(request: HtmxHttpRequest, name: str) -> str:
    return f"{name}#form" if request.htmx and not request.htmx.boosted else name


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@dataclass(frozen=True)
class PlaceOption:
    """A place offered in a form, labelled with its hierarchy."""

    pk: int
    label: str
    level: str
    checked: bool


def _place_options(ids: list[int], *, checked: bool) -> list[PlaceOption]:
    places = list(Place.objects.filter(pk__in=ids).order_by("path"))
    labels = place_labels(places)
    return [PlaceOption(p.pk, labels[p.pk], p.get_level_display(), checked) for p in places]


def _search_places(query: str) -> list[Place]:
    if not normalize_search(query):
        return []
    return list(search(Place.objects.all(), query).order_by("level", "name_en", "pk")[:AUTOCOMPLETE_LIMIT])


# Incidents --------------------------------------------------------------------------------------------------


def _incident_form_page(
    request: HtmxHttpRequest, form: IncidentForm, incident: Incident | None
) -> HttpResponse:
    query = request.POST.get("q", "") if "find_places" in request.POST else ""
    chosen = form.chosen_place_ids()
    found = [p for p in _search_places(query) if p.pk not in chosen]
    labels = place_labels(found)
    context = {
        "form": form,
        "incident": incident,
        "chosen_places": _place_options(chosen, checked=True),
        "found_places": [PlaceOption(p.pk, labels[p.pk], p.get_level_display(), False) for p in found],
        "place_query": query,
    }
    return render(request, _template(request, "incidents/entry/incident_form.html"), context)


def _incident_fields(form: IncidentForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data[name] for name in form.Meta.fields}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("incidents.add_incident", raise_exception=True)
def incident_create(request: HtmxHttpRequest) -> HttpResponseBase:
    """A new incident; the no-JavaScript "Find places" button searches the gazetteer without saving."""
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and "find_places" not in request.POST and form.is_valid():
        fields = _incident_fields(form)
        try:
            incident = services.create_incident(
                created_by=request.user,
                places=form.cleaned_data["places"],
                **fields,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Incident “{incident.title}” created. Add its claims below.")
            return _done(request, incident.get_absolute_url())
    return _incident_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("incidents.change_incident", raise_exception=True)
def incident_edit(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Correct an incident: its creator, or an editor."""
    incident = get_object_or_404(Incident.objects.prefetch_related("places"), pk=pk)
    if not services.can_edit(request.user, incident.created_by_id):
        raise PermissionDenied("Only editors can change incidents entered by someone else.")
    # The form validates a copy, so the service sees the incident as stored.
    form = IncidentForm(request.POST or None, instance=copy.copy(incident))
    if request.method == "POST" and "find_places" not in request.POST and form.is_valid():
        try:
            services.update_incident(
                incident=incident,
                user=request.user,
                places=form.cleaned_data["places"],
                **_incident_fields(form),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Incident updated.")
            return _done(request, incident.get_absolute_url())
    return _incident_form_page(request, form, incident)


# Claims -----------------------------------------------------------------------------------------------------


def _claim_form_page(
    request: HtmxHttpRequest, form: ClaimForm, incident: Incident, claim: Claim | None
) -> HttpResponse:
    context = {"form": form, "incident": incident, "claim": claim}
    return render(request, _template(request, "incidents/entry/claim_form.html"), context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("incidents.add_claim", raise_exception=True)
def claim_create(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """A source's figure for this incident, entered by hand: confirmed, and that source's current figure."""
    incident = get_object_or_404(Incident, pk=pk)
    form = ClaimForm(request.POST or None, instance=Claim(incident=incident), auto_id="new-claim-%s")
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.create_claim(incident=incident, entered_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Claim recorded: {claim.claimed_by.name}, {claim.figure}.")
            return _done(request, incident.get_absolute_url())
    return _claim_form_page(request, form, incident, None)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("incidents.change_claim", raise_exception=True)
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Correct a claim: the analyst who entered it, or an editor."""
    claim = get_object_or_404(Claim.objects.select_related("incident", "claimed_by"), pk=pk)
    if not services.can_edit(request.user, claim.entered_by_id):
        raise PermissionDenied("Only editors can change claims entered by someone else.")
    form = ClaimForm(request.POST or None, instance=copy.copy(claim), auto_id=f"claim-{claim.pk}-%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.update_claim(claim=claim, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Claim corrected: {claim.claimed_by.name}, {claim.figure}.")
            return _done(request, claim.incident.get_absolute_url())
    return _claim_form_page(request, form, claim.incident, claim)


@require_POST
@login_required
@permission_required("incidents.change_claim", raise_exception=True)
def claim_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Confirm a candidate claim: it becomes its source's current figure."""
    claim = get_object_or_404(Claim.objects.select_related("incident", "claimed_by"), pk=pk)
    if not services.can_edit(request.user, claim.entered_by_id):
        raise PermissionDenied("Only editors can confirm claims entered by someone else.")
    try:
        services.confirm_claim(claim=claim, user=request.user)
    except ValidationError as exc:
        messages.error(request, f"Could not confirm the claim: {' '.join(exc.messages)}")
    else:
        messages.success(request, f"Claim confirmed: {claim.claimed_by.name}, {claim.figure}.")
    return _done(request, claim.incident.get_absolute_url())


# Autocomplete -----------------------------------------------------------------------------------------------


def source_matches(query: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Source]:
    """Sources any of whose spellings contains the normalised query: exact spellings first, then prefixes."""
    key = normalize_search(query)
    if not key:
        return list(Source.objects.order_by("name")[:limit])
    rank = Min(
        Case(
            When(aliases__normalized=key, then=Value(0)),
            When(aliases__normalized__startswith=key, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    return list(
        Source.objects.filter(aliases__normalized__contains=key)
        .annotate(rank=rank)
        .order_by("rank", "name")[:limit]
    )


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def source_autocomplete(request: HtmxHttpRequest) -> HttpResponse:
    """``<option>``s of the sources matching ``q`` by any spelling, for a source ``<select>``."""
    query = request.GET.get("q", "")[:200]
    context = {"sources": source_matches(query), "q": query}
    return render(request, "incidents/entry/_source_options.html", context)


@require_GET
@login_required
@permission_required("incidents.view_place", raise_exception=True)
def place_autocomplete(request: HtmxHttpRequest) -> HttpResponse:
    """Gazetteer places matching ``q`` labelled with their hierarchy, as buttons that add the place to the
    form's field ``name``; ``pick`` returns the chosen place as a ticked box for that field."""
    name = request.GET.get("name", "places")
    if name not in PLACE_FIELDS:
        name = "places"
    pick = request.GET.get("pick", "")
    if pick:
        options = _place_options([int(pick)] if pick.isdigit() else [], checked=True)
        return render(request, "incidents/entry/_place_chosen.html", {"options": options, "name": name})
    query = request.GET.get("q", "")[:200]
    places = _search_places(query)
    labels = place_labels(places)
    options = [PlaceOption(p.pk, labels[p.pk], p.get_level_display(), False) for p in places]
    return render(
        request, "incidents/entry/_place_options.html", {"options": options, "name": name, "q": query}
    )


# Articles ---------------------------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(("incidents.add_claim", "sources.add_report"), raise_exception=True)
def article_new(request: HtmxHttpRequest) -> HttpResponse:
    """Step 1: the article's text (pasted or uploaded) and who published it, when, where."""
    return render(request, "incidents/entry/article_new.html", {"form": ArticleForm()})


def _resolve_sources(candidates: list[CandidateClaim]) -> dict[int, Source]:
    """Each candidate's source, found by its canonical name or its name as written (one query)."""
    keys = {
        i: normalize_search(c.source or c.source_as_written or "")
        for i, c in enumerate(candidates)
        if c.source or c.source_as_written
    }
    aliases = SourceAlias.objects.filter(normalized__in=set(keys.values()) - {""}).select_related("source")
    by_key = {alias.normalized: alias.source for alias in aliases}
    return {i: by_key[key] for i, key in keys.items() if key in by_key}


@dataclass(frozen=True)
class Review:
    """What the review page shows besides the forms."""

    proposals: list[Proposal]
    duplicate: Report | None
    duplicate_incidents: list[Incident]
    place_ids: list[int]


def _review_facts(
    text: str, published_on: Any, source_ids: set[int], index: PlaceIndex, names: list[str]
) -> Review:
    duplicate = Report.objects.filter(content_hash=content_hash(text)).select_related("publisher").first()
    cited: list[Incident] = []
    if duplicate is not None:
        cited = list(Incident.objects.filter(claims__report=duplicate).distinct().order_by("-date_start"))
    named = index.find(text) | index.resolve(names)
    paths = [index.paths[pk] for pk in named if index.levels[pk] > PlaceLevel.COUNTRY]
    dates = [published_on, *dates_in_text(text, published_on)] if published_on else []
    proposals = propose_incidents(
        dates=dates, place_paths=paths, source_ids=source_ids, first=[i.pk for i in cited]
    )
    return Review(
        proposals=proposals,
        duplicate=duplicate,
        duplicate_incidents=cited,
        place_ids=index.deepest(index.resolve(names) or named),
    )


def _render_review(
    request: HtmxHttpRequest,
    *,
    meta: ArticleForm,
    formset: Any,
    choice: IncidentChoiceForm,
    new_form: IncidentForm,
    review: Review,
    errors: list[str] | None = None,
) -> HttpResponse:
    text = meta.cleaned_data["text"]
    spans = []
    rows = []
    for i, form in enumerate(formset.forms):
        start, end = form._offsets("start", "end")
        if start is not None and end is not None:
            spans.append(Span(start, end, i))
        claimed = form["claimed_by"].value()
        rows.append(
            {"form": form, "index": i, "unknown": not claimed and bool(form["source_as_written"].value())}
        )
    chosen = new_form.chosen_place_ids()
    context = {
        "meta": meta,
        "text": text,
        "language": meta.cleaned_data["language"],
        "highlighted": highlight(text, spans),
        "formset": formset,
        "rows": rows,
        "choice": choice,
        "chosen_incident": str(choice["incident"].value() or ""),
        "new_form": new_form,
        "new_places": _place_options(chosen, checked=True),
        "review": review,
        "can_add_source": request.user.has_perm("sources.add_source"),
        "errors": errors or [],
    }
    return render(request, "incidents/entry/article_review.html", context)


@require_POST
@login_required
@permission_required(("incidents.add_claim", "sources.add_report"), raise_exception=True)
def article_review(request: HtmxHttpRequest) -> HttpResponse:
    """Step 2: the text with every candidate claim highlighted, the candidates to correct and keep, and the
    incidents they may belong to. Nothing is saved."""
    meta = ArticleForm(request.POST, request.FILES)
    if not meta.is_valid():
        return render(request, "incidents/entry/article_new.html", {"form": meta})
    text: str = meta.cleaned_data["text"]
    index = PlaceIndex.load()
    candidates = extract(text, aliases=alias_table(), places=index.names)
    sources = _resolve_sources(candidates)
    initial = [
        {
            "include": i in sources,
            "claimed_by": sources[i].pk if i in sources else None,
            "new_source": (c.source or c.source_as_written or "")[:200],
            "source_as_written": c.source_as_written or "",
            "outcome": c.outcome,
            "category": c.category,
            "party": c.party or "",
            "qualifier": c.qualifier,
            "low": c.low,
            "high": None if c.qualifier in ("exact", "about") else c.high,
            "start": c.start,
            "end": c.end,
            "sentence_start": c.sentence_start,
            "sentence_end": c.sentence_end,
        }
        for i, c in enumerate(candidates)
    ]
    formset = CandidateFormSet(
        initial=initial,
        prefix="claims",
        form_kwargs={"can_add_source": request.user.has_perm("sources.add_source"), "text": text},
    )
    published_on = meta.cleaned_data["published_on"]
    review = _review_facts(
        text,
        published_on,
        {s.pk for s in sources.values()},
        index,
        [name for i in sources for name in candidates[i].places],
    )
    choice = IncidentChoiceForm(
        initial={"incident": str(review.proposals[0].incident.pk) if review.proposals else "new"}
    )
    new_form = IncidentForm(
        prefix="new",
        initial={
            "title": meta.cleaned_data["title"] or first_line(text),
            "date_start": published_on,
            "type": guess_incident_type(text),
            "places": review.place_ids,
        },
    )
    return _render_review(
        request, meta=meta, formset=formset, choice=choice, new_form=new_form, review=review
    )


@require_POST
@login_required
@permission_required(("incidents.add_claim", "sources.add_report"), raise_exception=True)
def article_confirm(request: HtmxHttpRequest) -> HttpResponseBase:
    """Step 3: everything validated again, then the report, the incident if new, and the kept claims written
    in one transaction."""
    meta = ArticleForm(request.POST)
    if not meta.is_valid():
        return render(request, "incidents/entry/article_new.html", {"form": meta})
    text: str = meta.cleaned_data["text"]
    can_add_source = request.user.has_perm("sources.add_source")
    formset = CandidateFormSet(
        request.POST, prefix="claims", form_kwargs={"can_add_source": can_add_source, "text": text}
    )
    choice = IncidentChoiceForm(request.POST)
    new_form = IncidentForm(request.POST, prefix="new")
    errors: list[str] = []
    valid = formset.is_valid() & choice.is_valid()
    creating = valid and choice.cleaned_data["incident"] is None
    if creating:
        if not request.user.has_perm("incidents.add_incident"):
            raise PermissionDenied("Creating incidents needs the add incident permission.")
        valid = new_form.is_valid()
    else:
        # Not validated (an existing incident was chosen): shown again as typed, without errors.
        new_form = IncidentForm(prefix="new", initial=_unbound_initial(request, new_form))
    if valid:
        try:
            record = services.record_article(
                publisher=meta.cleaned_data["publisher"],
                text=text,
                url=meta.cleaned_data["url"],
                title=meta.cleaned_data["title"] or first_line(text, 500),
                published_on=meta.cleaned_data["published_on"],
                language=meta.cleaned_data["language"],
                incident=choice.cleaned_data["incident"],
                new_incident=_new_incident(new_form) if creating else None,
                claims=[_article_claim(form) for form in formset.forms if form.cleaned_data.get("include")],
                user=request.user,
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _recorded_message(record))
            return HttpResponseRedirect(record.incident.get_absolute_url())
    index = PlaceIndex.load()
    chosen_sources = {
        int(v) for form in formset.forms if str(v := form["claimed_by"].value() or "").isdigit()
    }
    review = _review_facts(text, meta.cleaned_data["published_on"], chosen_sources, index, [])
    return _render_review(
        request, meta=meta, formset=formset, choice=choice, new_form=new_form, review=review, errors=errors
    )


def _unbound_initial(request: HtmxHttpRequest, form: IncidentForm) -> dict[str, Any]:
    initial: dict[str, Any] = {name: request.POST.get(form.add_prefix(name), "") for name in form.Meta.fields}
    initial["places"] = request.POST.getlist(form.add_prefix("places"))
    return initial


def _new_incident(form: IncidentForm) -> services.NewIncident:
    data = form.cleaned_data
    return services.NewIncident(
        title=data["title"],
        date_start=data["date_start"],
        date_end=data["date_end"],
        type=data["type"],
        perpetrator=data["perpetrator"],
        description=data["description"],
        places=list(data["places"]),
    )


def _article_claim(form: Any) -> services.ArticleClaim:
    data = form.cleaned_data
    creating = form.can_add_source and data.get("create_source")
    return services.ArticleClaim(
        claimed_by=data["new_source"].strip() if creating else data["claimed_by"],
        outcome=data["outcome"],
        category=data["category"],
        party=data["party"],
        low=data["low"],
        high=data["high"],
        qualifier=data["qualifier"],
        start=data["start"],
        end=data["end"],
        evidence_start=data["sentence_start"],
        evidence_end=data["sentence_end"],
        source_as_written=data["source_as_written"],
    )


def _recorded_message(record: services.ArticleRecord) -> str:
    parts = [
        f"Recorded {len(record.claims)} claim{'s' if len(record.claims) != 1 else ''} "
        f"in “{record.incident.title}”{' (new incident)' if record.incident_created else ''}."
    ]
    if not record.report_created:
        parts.append("This text was already stored: its existing report was used, no copy was made.")
    if record.skipped:
        parts.append(f"{record.skipped} claim(s) were already recorded from this report and were skipped.")
    return " ".join(parts)
