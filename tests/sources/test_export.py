"""Exports of incidents and their claims: the import format, round trips, formula neutralisation."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from incidents.models import Claim, Incident
from incidents.services import create_claim, update_incident
from sources.exporting import claim_rows, csv_chunks, json_chunks, neutralise, write_xlsx
from sources.importers.hasila import COLUMN_NAMES, HasilaImporter
from sources.models import Report, Source
from tests.factories import make_claim, make_incident

pytestmark = pytest.mark.django_db
EXPORT = reverse("imports:export")


def export_json() -> list[dict]:
    return json.loads("".join(json_chunks(claim_rows(Incident.objects.all()))))


def export_csv(incidents=None) -> list[dict]:
    text = "".join(csv_chunks(claim_rows(incidents if incidents is not None else Incident.objects.all())))
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def by_key(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["incident_key"], r["claim_key"]))


@pytest.fixture
def richer(hajin, admin_user):
    """The Hajin data plus what a round trip must keep: a revision, a candidate, evidence offsets, a date
    range, a description, an incident without claims."""
    sohr = hajin["sohr"]
    incident = hajin["incident"]
    update_incident(
        incident=incident,
        user=admin_user,
        date_end=datetime.date(2018, 11, 4),
        description="Strikes on Hajin, al-Susah and al-Shafa.",
        external_id="demo:hajin",
    )
    first = Claim.objects.get(incident=incident, claimed_by=sohr, category="civilians")
    create_claim(
        incident=incident,
        claimed_by=sohr,
        outcome="killed",
        category="civilians",
        low=20,
        high=None,
        qualifier="at_least",
        words="ما لا يقل عن 20 مدنيا",
        evidence="ارتفع عدد القتلى إلى ما لا يقل عن 20 مدنيا",
        evidence_start=3,
        evidence_end=40,
        stated_on=datetime.date(2018, 11, 6),
        note="toll rises",
        external_id="sohr-rev",
    )
    create_claim(
        incident=incident,
        claimed_by=hajin["sana"],
        outcome="injured",
        category="people",
        low=None,
        high=None,
        qualifier="unspecified",
        words="عشرات الجرحى",
        status="candidate",
    )
    make_incident("Unconfirmed report", date=datetime.date(2018, 11, 8), places=[hajin["idlib"]])
    return {**hajin, "first": first}


def test_an_export_has_one_row_per_claim_in_the_import_format(richer):
    rows = export_csv()
    assert list(rows[0]) == list(COLUMN_NAMES)
    assert len(rows) == Claim.objects.count() + 1  # and one row for the incident without claims
    sana = next(r for r in rows if r["source"] == "SANA" and r["category"] == "civilians")
    assert (sana["low"], sana["high"], sana["qualifier"], sana["words"]) == ("15", "15", "exact", "15 مدنيا")
    assert sana["incident_key"] == "demo:hajin"
    assert sana["report_publisher"] == "Al-Alam"
    assert sana["report_text"].startswith("أسفر القصف")
    assert sana["places"] == "Hajin"
    revision = next(r for r in rows if r["claim_key"] == "sohr-rev")
    assert revision["supersedes_key"] == f"hasila:claim:{richer['first'].pk}"
    assert (revision["is_current"], revision["status"]) == ("true", "confirmed")
    empty = next(r for r in rows if r["incident_title"] == "Unconfirmed report")
    assert (empty["claim_key"], empty["source"]) == ("", "")


def stored() -> tuple[list, list, list]:
    """The reports, claims and sources stored, by what they say rather than by their ids."""
    reports = sorted(Report.objects.values_list("publisher__name", "title", "url", "text", "published_on"))
    claims = sorted(
        Claim.objects.values_list(
            "claimed_by__name",
            "outcome",
            "category",
            "party",
            "low",
            "high",
            "qualifier",
            "words",
            "evidence",
            "evidence_start",
            "evidence_end",
            "stated_on",
            "status",
            "is_current",
            "note",
            "report__text",
        ),
        key=repr,
    )
    return reports, claims, sorted(Source.objects.values_list("name", flat=True))


def test_a_json_export_imported_into_an_empty_database_gives_the_same_data_back(richer, admin_user):
    exported = export_json()
    before = stored()

    Claim.objects.update(supersedes=None)
    Claim.objects.all().delete()
    Incident.objects.all().delete()
    Report.objects.all().delete()
    Source.objects.all().delete()

    data = json.dumps(exported, ensure_ascii=False).encode()
    result = HasilaImporter(create_missing_sources=True).run(
        data, filename="export.json", user=admin_user, dry_run=False
    )
    assert result.ok, [str(e) for e in result.errors]
    assert by_key(export_json()) == by_key(exported)
    assert stored() == before
    assert (
        Incident.objects.get(external_id="demo:hajin").description
        == "Strikes on Hajin, al-Susah and al-Shafa."
    )


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_reimporting_an_export_into_the_same_database_changes_nothing(richer, admin_user, fmt):
    rows = claim_rows(Incident.objects.all())
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(rows, buffer)
        data = buffer.getvalue()
    else:
        data = "".join(csv_chunks(rows) if fmt == "csv" else json_chunks(rows)).encode()
    before = (Incident.objects.count(), Claim.objects.count(), Report.objects.count())
    result = HasilaImporter().run(data, filename=f"export.{fmt}", user=admin_user, dry_run=False)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated) == (0, 0)
    assert (Incident.objects.count(), Claim.objects.count(), Report.objects.count()) == before


def test_an_edited_export_updates_the_incidents_it_names_by_id(hajin, admin_user):
    rows = export_json()
    for item in rows:
        if item["incident_title"] == "Shelling of al-Dajaj":
            item["incident_title"] = "Shelling of al-Dajaj and Abu Dali"
    result = HasilaImporter().run(
        json.dumps(rows).encode(), filename="e.json", user=admin_user, dry_run=False
    )
    assert (result.created, result.updated) == (0, 1)
    hajin["quiet"].refresh_from_db()
    assert hajin["quiet"].title == "Shelling of al-Dajaj and Abu Dali"


def test_a_key_naming_an_id_of_another_database_makes_a_new_incident(hajin, admin_user):
    rows = [r for r in export_json() if r["incident_title"] == "Shelling of al-Dajaj"]
    for item in rows:
        item.update(incident_title="Elsewhere", incident_date_start="2015-01-01", claim_key="other-db")
    result = HasilaImporter().run(
        json.dumps(rows).encode(), filename="e.json", user=admin_user, dry_run=False
    )
    assert result.ok, [str(e) for e in result.errors]
    assert result.created == 1
    created = Incident.objects.get(title="Elsewhere")
    assert created.external_id == rows[0]["incident_key"]
    assert created.pk != hajin["quiet"].pk


def test_cells_that_spreadsheets_would_run_as_formulas_are_neutralised_in_csv_and_xlsx(hajin):
    incident = make_incident('=HYPERLINK("http://evil")', date=datetime.date(2018, 12, 1))
    for i, words in enumerate(["+1", "-1", "@SUM(A1)", "\tx", "\rx", "=1+2"]):
        make_claim(
            incident,
            hajin["sana"],
            i,
            category=["people", "civilians", "children", "women", "men", "combatants"][i],
            words=words,
        )
    rows = export_csv(Incident.objects.filter(pk=incident.pk))
    assert rows[0]["incident_title"] == '\'=HYPERLINK("http://evil")'
    assert sorted(r["words"] for r in rows) == sorted(["'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "'=1+2"])

    buffer = io.BytesIO()
    write_xlsx(claim_rows(Incident.objects.filter(pk=incident.pk)), buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    values = [cell.value for row in sheet.iter_rows(min_row=2) for cell in row]
    assert '\'=HYPERLINK("http://evil")' in values
    assert "'=1+2" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)

    exported = json.loads("".join(json_chunks(claim_rows(Incident.objects.filter(pk=incident.pk)))))
    assert exported[0]["incident_title"] == '=HYPERLINK("http://evil")'  # JSON stays exact


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("15 مدنيا") == "15 مدنيا"
    assert neutralise("2018-11-04") == "2018-11-04"
    assert neutralise("-3") == "'-3"


# The export page ------------------------------------------------------------------------------------------


def test_the_export_page_applies_the_list_filters(analyst_client, hajin):
    response = analyst_client.get(EXPORT, {"format": "csv", "category": "security_forces"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="hasila-claims-')
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["incident_title"] for r in rows} == {"Shelling of al-Dajaj"}


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_the_export_page_serves_each_format(analyst_client, hajin, fmt):
    response = analyst_client.get(EXPORT, {"format": fmt})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "xlsx":
        assert content.startswith(b"PK")
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    elif fmt == "json":
        assert len(json.loads(content)) == 6
    else:
        assert content.decode().count("\n") == 7


def test_a_bad_format_or_filter_is_a_clear_400(analyst_client, hajin):
    response = analyst_client.get(EXPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert b"Choose CSV, JSON or XLSX" in response.content
    response = analyst_client.get(EXPORT, {"format": "csv", "date_from": "yesterday"})
    assert response.status_code == 400
    assert b"Correct the filters" in response.content


def test_the_export_takes_the_same_queries_however_many_incidents(
    analyst_client, hajin, django_assert_max_num_queries
):
    for i in range(30):
        incident = make_incident(f"Extra {i}")
        make_claim(incident, hajin["sohr"], i)
    with django_assert_max_num_queries(10):
        response = analyst_client.get(EXPORT, {"format": "csv"})
        content = b"".join(response.streaming_content)
    assert content.decode().count("\n") == 1 + 6 + 30


def test_the_incident_list_links_to_the_export_with_its_filters(analyst_client, hajin):
    response = analyst_client.get("/", {"conflicting": "on"})
    assert b"/imports/export/?conflicting=on&amp;format=csv" in response.content


# The commands ---------------------------------------------------------------------------------------------


def test_export_claims_writes_json_to_standard_output_with_the_list_filters(hajin):
    out = io.StringIO()
    call_command("export_claims", "--format", "json", "--source", "سانا", "--outcome", "killed", stdout=out)
    rows = json.loads(out.getvalue())
    assert {r["incident_title"] for r in rows} == {"Coalition strikes on Hajin", "Shelling of al-Dajaj"}
    out = io.StringIO()
    call_command("export_claims", "--format", "json", "--place", "Deir ez-Zor", stdout=out)
    assert {r["incident_title"] for r in json.loads(out.getvalue())} == {"Coalition strikes on Hajin"}


def test_export_claims_writes_xlsx_to_a_file(hajin, tmp_path):
    target = tmp_path / "claims.xlsx"
    call_command("export_claims", "--format", "xlsx", "--output", str(target))
    assert load_workbook(target).active.max_row == 7
    with pytest.raises(CommandError, match="give a file with --output"):
        call_command("export_claims", "--format", "xlsx")


def test_export_claims_refuses_bad_filters(hajin):
    with pytest.raises(CommandError, match="date_from"):
        call_command("export_claims", "--date-from", "yesterday", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No place 'Atlantis'"):
        call_command("export_claims", "--place", "Atlantis", stdout=io.StringIO())


def test_import_claims_dry_run_then_import(hajin, tmp_path):
    path = tmp_path / "claims.csv"
    call_command("export_claims", "--output", str(path))
    Claim.objects.filter(claimed_by=hajin["sana"]).delete()
    out = io.StringIO()
    call_command("import_claims", str(path), "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Dry run: 6 rows: 2 to create, 0 to update, 4 unchanged."
    assert Claim.objects.filter(claimed_by=hajin["sana"]).count() == 0
    out = io.StringIO()
    call_command("import_claims", str(path), stdout=out)
    assert out.getvalue().strip() == "6 rows: 2 created, 0 updated, 4 unchanged."
    assert Claim.objects.filter(claimed_by=hajin["sana"]).count() == 2


def test_import_claims_lists_the_problems_and_fails(hajin, tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(
        "incident_key,incident_title,incident_date_start,claim_key,source,outcome,category,low\n"
        "x,Strike,2018-11-05,1,Nobody,killed,civilians,5\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 row: .* 1 problem: nothing was written"):
        call_command("import_claims", str(path), stderr=err)
    assert "row 1, column 'source': unknown source 'Nobody'" in err.getvalue()
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_claims", str(tmp_path / "missing.csv"))
