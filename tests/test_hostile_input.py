"""Hostile text through every write path: markup, bidi controls inside Arabic, NUL bytes and 1 MB strings.

Markup and bidi controls are stored exactly as given and rendered inert: escaped, and user text with bidi
controls sits alone inside an element that isolates it (``<bdi>`` or one with ``dir``), so an unterminated
right-to-left override cannot reorder the page around it. PostgreSQL text cannot hold NUL, so a NUL byte is
refused with a message naming the field; a figure that does not fit its field is refused likewise.
"""

from __future__ import annotations

import datetime
import json
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents import services
from incidents.models import Claim, Flag, FlagComment, Incident
from sources.importers.acled import AcledImporter
from sources.models import Report, Source
from sources.services import upsert_source
from tests.incidents.test_entry import claim_data, review_data, step1
from tests.sources.test_import_views import token_of, upload

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Right-to-left override left open, then each isolate (LRI, RLI, FSI) closed by PDI, inside Arabic text.
BIDI = "\u202eقتل 15 مدنيا \u2066SOHR\u2069 \u2067هجين\u2069 \u2068نص\u2069"
HOSTILE = f"{SCRIPT}{IMG} {BIDI}"
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
MEGABYTE = "ب" * 1_048_576


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staged")


class _TextNodes(HTMLParser):
    """Each text node holding a bidi control, with its enclosing element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.found: list[tuple[str, dict[str, str | None], str]] = []

    VOID = frozenset({"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col", "area", "base"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if BIDI_CONTROLS.search(data):
            tag, attrs = self.stack[-1] if self.stack else ("", {})
            self.found.append((tag, attrs, data))


# Elements the browser lays out as a paragraph of their own (the title in the tab or window bar).
OWN_PARAGRAPH = frozenset({"textarea", "option", "title"})


def assert_inert(response, *values: str, composed: tuple[str, ...] = ()) -> str:
    """The page shows the payloads escaped, and bidi text only inside isolating elements of its own.

    ``composed``: the starts of texts that Python code composes around user text (flash messages, row labels,
    history labels) and that are not isolated yet (see KNOWN_COMPOSED); only those may be exposed."""
    html = response.content.decode()
    assert response.status_code < 500
    assert "<script>alert" not in html
    assert not re.search(r"<img[^>]*onerror", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    parser = _TextNodes()
    parser.feed(html)
    assert parser.found, "the bidi text is not on the page"
    exposed = [
        f"<{tag} {attrs}> {data!r}"
        for tag, attrs, data in parser.found
        if tag not in OWN_PARAGRAPH
        and not ((tag == "bdi" or "dir" in attrs) and any(data.strip() in value for value in values))
        and not data.strip().startswith(composed)
    ]
    assert exposed == [], "bidi text not isolated from the page's own text"
    return html


# Labels composed in Python with user text inside UI text: the user text should be wrapped in FSI…PDI
# (U+2068…U+2069) where they are built (incidents/entry_views.py messages, the comparison's row labels and
# consensus rule, incidents/history.py object labels). Listed so that nothing else may slip through.
MESSAGE = "Incident “"
ROW_LABEL = ("Killed · Civilians (", "· Killed · Civilians (")
CONSENSUS_RULE = "low: most conservative figure ("
HISTORY_LABEL = ("2018-11-05 ", "SOHR: killed civilians (")


def raw(model, pk: int, column: str) -> str:
    """The column as PostgreSQL stores it, read without the ORM."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {model._meta.db_table} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


# Incidents and claims through the entry forms --------------------------------------------------------------


