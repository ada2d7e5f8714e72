"""Template helpers for flags: the nav badge's count, a retained figure, a thread's latest comments, a
row's flag form."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from config.paths import path_for
from incidents.models import Flag, FlagComment, FlagStatus
from incidents.services import flag_range

register = template.Library()


@register.simple_tag(takes_context=True)
def open_flag_count(context: template.Context) -> int:
    """Open and under-review flags assigned to the current user: one COUNT query, once per request."""
    request = context.get("request")
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_open_flag_count", None)
    if cached is not None:
        return int(cached)
    count = Flag.objects.filter(
        assigned_to=user, status__in=(FlagStatus.OPEN, FlagStatus.UNDER_REVIEW)
    ).count()
    if request is not None:
        request._open_flag_count = count
    return count


@register.filter
def retained(flag: Any) -> str:
    """The figure or range a flag's resolution retained: "14", "14–15"; empty when there is none."""
    return flag_range(getattr(flag, "resolution_low", None), getattr(flag, "resolution_high", None))


@register.filter
def latest_comments(flag: Flag, count: int = 3) -> list[FlagComment]:
    """The flag's last ``count`` comments, oldest first (from the prefetched thread when there is one)."""
    return list(flag.comments.all())[-count:]


@register.simple_tag(takes_context=True)
def flag_button(
    context: template.Context,
    incident_id: Any,
    outcome: str,
    category: str,
    party: str,
    form: Any = None,
) -> SafeString:
    """The "Flag" form of one discrepancy row, on the queue and the incident page; given the posted ``form``
    (``flag_views.flag_create``), with its note and errors. Built here rather than in a template: including
    a template once per queue row took a tenth of the queue page's time."""
    errors: list[str] = []
    if form:  # a template passes "" for a missing variable
        errors = [*form.non_field_errors(), *(f"{f.label}: {e}" for f in form for e in f.errors)]
    return format_html(
        '<form class="row-flag flag-form" method="post" action="{action}" hx-post="{action}" hx-target="this" '
        'hx-swap="outerHTML">{token}<input type="hidden" name="incident" value="{incident}">'
        '<input type="hidden" name="outcome" value="{outcome}">'
        '<input type="hidden" name="category" value="{category}">'
        '<input type="hidden" name="party" value="{party}">'
        "<details{open}><summary>Flag</summary>"
        '<label>Note <textarea name="note" rows="2" maxlength="5000" placeholder="What needs checking?">'
        '{note}</textarea></label><button type="submit">Flag this discrepancy</button></details>{errors}</form>',
        action=path_for("flags:create"),
        token=CsrfTokenNode().render(context),
        incident=incident_id,
        outcome=outcome,
        category=category,
        party=party,
        open=" open" if errors else "",
        note=form.data.get("note", "") if form else "",
        errors=format_html_join("", '<p class="error" role="alert">{}</p>', ((error,) for error in errors)),
    )
