"""Template helpers for figures and bidirectional text."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from incidents.models import Category, IncidentType, Outcome

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