def test_an_incident_with_hostile_title_and_description_is_stored_as_given_and_rendered_inert(
    analyst_client, hajin
):
    data = {
        "title": HOSTILE,
        "date_start": "2018-11-05",
        "date_end": "",
        "date_precision": "day",
        "type": "airstrike",
        "perpetrator": HOSTILE,
        "description": f"{HOSTILE}\n{HOSTILE}",
        "places": [hajin["hajin_place"].pk],
    }
    response = analyst_client.post(reverse("entry:incident_create"), data)
    assert response.status_code == 302
    incident = Incident.objects.get(title=HOSTILE)
    assert raw(Incident, incident.pk, "title") == HOSTILE
    assert raw(Incident, incident.pk, "description") == f"{HOSTILE}\n{HOSTILE}"
    values = (HOSTILE, f"{HOSTILE}\n{HOSTILE}")
    assert_inert(analyst_client.get(incident.get_absolute_url()), *values, composed=(MESSAGE,))
    assert_inert(analyst_client.get(reverse("incidents:list")), *values)
    assert_inert(analyst_client.get(reverse("incidents:list"), headers={"HX-Request": "true"}), *values)
    assert_inert(analyst_client.get(reverse("entry:incident_edit", args=[incident.pk])), *values)
    history = analyst_client.get(reverse("analytics:history_incident", args=[incident.pk]))
    assert_inert(history, *values, composed=HISTORY_LABEL)


def test_a_claim_with_hostile_words_evidence_note_and_party_is_stored_as_given_and_rendered_inert(
    analyst_client, hajin
):
    incident = hajin["incident"]
    data = claim_data(
        hajin["sohr"],
        low="15",
        party=f"{SCRIPT[:40]} \u202eداعش",
        words=HOSTILE,
        evidence=HOSTILE,
        note=HOSTILE,
    )
    response = analyst_client.post(reverse("entry:claim_create", args=[incident.pk]), data)
    assert response.status_code == 302
    claim = Claim.objects.get(words=HOSTILE)
    for column in ("words", "evidence", "note"):
        assert raw(Claim, claim.pk, column) == HOSTILE
    assert raw(Claim, claim.pk, "party") == f"{SCRIPT[:40]} \u202eداعش"
    values = (HOSTILE, claim.party)
    assert_inert(analyst_client.get(incident.get_absolute_url()), *values, composed=ROW_LABEL)
    history = analyst_client.get(reverse("analytics:history_claim", args=[claim.pk]))
    assert_inert(history, *values, composed=HISTORY_LABEL)
    assert_inert(analyst_client.get(reverse("entry:claim_edit", args=[claim.pk])), *values)


def test_a_nul_byte_in_a_form_is_refused_next_to_its_field_and_nothing_is_saved(analyst_client, hajin):
    incident = hajin["incident"]
    claims = Claim.objects.count()
    data = claim_data(hajin["sohr"], low="15", words="15\x00 مدنيا", note="a\x00b")
    response = analyst_client.post(reverse("entry:claim_create", args=[incident.pk]), data)
    assert response.status_code == 200
    assert response.content.count(b"Null characters are not allowed.") == 2
    assert Claim.objects.count() == claims


def test_a_megabyte_in_a_short_field_is_refused_and_in_a_text_field_is_stored(analyst_client, hajin):
    data = {
        "title": MEGABYTE,
        "date_start": "2018-11-05",
        "date_precision": "day",
        "type": "airstrike",
        "description": MEGABYTE,
    }
    response = analyst_client.post(reverse("entry:incident_create"), data)
    assert response.status_code == 200
    assert b"Ensure this value has at most 300 characters (it has 1048576)." in response.content
    assert not Incident.objects.filter(date_start=datetime.date(2018, 11, 5)).exists()

    response = analyst_client.post(reverse("entry:incident_create"), {**data, "title": "Long description"})
    assert response.status_code == 302
    incident = Incident.objects.get(title="Long description")
    assert raw(Incident, incident.pk, "description") == MEGABYTE
    assert analyst_client.get(incident.get_absolute_url()).status_code == 200


# Articles ---------------------------------------------------------------------------------------------------

ARTICLE = f"{SCRIPT}\nقالت سانا إن الغارات أسفرت عن استشهاد 16 مدنيا. {IMG}\n{BIDI}"


