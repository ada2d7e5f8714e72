"""Forms for the discrepancy queue and flags: they validate input; the services in incidents.services write."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from incidents.filters import (
    PlainCheckboxInput,
    PlainDateInput,
    PlainSelect,
    filter_menus,
    place_menu,
    source_menu,
)
from incidents.models import Category, FlagStatus, Incident, Outcome, Place
from incidents.selectors import QUEUE_SORT_CHOICES, QueueFilters
from sources.models import Source

STATUS_FILTER_CHOICES = [
    ("", "Any"),
    ("unflagged", "Not flagged"),
    ("active", "Open or under review"),
    *FlagStatus.choices,
]


def editors() -> QuerySet[Any]:
    """Active users who may work on flags (through a group, directly, or as superusers)."""
    permission = Permission.objects.filter(content_type__app_label="incidents", codename="change_flag")
    return (
        get_user_model()
        .objects.filter(
            Q(groups__permissions__in=permission) | Q(user_permissions__in=permission) | Q(is_superuser=True),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


class QueueFilterForm(forms.Form):
    # Widgets built in Python (incidents.filters): the long menus without a template per option.
    place = forms.ModelChoiceField(
        queryset=Place.objects.all(), required=False, empty_label="Anywhere", widget=PlainSelect
    )
    date_from = forms.DateField(label="From", required=False, widget=PlainDateInput)
    date_to = forms.DateField(label="To", required=False, widget=PlainDateInput)
    source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("name"), required=False, empty_label="Any", widget=PlainSelect
    )
    outcome = forms.ChoiceField(choices=[("", "Any"), *Outcome.choices], required=False, widget=PlainSelect)
    category = forms.ChoiceField(choices=[("", "Any"), *Category.choices], required=False, widget=PlainSelect)
    status = forms.ChoiceField(
        label="Flag", choices=STATUS_FILTER_CHOICES, required=False, widget=PlainSelect
    )
    mine = forms.BooleanField(label="Assigned to me", required=False, widget=PlainCheckboxInput)
    sort = forms.ChoiceField(choices=QUEUE_SORT_CHOICES, required=False, widget=PlainSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The incident list's menus (built once per process and version): any place can be filtered on by id
        # (e.g. from a shared link), but the menu lists the upper levels.
        selected = str(self.data.get("place", ""))
        menus = functools.cache(filter_menus)
        place_widget, source_widget = self.fields["place"].widget, self.fields["source"].widget
        assert isinstance(place_widget, PlainSelect)
        assert isinstance(source_widget, PlainSelect)
        place_widget.menu = lambda: place_menu(menus(), selected)
        source_widget.menu = lambda: source_menu(menus(), "Any")

    def filters(self, user_id: int | None) -> QueueFilters:
        """The validated filters; call after ``is_valid()``."""
        data = self.cleaned_data
        return QueueFilters(
            place=data["place"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            source=data["source"],
            outcome=data["outcome"],
            category=data["category"],
            status=data["status"],
            assigned_to_id=user_id if data["mine"] else None,
            sort=data["sort"] or "spread",
        )


class FlagCreateForm(forms.Form):
    """Flag one row of an incident's comparison (the row's key comes from hidden fields)."""

    incident = forms.ModelChoiceField(queryset=Incident.objects.all(), widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.HiddenInput)
    category = forms.ChoiceField(choices=Category.choices, widget=forms.HiddenInput)
    party = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why?"})
    )


class VersionedForm(forms.Form):
    """A change to a flag, made against the version the editor saw. Each action's form has its own id
    prefix, as they share one page."""

    id_prefix = "flag"
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AssignForm(VersionedForm):
    id_prefix = "assign"
    assigned_to = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Nobody", label="Assign to"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assigned_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = editors()


class StatusForm(VersionedForm):
    id_prefix = "status"
    status = forms.ChoiceField(
        choices=[
            (FlagStatus.OPEN, FlagStatus.OPEN.label),
            (FlagStatus.UNDER_REVIEW, FlagStatus.UNDER_REVIEW.label),
        ]
    )


class ResolveForm(VersionedForm):
    """The figure retained (``high`` for a range) and why."""

    id_prefix = "resolve"

    low = forms.IntegerField(label="Retained figure (low)", min_value=0)
    high = forms.IntegerField(label="High (for a range)", min_value=0, required=False)
    note = forms.CharField(label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("low"), data.get("high")
        if low is not None and high is not None and high < low:
            self.add_error("high", "The high figure cannot be below the low one.")
        return data


class DismissForm(VersionedForm):
    id_prefix = "dismiss"
    note = forms.CharField(
        label="Reason for dismissing", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
