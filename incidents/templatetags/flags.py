"""Template helpers for flags: the nav badge's count, a retained figure, a thread's latest comments."""

from __future__ import annotations

from typing import Any

from django import template

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
