"""The discrepancy queue and flags. Views stay thin: forms validate, selectors read, services write.

Every change to a flag carries the version the editor saw; when someone else changed the flag meanwhile,
the page says so and shows the flag as it now stands (409 without htmx), and nothing is overwritten.
htmx requests get the partial they swap in, with status 200 even for errors (htmx does not swap
4xx responses), so the message reaches the editor in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from incidents import services
from incidents.flag_forms import (
    AssignForm,
    CommentForm,
    DismissForm,
    FlagCreateForm,
    QueueFilterForm,
    ResolveForm,
    StatusForm,
)
from incidents.models import Flag, FlagComment
from incidents.selectors import (
    InvalidCursor,
    MatrixRow,
    QueueIncident,
    comparison_matrix,
    discrepancy_page,
    incident_page,
    queue_incidents,
)
from incidents.views import HtmxHttpRequest

ACTION_FORMS: dict[str, type[Any]] = {
    "assign_form": AssignForm,
    "status_form": StatusForm,
    "resolve_form": ResolveForm,
    "dismiss_form": DismissForm,
}


@require_GET
@login_required
@permission_required("incidents.view_flag", raise_exception=True)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """Every discrepancy with its figures side by side, filtered and sorted; htmx gets the results only."""
    form = QueueFilterForm(request.GET)
    page = None
    incidents: dict[int, tuple[QueueIncident, list[str]]] = {}
    status = 400
    if form.is_valid():
        try:
            page = discrepancy_page(
                form.filters(request.user.pk), after=request.GET.get("after"), size=settings.PAGE_SIZE
            )
            status = 200
        except InvalidCursor:
            page = None
    if page is not None:
        incidents = queue_incidents(item.incident_id for item in page.items)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(item, *incidents.get(item.incident_id, (None, []))) for item in page.items] if page else [],
        "problems": [entry for entry in incidents.values() if entry[1]],
        "query": query.urlencode(),
        "after": request.GET.get("after"),
    }
    template = "incidents/flags/queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context, status=status)


def _flag(pk: int) -> Flag:
    return get_object_or_404(
        Flag.objects.select_related("incident", "assigned_to", "created_by", "resolved_by"), pk=pk
    )


def _render_flag(
    request: HtmxHttpRequest,
    flag: Flag,
    *,
    status: int = 200,
    changed: services.FlagChanged | None = None,
    **bound: Any,
) -> HttpResponse:
    """The flag page (or, for htmx, its ``flag`` partial) with fresh forms at the flag's current version,
    except any form passed bound (to show its errors or keep the editor's input)."""
    incident = incident_page(flag.incident_id)
    if incident is None:  # deleted since the flag was read
        raise Http404("No such incident")
    matrix = comparison_matrix(incident)
    row: MatrixRow | None = next(
        (
            r
            for r in matrix.rows
            if (r.outcome, r.category, r.party) == (flag.outcome, flag.category, flag.party)
        ),
        None,
    )
    forms = {name: form_class(initial={"version": flag.version}) for name, form_class in ACTION_FORMS.items()}
    forms["assign_form"].initial["assigned_to"] = flag.assigned_to_id
    forms["status_form"].initial["status"] = flag.status
    forms["resolve_form"].initial |= {"low": flag.resolution_low, "high": flag.resolution_high}
    context = {
        "flag": flag,
        "incident": incident,
        "matrix": matrix,
        "row": row,
        "comments": FlagComment.objects.filter(flag=flag).select_related("author"),
        "comment_form": CommentForm(),
        "changed": changed,
        **forms,
        **bound,
    }
    template = "incidents/flags/flag_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#flag"
        status = 200
    return render(request, template, context, status=status)


@require_GET
@login_required
@permission_required("incidents.view_flag", raise_exception=True)
def flag_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One flag: the row's figures, its state and resolution, its comments, and (for editors) the actions."""
    return _render_flag(request, _flag(pk))


def _act(
    request: HtmxHttpRequest,
    pk: int,
    form_name: str,
    action: Callable[[Flag, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Validate the posted form, run the service with the version the editor saw, then show the outcome."""
    flag = _flag(pk)
    form = ACTION_FORMS[form_name](request.POST)
    if not form.is_valid():
        return _render_flag(request, flag, status=400, **{form_name: form})
    try:
        action(flag, form.cleaned_data)
    except services.FlagChanged as exc:
        # Keep what the editor typed, now against the current version, so a resubmit is a deliberate choice.
        data = request.POST.copy()
        data["version"] = str(exc.flag.version)
        return _render_flag(
            request, _flag(pk), status=409, changed=exc, **{form_name: ACTION_FORMS[form_name](data)}
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _render_flag(request, flag, status=400, **{form_name: form})
    if request.htmx:
        return _render_flag(request, _flag(pk), notice=done)
    messages.success(request, done)
    return redirect("flags:detail", pk=pk)


@require_POST
@login_required
@permission_required("incidents.change_flag", raise_exception=True)
def flag_assign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Assign the flag to an editor, or to nobody."""
    return _act(
        request,
        pk,
        "assign_form",
        lambda flag, data: services.assign_flag(
            flag=flag, user=request.user, assignee=data["assigned_to"], expected_version=data["version"]
        ),
        "Assignment saved.",
    )


@require_POST
@login_required
@permission_required("incidents.change_flag", raise_exception=True)
def flag_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Move the flag to open or under review."""
    return _act(
        request,
        pk,
        "status_form",
        lambda flag, data: services.change_flag_status(
            flag=flag, user=request.user, status=data["status"], expected_version=data["version"]
        ),
        "Status saved.",
    )


@require_POST
@login_required
@permission_required("incidents.resolve_flag", raise_exception=True)
def flag_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Resolve the flag: the figure or range retained, and why."""
    return _act(
        request,
        pk,
        "resolve_form",
        lambda flag, data: services.resolve_flag(
            flag=flag,
            user=request.user,
            low=data["low"],
            high=data["high"],
            note=data["note"],
            expected_version=data["version"],
        ),
        "Flag resolved.",
    )


@require_POST
@login_required
@permission_required("incidents.resolve_flag", raise_exception=True)
def flag_dismiss(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Dismiss the flag, saying why."""
    return _act(
        request,
        pk,
        "dismiss_form",
        lambda flag, data: services.dismiss_flag(
            flag=flag, user=request.user, note=data["note"], expected_version=data["version"]
        ),
        "Flag dismissed.",
    )


@require_POST
@login_required
@permission_required("incidents.add_flagcomment", raise_exception=True)
def flag_comment(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a comment to the flag's thread."""
    flag = _flag(pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_flag(request, flag, status=400, comment_form=form)
    services.comment_on_flag(flag=flag, user=request.user, body=form.cleaned_data["body"])
    if request.htmx:
        return _render_flag(request, flag, notice="Comment added.")
    messages.success(request, "Comment added.")
    return redirect("flags:detail", pk=pk)


@require_POST
@login_required
@permission_required("incidents.add_flag", raise_exception=True)
def flag_create(request: HtmxHttpRequest) -> HttpResponse:
    """Flag one row of an incident (from the incident page or the queue). htmx gets the row's flag link in
    place of the form; without JavaScript the editor lands on the new flag's page."""
    form = FlagCreateForm(request.POST)
    flag = existing = None
    if form.is_valid():
        data = form.cleaned_data
        existing = Flag.objects.filter(
            incident=data["incident"], outcome=data["outcome"], category=data["category"], party=data["party"]
        ).first()
        if existing is not None:
            flag = existing
        else:
            try:
                flag = services.flag_discrepancy(
                    incident=data["incident"],
                    outcome=data["outcome"],
                    category=data["category"],
                    party=data["party"],
                    note=data["note"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
    if flag is None:
        if request.htmx:
            return render(request, "incidents/flags/_flag_button.html", _button_context(form))
        return render(request, "incidents/flags/flag_create.html", {"form": form}, status=400)
    notice = "This row was already flagged." if existing is not None else "Discrepancy flagged."
    if request.htmx:
        return render(request, "incidents/flags/_flag_link.html", {"flag": flag, "notice": notice})
    messages.success(request, notice)
    return redirect("flags:detail", pk=flag.pk)


def _button_context(form: FlagCreateForm) -> dict[str, Any]:
    """The flag form again, with its errors, for the row it was posted from."""
    return {
        "form": form,
        "incident_id": form.data.get("incident", ""),
        "outcome": form.data.get("outcome", ""),
        "category": form.data.get("category", ""),
        "party": form.data.get("party", ""),
    }
