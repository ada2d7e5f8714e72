"""Forms for entering incidents, claims and articles by hand. They validate; services write."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from incidents.article import html_to_text, normalize_newlines
from incidents.models import Category, Claim, Incident, Outcome, Place, Qualifier
from sources.extraction import detect_language
from sources.importers.decoding import UndecodableFile, decode_upload
from sources.models import Language, Source

ARTICLE_MAX_BYTES = 1024 * 1024
ARTICLE_MAX_CHARS = 300_000
ARTICLE_EXTENSIONS = (".txt", ".html", ".htm")
MAX_CANDIDATES = 200

FIGURE_HELP = (
    "Enter the figure as the source states it. “15”: exactly, lowest 15 (highest may stay empty). "
    "“at least 14” / “more than 20”: that qualifier, lowest 14 / 20, highest empty. “up to 30”: highest 30, "
    "lowest empty. “between 14 and 21”: range, 14 and 21. “dozens”: unspecified amount, both empty."
)


def check_figure(qualifier: str, low: int | None, high: int | None) -> tuple[int | None, dict[str, str]]:
    """The bounds a qualifier needs (the claim table's constraints), as messages per field; for "exactly" and
    "about" an empty highest figure is taken to equal the lowest. Returns the highest figure to store."""
    errors: dict[str, str] = {}
    label = Qualifier(qualifier).label if qualifier in Qualifier.values else qualifier
    if qualifier in (Qualifier.EXACT, Qualifier.ABOUT):
        if low is None:
            errors["low"] = f"“{label}” needs a figure: enter it as the lowest figure."
        elif high is None:
            high = low
        elif high != low:
            errors["high"] = f"“{label}” is one figure: leave the highest empty, or choose “range”."
    elif qualifier in (Qualifier.AT_LEAST, Qualifier.MORE_THAN):
        if low is None:
            errors["low"] = f"“{label} 14” is entered as lowest 14: the lowest figure is missing."
        if high is not None:
            errors["high"] = f"“{label}” has no upper bound: leave the highest figure empty."
    elif qualifier == Qualifier.UP_TO:
        if high is None:
            errors["high"] = "“up to 30” is entered as highest 30: the highest figure is missing."
        if low is not None:
            errors["low"] = "“up to” has no lower bound: leave the lowest figure empty."
    elif qualifier == Qualifier.RANGE:
        if low is None:
            errors["low"] = "A range needs its lowest figure."
        if high is None:
            errors["high"] = "A range needs its highest figure."
        if low is not None and high is not None and low >= high:
            errors["high"] = "The highest figure of a range must be above its lowest."
    elif qualifier == Qualifier.UNSPECIFIED:
        for name, value in (("low", low), ("high", high)):
            if value is not None:
                errors[name] = "An unspecified amount (“dozens”) has no figure: leave it empty."
    return high, errors


class _FigureMixin:
    """Adds the figure check to a form with ``qualifier``, ``low`` and ``high`` fields."""

    cleaned_data: dict[str, Any]
    add_error: Any

    def clean_figure(self) -> None:
        data = self.cleaned_data
        if "qualifier" not in data or "low" not in data or "high" not in data:
            return
        high, errors = check_figure(data["qualifier"], data["low"], data["high"])
        data["high"] = high
        for name, message in errors.items():
            self.add_error(name, message)


def source_choices() -> Any:
    """Every source for a plain ``<select>`` (the fallback without JavaScript)."""
    return Source.objects.order_by("name")


class ClaimForm(_FigureMixin, forms.ModelForm):  # type: ignore[type-arg]
    """One source's figure, entered or corrected by hand on an incident page."""

    class Meta:
        model = Claim
        fields = [
            "claimed_by",
            "outcome",
            "category",
            "party",
            "qualifier",
            "low",
            "high",
            "words",
            "evidence",
            "stated_on",
            "note",
        ]
        labels = {"claimed_by": "Source", "low": "Lowest figure", "high": "Highest figure"}
        widgets = {
            "stated_on": forms.DateInput(attrs={"type": "date"}),
            "evidence": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
            "note": forms.Textarea(attrs={"rows": 2}),
            "words": forms.TextInput(attrs={"dir": "auto"}),
        }
        help_texts = {"qualifier": FIGURE_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["claimed_by"].queryset = source_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self.clean_figure()
        return cleaned


class IncidentForm(forms.ModelForm):  # type: ignore[type-arg]
    """An incident's fields; places are picked from the gazetteer (any number)."""

    places = forms.ModelMultipleChoiceField(
        queryset=Place.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )

    class Meta:
        model = Incident
        fields = ["title", "date_start", "date_end", "date_precision", "type", "perpetrator", "description"]
        labels = {"date_start": "Date (first day)", "date_end": "Last day"}
        widgets = {
            "title": forms.TextInput(attrs={"dir": "auto"}),
            "date_start": forms.DateInput(attrs={"type": "date"}),
            "date_end": forms.DateInput(attrs={"type": "date"}),
            "perpetrator": forms.TextInput(attrs={"dir": "auto"}),
            "description": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        }

    def chosen_place_ids(self) -> list[int]:
        """The places ticked in the submitted data, else the incident's (or the initial) places."""
        if self.is_bound:
            values = self.data.getlist(self.add_prefix("places")) if hasattr(self.data, "getlist") else []
        else:
            values = self.initial.get("places") or []
            if not values and self.instance.pk:
                values = [p.pk for p in self.instance.places.all()]
        return [
            int(v.pk if isinstance(v, Place) else v) for v in values if str(getattr(v, "pk", v)).isdigit()
        ]


class ArticleForm(forms.Form):
    """An article to read claims from: pasted text or an uploaded .txt / .html file, with its metadata."""

    publisher = forms.ModelChoiceField(queryset=Source.objects.none(), help_text="Who published it.")
    url = forms.URLField(label="URL", required=False, max_length=2000, assume_scheme="https")
    published_on = forms.DateField(label="Published on", widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(
        required=False, max_length=500, widget=forms.TextInput(attrs={"dir": "auto"}), help_text="Optional."
    )
    language = forms.ChoiceField(choices=[("", "Detect from the text"), *Language.choices], required=False)
    text = forms.CharField(
        label="Text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}),
        help_text="Paste the article, or upload it below.",
    )
    file = forms.FileField(
        label="or upload a file",
        required=False,
        help_text=f".txt or .html, at most {ARTICLE_MAX_BYTES // 1024} KB; HTML is reduced to its text.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ARTICLE_EXTENSIONS)}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["publisher"].queryset = source_choices()  # type: ignore[attr-defined]

    def clean_file(self) -> str | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        name = upload.name or "the file"
        suffix = PurePath(name).suffix.lower()
        if suffix not in ARTICLE_EXTENSIONS:
            raise ValidationError(f"{name} is not a .txt or .html file.")
        if upload.size is not None and upload.size > ARTICLE_MAX_BYTES:
            raise ValidationError(f"{name} is larger than {ARTICLE_MAX_BYTES // 1024} KB.")
        try:
            text = decode_upload(upload.read(), filename=name)
        except UndecodableFile as exc:
            raise ValidationError(str(exc)) from exc
        return html_to_text(text) if suffix in (".html", ".htm") else text

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        pasted, uploaded = cleaned.get("text") or "", cleaned.get("file")
        if "file" in self.errors:
            return cleaned
        if pasted.strip() and uploaded is not None:
            self.add_error("file", "Paste the text or upload a file, not both.")
            return cleaned
        text = normalize_newlines(uploaded if uploaded is not None else pasted)
        if not text.strip():
            self.add_error("text", "Paste the article's text or upload it as a file.")
            return cleaned
        if len(text) > ARTICLE_MAX_CHARS:
            self.add_error(
                "text", f"The text has {len(text):,} characters; the limit is {ARTICLE_MAX_CHARS:,}."
            )
            return cleaned
        cleaned["text"] = text
        cleaned["language"] = cleaned.get("language") or detect_language(text)
        return cleaned


class CandidateForm(_FigureMixin, forms.Form):
    """One candidate claim under review: kept or not, and corrected where extraction got it wrong."""

    include = forms.BooleanField(label="Keep", required=False)
    claimed_by = forms.ModelChoiceField(label="Source", queryset=Source.objects.none(), required=False)
    create_source = forms.BooleanField(label="Add as a new source", required=False)
    new_source = forms.CharField(label="New source's name", required=False, max_length=200)
    source_as_written = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    category = forms.ChoiceField(choices=Category.choices)
    party = forms.CharField(required=False, max_length=100)
    qualifier = forms.ChoiceField(choices=Qualifier.choices)
    low = forms.IntegerField(label="Lowest", required=False, min_value=0, max_value=2_000_000_000)
    high = forms.IntegerField(label="Highest", required=False, min_value=0, max_value=2_000_000_000)
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    sentence_start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    sentence_end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, can_add_source: bool = False, text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_add_source = can_add_source
        self.text = text
        self.fields["claimed_by"].queryset = source_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("include"):
            return cleaned
        creating = self.can_add_source and cleaned.get("create_source")
        if creating and not (cleaned.get("new_source") or "").strip():
            self.add_error("new_source", "Give the new source a name.")
        elif not creating and cleaned.get("claimed_by") is None:
            self.add_error("claimed_by", "Choose the source that states this figure, or untick “Keep”.")
        for first, last in (("start", "end"), ("sentence_start", "sentence_end")):
            a, b = cleaned.get(first), cleaned.get(last)
            if (a is None) != (b is None) or (
                a is not None and b is not None and not a <= b <= len(self.text)
            ):
                raise ValidationError(
                    "This candidate's position in the text is invalid; review the article again."
                )
        self.clean_figure()
        return cleaned

    @property
    def words(self) -> str:
        """The words as written, read back from the text at the candidate's offsets."""
        start, end = self._offsets("start", "end")
        return self.text[start:end] if start is not None and end is not None else ""

    @property
    def evidence(self) -> str:
        start, end = self._offsets("sentence_start", "sentence_end")
        return self.text[start:end] if start is not None and end is not None else ""

    def _offsets(self, first: str, last: str) -> tuple[int | None, int | None]:
        a, b = self[first].value(), self[last].value()
        try:
            a, b = int(a), int(b)
        except (TypeError, ValueError):
            return None, None
        return (a, b) if 0 <= a <= b <= len(self.text) else (None, None)


class BaseCandidateFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("include") for form in self.forms):
            raise ValidationError("Keep at least one claim (tick “Keep”), or add the claims by hand.")


CandidateFormSet = forms.formset_factory(
    CandidateForm,
    formset=BaseCandidateFormSet,
    extra=0,
    max_num=MAX_CANDIDATES,
    validate_max=True,
    absolute_max=MAX_CANDIDATES,
)


class IncidentChoiceForm(forms.Form):
    """Which incident the article's claims belong to: an existing one (by id) or a new one."""

    incident = forms.CharField(
        max_length=12, error_messages={"required": "Choose an incident, or a new one."}
    )

    def clean_incident(self) -> Incident | None:
        value = self.cleaned_data["incident"]
        if value == "new":
            return None
        incident = Incident.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if incident is None:
            raise ValidationError("That incident no longer exists; choose another.")
        return incident
