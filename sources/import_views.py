"""Import pages (upload, dry-run preview, confirm) and the export of the incident list's claims.

An upload is checked by a dry run and shown as a preview; the bytes stay on the server (``staging_dir``)
under a random token that only the uploader's session knows, so that "Confirm import" does not upload the
file again. The confirm runs the import for real, which validates every row again: the data may have
changed since the preview. Everything works without JavaScript.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
import tempfile
import time
from pathlib import Path, PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from incidents.filters import IncidentFilter
from incidents.models import Incident
from sources.exporting import FORMATS, claim_rows, csv_chunks, json_chunks, write_xlsx
from sources.importers import IMPORTERS, Importer, ImportResult, summary
from sources.importers.decoding import max_upload_bytes
from sources.importers.hasila import COLUMNS, HasilaImporter
from sources.jobs import enqueue_import, runs_in_background

STAGED = "imports.staged"  # session key: token -> what was uploaded under it
MAX_STAGED = 5  # uploads a session keeps waiting for confirmation; older ones are dropped
STAGED_MAX_AGE = 24 * 3600  # seconds after which a staged upload is deleted, confirmed or not
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.0f} MB"


# Staging: uploads waiting for confirmation ----------------------------------------------------------------


def staging_dir() -> Path:
    """Where uploads wait for confirmation: ``IMPORT_STAGING_DIR`` if set (a directory all app servers
    share, when there are several), else a private directory under the system's temporary directory."""
    configured = getattr(settings, "IMPORT_STAGING_DIR", "")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "hasila-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _stage(data: bytes) -> str:
    directory = staging_dir()
    cutoff = time.time() - STAGED_MAX_AGE
    for old in directory.glob("*.upload"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (directory / f"{token}.upload").write_bytes(data)
    return token


def _staged_file(token: str) -> Path | None:
    # The token names a file: only tokens we could have made are looked up.
    return staging_dir() / f"{token}.upload" if _TOKEN.match(token) else None


def _unstage(request: HttpRequest, token: str) -> None:
    staged = dict(request.session.get(STAGED, {}))
    staged.pop(token, None)
    request.session[STAGED] = staged
    path = _staged_file(token)
    if path is not None:
        path.unlink(missing_ok=True)


def _remember(request: HttpRequest, token: str, entry: dict[str, Any]) -> None:
    staged = dict(request.session.get(STAGED, {}))
    staged[token] = entry
    while len(staged) > MAX_STAGED:
        oldest = next(iter(staged))
        staged.pop(oldest)
        path = _staged_file(oldest)
        if path is not None:
            path.unlink(missing_ok=True)
    request.session[STAGED] = staged


def _load_staged(request: HttpRequest, token: str) -> tuple[dict[str, Any], bytes] | None:
    """The staged upload under ``token`` if this session made it and it is intact, else None."""
    entry = request.session.get(STAGED, {}).get(token)
    path = _staged_file(token)
    if entry is None or path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return entry, data


class _SizeLimit(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit, instead of storing it all first."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


# Forms ----------------------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    format = forms.ChoiceField(label="Format")
    file = forms.FileField(label="File")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        format_field = self.fields["format"]
        assert isinstance(format_field, forms.ChoiceField)
        format_field.choices = [(key, importer.label) for key, importer in IMPORTERS.items()]
        self.fields["file"].help_text = f"CSV, JSON or XLSX, up to {_megabytes(max_upload_bytes())}."

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        upload, key = cleaned.get("file"), cleaned.get("format")
        if upload is None or key is None:
            return cleaned
        importer = IMPORTERS[key]
        name = upload.name or "upload"
        if PurePath(name).suffix.lower() not in importer.extensions:
            self.add_error(
                "file", f"{name}: the {importer.label} format takes {', '.join(importer.extensions)} files."
            )
        elif upload.size is not None and upload.size > max_upload_bytes():
            self.add_error("file", _too_large(name, upload.size))
        return cleaned


def _too_large(name: str, size: int | None) -> str:
    shown = f"is {size / 1_048_576:.1f} MB" if size else "is too large"
    return (
        f"{name} {shown}; the limit is {_megabytes(max_upload_bytes())}. Split the file and import the parts."
    )


def _importer(key: str, *, create_sources: bool) -> Importer:
    importer = IMPORTERS[key]
    if create_sources and isinstance(importer, HasilaImporter):
        return HasilaImporter(create_missing_sources=True)
    return importer


def _may_create_sources(user: Any) -> bool:
    return bool(user.has_perm("sources.add_source"))


# Pages ----------------------------------------------------------------------------------------------------


def _start_page(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "columns": COLUMNS, "limit": _megabytes(max_upload_bytes())}
    return render(request, "sources/imports/import_start.html", context, status=status)


@require_GET
@login_required
@permission_required("sources.add_report", raise_exception=True)
def import_start(request: HttpRequest) -> HttpResponse:
    """The upload form, and the columns of Hasila's own format."""
    return _start_page(request, UploadForm(initial={"format": "hasila"}))


@require_POST
@login_required
@permission_required("sources.add_report", raise_exception=True)
@csrf_exempt
def import_preview(request: HttpRequest) -> HttpResponse:
    """Check an upload (or a staged one again) with a dry run and show what the import would do."""
    # The size guard must be in place before the body is read, and CSRF checking reads it: the check is
    # made just after, by the csrf_protect'ed view below (Django's documented pattern).
    limit = _SizeLimit(request, max_upload_bytes())
    request.upload_handlers.insert(0, limit)
    return _import_preview(request, limit)


@csrf_protect
def _import_preview(request: HttpRequest, limit: _SizeLimit) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token = request.POST.get("token", "")
    if token:
        loaded = _load_staged(request, token)
        if loaded is None:
            return _expired(request)
        entry, data = loaded
        entry["create_sources"] = request.POST.get("create_sources") == "1" and _may_create_sources(user)
        _remember(request, token, entry)
    else:
        form = UploadForm(request.POST, request.FILES)
        if limit.exceeded:
            form = UploadForm(request.POST)
            form.is_valid()
            form.errors["file"] = form.error_class([_too_large("The file", None)])
            return _start_page(request, form, status=413)
        if not form.is_valid():
            return _start_page(request, form, status=400)
        upload = form.cleaned_data["file"]
        data = upload.read()
        entry = {
            "filename": PurePath(upload.name or "upload").name,
            "format": form.cleaned_data["format"],
            "sha256": hashlib.sha256(data).hexdigest(),
            "create_sources": False,
        }
        token = _stage(data)
        _remember(request, token, entry)
    if entry["format"] not in IMPORTERS:
        return _expired(request)
    importer = _importer(entry["format"], create_sources=entry["create_sources"])
    # The dry run stays inline (about 4,000 rows a second): only the import itself may go to a worker.
    result = importer.run(data, filename=entry["filename"], user=user, dry_run=True)
    entry["rows"] = result.rows
    _remember(request, token, entry)
    return _preview_page(request, token, entry, result)


def _preview_page(
    request: HttpRequest, token: str, entry: dict[str, Any], result: ImportResult, *, status: int = 200
) -> HttpResponse:
    missing: list[str] = list(getattr(result, "missing_sources", []))
    columns = list(result.preview[0]) if result.preview else []
    context = {
        "token": token,
        "entry": entry,
        "result": result,
        "summary": summary(result),
        "missing_sources": missing,
        "offer_sources": bool(missing) and not entry["create_sources"] and _may_create_sources(request.user),
        "preview_columns": columns,
        "preview_rows": [[row.get(name, "") for name in columns] for row in result.preview],
        "background": runs_in_background(entry["format"], result.rows),
    }
    return render(request, "sources/imports/import_preview.html", context, status=status)


def _expired(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sources/imports/problem.html",
        {
            "title": "Upload not found",
            "message": "This upload has expired or has already been imported. Upload the file again.",
        },
        status=400,
    )


@require_POST
@login_required
@permission_required("sources.add_report", raise_exception=True)
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed upload for real; every row is checked again first. Large files, and every GED
    or ACLED file, are handed to a background job instead, and the page of that job is shown."""
    user = request.user
    assert isinstance(user, User)
    token = request.POST.get("token", "")
    loaded = _load_staged(request, token)
    if loaded is None or loaded[0]["format"] not in IMPORTERS:
        return _expired(request)
    entry, data = loaded
    create_sources = entry["create_sources"] and _may_create_sources(user)
    if runs_in_background(entry["format"], entry.get("rows", 0)):
        job = enqueue_import(
            importer_key=entry["format"],
            filename=entry["filename"],
            data=data,
            user=user,
            create_sources=create_sources,
            rows=entry.get("rows", 0),
        )
        _unstage(request, token)
        return redirect(job)
    importer = _importer(entry["format"], create_sources=create_sources)
    result = importer.run(data, filename=entry["filename"], user=user, dry_run=False)
    if not result.ok:
        return _preview_page(request, token, entry, result, status=409)
    _unstage(request, token)
    messages.success(request, f"{entry['filename']} imported. {summary(result)}")
    return redirect("imports:start")


# Export ---------------------------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("incidents.view_claim", raise_exception=True)
def export(request: HttpRequest) -> HttpResponseBase:
    """The incidents the list's filters select, with all their claims, as CSV, JSON or XLSX."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return _problem(request, "Unknown export format", "Choose CSV, JSON or XLSX.")
    filterset = IncidentFilter(request.GET, queryset=Incident.objects.all())
    if not filterset.is_valid():
        return _problem(
            request, "These filters cannot be exported", "Correct the filters on the incident list and retry."
        )
    content_type, extension = FORMATS[fmt]
    filename = f"hasila-claims-{datetime.date.today():%Y-%m-%d}.{extension}"
    rows = claim_rows(filterset.qs)
    if fmt == "xlsx":
        # Written to a temporary file (spilled to disk beyond a few MB), then sent from it.
        target = tempfile.SpooledTemporaryFile(max_size=8 * 1_048_576)  # noqa: SIM115 - FileResponse closes it
        write_xlsx(rows, target)
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=filename, content_type=content_type)
    chunks = csv_chunks(rows) if fmt == "csv" else json_chunks(rows)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _problem(request: HttpRequest, title: str, message: str) -> HttpResponse:
    return render(request, "sources/imports/problem.html", {"title": title, "message": message}, status=400)