def test_an_article_with_markup_and_bidi_controls_is_reviewed_and_stored_exactly(analyst_client, hajin):
    response = analyst_client.post(reverse("entry:article_review"), step1(hajin, text=ARTICLE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and not re.search(r"<img[^>]*onerror", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    data = review_data(response)
    assert data["text"] == [ARTICLE]
    response = analyst_client.post(reverse("entry:article_confirm"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get(url="https://example.org/hajin-full")
    assert raw(Report, report.pk, "text") == ARTICLE
    page = analyst_client.get(hajin["incident"].get_absolute_url()).content.decode()
    assert "<script>alert" not in page


def test_an_uploaded_article_with_a_nul_byte_is_explained_not_a_server_error(analyst_client, hajin):
    data = step1(hajin, text="")
    data["file"] = SimpleUploadedFile("a.txt", "استشهاد 16 مدنيا\x00".encode())
    response = analyst_client.post(reverse("entry:article_review"), data)
    assert response.status_code == 200
    assert b"a.txt is not a text file (it contains binary data)." in response.content
    assert not Report.objects.filter(url="https://example.org/hajin-full").exists()


# Sources, flags -------------------------------------------------------------------------------------------


def test_a_hostile_source_name_is_stored_as_given_and_rendered_inert(analyst_client, hajin):
    name = f"{SCRIPT}{IMG[:60]} \u202eمرصد"
    source = upsert_source(name=name, aliases=(name,), kind="monitor", notes=HOSTILE)
    assert raw(Source, source.pk, "name") == name
    assert raw(Source, source.pk, "notes") == HOSTILE
    services.create_claim(
        incident=hajin["incident"],
        claimed_by=source,
        outcome="killed",
        category="civilians",
        qualifier="exact",
        low=3,
        high=3,
    )
    values = (name, HOSTILE)
    assert_inert(analyst_client.get(reverse("sources:list")), *values)
    assert_inert(analyst_client.get(reverse("sources:detail", args=[source.pk])), *values)
    assert_inert(
        analyst_client.get(hajin["incident"].get_absolute_url()), *values, composed=(CONSENSUS_RULE,)
    )
    assert_inert(analyst_client.get(reverse("analytics:matrix")), *values)


def test_hostile_flag_comments_and_resolution_notes_are_stored_as_given_and_rendered_inert(
    editor_client, hajin
):
    flag, _ = Flag.objects.get_or_create(incident=hajin["incident"], outcome="killed", category="civilians")
    response = editor_client.post(reverse("flags:comment", args=[flag.pk]), {"body": HOSTILE})
    assert response.status_code in (200, 302)
    comment = FlagComment.objects.get(flag=flag)
    assert raw(FlagComment, comment.pk, "body") == HOSTILE
    flag.refresh_from_db()
    response = editor_client.post(
        reverse("flags:resolve", args=[flag.pk]), {"low": "14", "note": HOSTILE, "version": flag.version}
    )
    assert response.status_code in (200, 302), response.content.decode()[:3000]
    flag.refresh_from_db()
    assert raw(Flag, flag.pk, "resolution_note") == HOSTILE
    assert_inert(editor_client.get(reverse("flags:detail", args=[flag.pk])), HOSTILE)
    assert_inert(editor_client.get(reverse("analytics:history_flag", args=[flag.pk])), HOSTILE)

    response = editor_client.post(reverse("flags:comment", args=[flag.pk]), {"body": "a\x00b"})
    assert response.status_code == 400
    assert b"Null characters are not allowed." in response.content


# Imports ----------------------------------------------------------------------------------------------------

HEADER = "incident_key,incident_title,incident_date_start,incident_description,places,claim_key,source,outcome,category,qualifier,low,words,evidence"


def csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def hasila_csv(value: str) -> bytes:
    cells = ["test:hostile", csv_cell(value), "2018-11-05", csv_cell(value), "Hajin", "h-1", "SANA"]
    cells += ["killed", "civilians", "exact", "16", csv_cell(value), csv_cell(value)]
    return f"{HEADER}\n{','.join(cells)}\n".encode()


def test_a_hasila_csv_with_hostile_cells_is_previewed_inert_and_imported_exactly(analyst_client, hajin):
    response = upload(analyst_client, hasila_csv(HOSTILE))
    assert response.status_code == 200
    assert_inert(response, HOSTILE)
    response = analyst_client.post(reverse("imports:confirm"), {"token": token_of(analyst_client)})
    assert response.status_code == 302
    incident = Incident.objects.get(external_id="test:hostile")
    assert raw(Incident, incident.pk, "title") == HOSTILE
    assert raw(Incident, incident.pk, "description") == HOSTILE
    claim = incident.claims.get()
    assert raw(Claim, claim.pk, "words") == HOSTILE
    assert_inert(analyst_client.get(incident.get_absolute_url()), HOSTILE)


def test_a_hasila_csv_with_a_nul_byte_is_refused_with_a_message_not_a_server_error(analyst_client, hajin):
    response = upload(analyst_client, hasila_csv("Strike\x00 on Susah"))
    assert response.status_code == 200
    assert b"claims.csv is not a text file (it contains binary data)." in response.content
    assert b"Confirm import" not in response.content


def test_a_nul_escaped_in_a_json_import_is_refused_at_confirm_and_nothing_is_written(analyst_client, hajin):
    """JSON can spell NUL as an escape, which passes the binary-file check. The dry run does not catch it yet
    (it writes nothing to PostgreSQL); the real run is refused as a whole with PostgreSQL's reason."""
    rows = [
        {
            "incident_key": "test:nul",
            "incident_title": "Strike\x00 on Susah",
            "incident_date_start": "2018-11-05",
            "places": "Hajin",
            "claim_key": "n-1",
            "source": "SANA",
            "outcome": "killed",
            "category": "civilians",
            "low": "3",
        }
    ]
    upload(analyst_client, json.dumps(rows).encode(), name="claims.json")
    response = analyst_client.post(reverse("imports:confirm"), {"token": token_of(analyst_client)})
    assert response.status_code == 409
    assert b"cannot contain NUL (0x00) bytes" in response.content
    assert not Incident.objects.filter(external_id="test:nul").exists()


ACLED_HEADER = "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"


def acled_csv(notes: str) -> bytes:
    row = (
        "SYR99001,05 November 2018,2018,1,Political violence,Explosions/Remote violence,Air/drone strike,"
        "Military Forces of the United States (2017-2021),,8,Civilians (Syria),,7,78,Civilian targeting,760,"
        f"Middle East,Syria,Deir ez Zor,Abu Kamal,Hajin,Hajin,34.6946,40.8326,1,SOHR,National,{csv_cell(notes)},"
        "12,,1543357210"
    )
    return f"{ACLED_HEADER}\n{row}\n".encode()


def test_an_acled_notes_cell_with_markup_and_bidi_is_stored_exactly_and_rendered_inert(
    analyst_client, analyst, hajin
):
    notes = f"According to SOHR, 12 civilians were killed. {HOSTILE}"
    response = upload(analyst_client, acled_csv(notes), name="acled.csv", fmt="acled")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    # The confirmed ACLED import runs in a background worker; the worker runs this importer.
    result = AcledImporter().run(acled_csv(notes), filename="acled.csv", user=analyst, dry_run=False)
    assert not result.errors
    report = Report.objects.get(text=notes)
    assert raw(Report, report.pk, "text") == notes
    incident = Incident.objects.get(external_id__contains="SYR99001")
    # The description is the notes followed by the event's codes, all of it imported text.
    assert_inert(analyst_client.get(incident.get_absolute_url()), notes, incident.description)
