"""ACLED events: mapping, fatalities as an 'at least' claim, candidates from the notes (once), bad input, command."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Claim, Incident
from incidents.services import confirm_claim
from sources.importers import IMPORTERS, summary
from sources.importers.acled import AcledImporter, incident_type
from sources.models import Report, SourceEvent
from tests.sources.importing import counts, csv_of, messages

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "acled_events.csv"
HEADER = [
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
]
NOTES = "On 5 November 2018, coalition aircraft struck Hajin. According to SOHR, 7 civilians were killed."
DEFAULTS = {
    "event_id_cnty": "SYR46001",
    "event_date": "2018-11-05",
    "time_precision": "1",
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Air/drone strike",
    "actor1": "Military Forces of the United States (2017-2021)",
    "actor2": "Civilians (Syria)",
    "admin1": "Deir ez Zor",
    "admin2": "Abu Kamal",
    "admin3": "Hajin",
    "location": "Hajin",
    "latitude": "34.6946",
    "longitude": "40.8326",
    "geo_precision": "1",
    "source": "SOHR",
    "source_scale": "National",
    "notes": NOTES,
    "fatalities": "7",
}


def acled_csv(*rows: dict[str, str], header: list[str] = HEADER) -> bytes:
    return csv_of(header, DEFAULTS, rows)


def run(data: bytes, *, user=None, dry_run=False, filename="acled.csv"):
    return AcledImporter().run(data, filename=filename, user=user, dry_run=dry_run)


def fixture_bytes() -> bytes:
    return FIXTURE.read_bytes()


def candidates(external_id: str) -> list[tuple[str, str, str, str]]:
    claims = Claim.objects.filter(incident__external_id=external_id, status="candidate").order_by(
        "external_id"
    )
    return [(c.external_id, c.claimed_by.name, c.category, c.figure) for c in claims]


# The mapping -----------------------------------------------------------------------------------------------


def test_the_registry_offers_acled_as_an_importer():
    importer = IMPORTERS["acled"]
    assert isinstance(importer, AcledImporter)
    assert importer.label == "ACLED events (CSV)"
    assert importer.extensions == (".csv",)


@pytest.mark.parametrize(
    ("event_type", "sub_event_type", "expected"),
    [
        ("Explosions/Remote violence", "Air/drone strike", "airstrike"),
        ("Explosions/Remote violence", "Shelling/artillery/missile attack", "shelling"),
        ("Battles", "Armed clash", "ground_clash"),
        ("Battles", "Government regains territory", "ground_clash"),
        ("Explosions/Remote violence", "Remote explosive/landmine/IED", "explosive_device"),
        ("Explosions/Remote violence", "Suicide bomb", "explosive_device"),
        ("Violence against civilians", "Attack", "execution"),
        ("Violence against civilians", "Abduction/forced disappearance", "other"),
        ("Protests", "Peaceful protest", "other"),
    ],
)
def test_acled_event_types_map_onto_incident_types(event_type, sub_event_type, expected):
    assert incident_type(event_type, sub_event_type) == expected


def test_a_dry_run_previews_events_and_candidates_and_writes_nothing(hajin, analyst):
    before = counts()
    result = run(fixture_bytes(), user=analyst, dry_run=True)
    assert result.ok, messages(result)
    assert (result.rows, result.created, result.updated, result.unchanged, result.candidates) == (
        4,
        4,
        0,
        0,
        3,
    )
    first = result.preview[0]
    assert (first["incident"], first["place"], first["killed"]) == ("acled:SYR45001", "Hajin", "at least 12")
    assert first["candidates"] == "SOHR: 12 civilians; SOHR: 4 children; SANA: 15 civilians"
    # Figures from sources the database does not know are named, not stored.
    assert result.preview[1]["notes"] == (
        "Not matched in the gazetteer: Maarrat An Nu'man; Al-Dajaj; "
        "Left out: '4 soldiers' (unknown source 'The Russian reconciliation centre'); "
        "Left out: 'one' (unknown source 'The Russian reconciliation centre')"
    )
    assert summary(result) == (
        "Dry run: 4 rows: 4 to create, 0 to update, 0 unchanged; 3 candidate claims for review."
    )
    assert counts() == before


def test_each_event_becomes_an_incident_with_its_type_place_and_notes(hajin, analyst):
    result = run(fixture_bytes(), user=analyst)
    assert result.ok, messages(result)
    incident = Incident.objects.get(external_id="acled:SYR45001")
    assert incident.title == "Air/drone strike in Hajin"
    assert (str(incident.date_start), incident.date_end, incident.date_precision) == (
        "2018-11-03",
        None,
        "day",
    )
    assert incident.type == "airstrike"
    assert incident.perpetrator == "Military Forces of the United States (2017-2021)"
    assert incident.created_by == analyst
    assert list(incident.places.all()) == [hajin["hajin_place"]]
    assert incident.description.startswith(
        "On 3 November 2018, international coalition aircraft struck Hajin"
    )
    assert "ACLED event SYR45001: Explosions/Remote violence — Air/drone strike." in incident.description
    assert "ACLED's sources: SOHR; SANA (National)." in incident.description

    month = Incident.objects.get(external_id="acled:SYR45003")
    assert (month.type, month.date_precision) == ("execution", "month")
    assert "Not matched in the gazetteer: Al-Susah." in month.description
    assert [p.name_en for p in month.places.all()] == ["Hajin"]
    assert Incident.objects.get(external_id="acled:SYR45004").type == "ground_clash"


def test_fatalities_become_acleds_claim_as_at_least(hajin):
    assert run(fixture_bytes()).ok
    claim = Claim.objects.select_related("claimed_by", "report").get(external_id="acled:SYR45001:fatalities")
    assert claim.claimed_by.name == "ACLED"
    assert claim.claimed_by.kind == "dataset"
    assert (claim.outcome, claim.category, claim.figure, claim.status) == (
        "killed",
        "people",
        "at least 12",
        "confirmed",
    )
    assert claim.is_current
    assert claim.note == (
        "ACLED codes the most conservative figure its sources report: a floor, recorded as 'at least'. "
        "ACLED's sources: SOHR; SANA (National)."
    )
    assert claim.report is not None
    assert claim.report.text.startswith("On 3 November 2018")


def test_an_event_without_fatalities_has_no_claim(hajin):
    assert run(fixture_bytes()).ok
    assert not Claim.objects.filter(incident__external_id="acled:SYR45004").exists()


def test_the_notes_are_kept_exactly_as_a_report_published_by_acled(hajin):
    assert run(fixture_bytes()).ok
    report = Report.objects.select_related("publisher").get(title="ACLED event SYR45001: notes")
    assert report.publisher.name == "ACLED"
    assert report.language == "en"
    assert report.text == next(csv.DictReader(io.StringIO(FIXTURE.read_text())))["notes"]


def test_figures_quoted_in_the_notes_become_candidate_claims_of_their_sources(hajin):
    result = run(fixture_bytes())
    assert result.ok, messages(result)
    assert result.candidates == 3
    assert candidates("acled:SYR45001") == [
        ("acled:SYR45001:notes:0", "SOHR", "civilians", "12"),
        ("acled:SYR45001:notes:1", "SOHR", "children", "4"),
        ("acled:SYR45001:notes:2", "SANA", "civilians", "15"),
    ]
    sana = Claim.objects.select_related("report").get(external_id="acled:SYR45001:notes:2")
    assert not sana.is_current  # for review: not in the comparison until an analyst confirms it
    assert sana.words == "15 civilians"
    assert sana.evidence == "SANA said 15 civilians were killed in the raids."
    assert sana.report is not None
    assert sana.report.text[sana.evidence_start : sana.evidence_end] == sana.evidence
    assert sana.note.startswith("Found in ACLED's notes on event SYR45001, attributed there to SANA;")
    # Unattributed figures and unknown sources are left out.
    assert candidates("acled:SYR45002") == []
    assert candidates("acled:SYR45003") == []


def test_a_candidate_is_confirmed_into_the_comparison(hajin, analyst):
    assert run(fixture_bytes(), user=analyst).ok
    claim = Claim.objects.get(external_id="acled:SYR45001:notes:2")
    confirm_claim(claim=claim, user=analyst)
    assert Claim.objects.get(pk=claim.pk).is_current


# Re-import and updates -------------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_and_creates_no_candidate_twice(hajin, analyst):
    assert run(fixture_bytes(), user=analyst).ok
    before = counts()
    result = run(fixture_bytes(), user=analyst)
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged, result.candidates) == (0, 0, 4, 0)
    assert counts() == before
    assert Claim.objects.filter(status="candidate").count() == 3


def test_a_changed_fatality_figure_updates_acleds_claim(hajin):
    assert run(acled_csv({})).ok
    claim = Claim.objects.get(external_id="acled:SYR46001:fatalities")
    result = run(acled_csv({"fatalities": "9"}))
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    claim.refresh_from_db()
    assert (claim.figure, claim.words) == ("at least 9", "fatalities 9")
    assert Claim.objects.filter(external_id__startswith="acled:SYR46001").count() == 2


def test_fatalities_revised_to_zero_revise_the_claim(hajin):
    assert run(acled_csv({})).ok
    assert run(acled_csv({"fatalities": "0"})).ok
    assert Claim.objects.get(external_id="acled:SYR46001:fatalities").figure == "at least 0"


def test_changed_notes_update_the_candidates_but_not_one_an_analyst_confirmed(hajin, analyst):
    notes = NOTES + " SANA said 9 civilians were killed."
    assert run(acled_csv({"notes": notes}), user=analyst).ok
    confirm_claim(claim=Claim.objects.get(external_id="acled:SYR46001:notes:0"), user=analyst)
    changed = notes.replace("7 civilians", "8 civilians").replace("9 civilians", "10 civilians")
    result = run(acled_csv({"notes": changed}), user=analyst)
    assert result.ok, messages(result)
    assert result.updated == 1
    assert result.candidates == 0
    assert candidates("acled:SYR46001") == [("acled:SYR46001:notes:1", "SANA", "civilians", "10")]
    kept = Claim.objects.get(external_id="acled:SYR46001:notes:0")
    assert (kept.status, kept.figure) == ("confirmed", "7")
    # The new notes are a new report; ACLED's claim and the candidate now point to it.
    report = Report.objects.get(text=changed)
    assert Claim.objects.get(external_id="acled:SYR46001:fatalities").report == report
    assert Claim.objects.get(external_id="acled:SYR46001:notes:1").report == report


def test_an_existing_acled_source_is_used_as_it_is(hajin):
    from tests.factories import make_source

    acled = make_source("ACLED", kind="dataset", notes="curated")
    events = SourceEvent.objects.count()
    assert run(fixture_bytes()).ok
    assert Claim.objects.get(external_id="acled:SYR45001:fatalities").claimed_by == acled
    assert SourceEvent.objects.count() == events


def test_planning_an_import_takes_the_same_queries_for_many_rows(hajin, django_assert_max_num_queries):
    rows = [{"event_id_cnty": f"SYR47{n:03d}"} for n in range(30)]
    assert run(acled_csv(*rows)).ok
    with django_assert_max_num_queries(10):
        result = run(acled_csv(*rows), dry_run=True)
    assert result.unchanged == 30


# Bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("cp1256"),
    ],
    ids=["utf-8-bom", "utf-16", "windows-1256"],
)
def test_files_in_other_encodings_import_alike(hajin, encode):
    notes = "قال المرصد السوري لحقوق الإنسان إن 7 مدنيين قتلوا في هجين."
    result = run(encode(acled_csv({"notes": notes, "admin1": "دير الزور"}).decode()))
    assert result.ok, messages(result)
    assert Report.objects.get(text=notes).language == "ar"
    assert candidates("acled:SYR46001") == [("acled:SYR46001:notes:0", "SOHR", "civilians", "7")]
    assert list(Incident.objects.get(external_id="acled:SYR46001").places.all()) == [hajin["hajin_place"]]


def test_an_undecodable_file_is_refused_with_a_clear_message():
    result = run(codecs.BOM_UTF16_BE + b"\x00e\xdc\x00")
    assert messages(result) == ["acled.csv starts like utf-16 text but is not: illegal encoding"]


def test_a_binary_file_named_csv_is_refused():
    assert messages(run(bytes(range(256)) * 4)) == ["acled.csv is not a text file (it contains binary data)."]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 512
    result = run(acled_csv({}, {"event_id_cnty": "SYR46002"}, {"event_id_cnty": "SYR46003"}))
    assert len(result.errors) == 1
    assert "Split the file and import the parts." in messages(result)[0]
    assert not Incident.objects.exists()


def test_missing_columns_are_listed_in_one_message():
    header = [name for name in HEADER if name not in ("fatalities", "actor1")]
    assert messages(run(acled_csv({}, header=header))) == [
        "column 'actor1, fatalities': required column missing from the header row of ACLED events"
    ]


def test_a_header_only_file_is_refused():
    assert messages(run(",".join(HEADER).encode())) == ["acled.csv has a header row but no data rows."]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"fatalities": "a dozen"}, "row 1, column 'fatalities': 'a dozen' is not a whole number"),
        ({"fatalities": "-2"}, "row 1, column 'fatalities': '-2' is negative; figures are 0 or more"),
        ({"fatalities": "3.5"}, "row 1, column 'fatalities': '3.5' is not a whole number"),
        (
            {"event_date": "November 2018"},
            "row 1, column 'event_date': 'November 2018' is not a date (YYYY-MM-DD)",
        ),
        ({"time_precision": "4"}, "row 1, column 'time_precision': '4' is not one of: 1, 2, 3"),
        ({"event_id_cnty": ""}, "row 1, column 'event_id_cnty': is empty"),
        ({"longitude": "200"}, "row 1, column 'longitude': '200' is not a coordinate between -180 and 180"),
    ],
)
def test_a_bad_cell_is_named_by_row_and_column_and_nothing_is_written(hajin, cells, expected):
    before = counts()
    assert messages(run(acled_csv(cells))) == [expected]
    assert counts() == before


def test_dates_as_older_exports_write_them_are_read():
    assert run(acled_csv({"event_date": "05-November-2018"})).ok
    assert str(Incident.objects.get(external_id="acled:SYR46001").date_start) == "2018-11-05"


def test_a_duplicate_event_is_an_error_and_nothing_is_written(hajin):
    before = counts()
    result = run(acled_csv({}, {"event_id_cnty": "SYR46002"}, {}))
    assert messages(result) == [
        "row 3, column 'event_id_cnty': event 'SYR46001' appears again (first on row 1); give each event once"
    ]
    assert counts() == before


# The command -----------------------------------------------------------------------------------------------


def test_the_command_imports_a_file_and_says_what_it_did(hajin):
    out = io.StringIO()
    call_command("import_acled", str(FIXTURE), stdout=out)
    assert (
        out.getvalue().strip() == "4 rows: 4 created, 0 updated, 0 unchanged; 3 candidate claims for review."
    )
    out = io.StringIO()
    call_command("import_acled", str(FIXTURE), stdout=out)
    assert out.getvalue().strip() == "4 rows: 0 created, 0 updated, 4 unchanged."


def test_the_command_dry_run_writes_nothing(hajin):
    before = counts()
    out = io.StringIO()
    call_command("import_acled", str(FIXTURE), "--dry-run", stdout=out)
    assert out.getvalue().startswith("Dry run: 4 rows: 4 to create")
    assert counts() == before


def test_the_command_fails_with_the_problems_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(acled_csv({"fatalities": "-1"}, {"event_id_cnty": "SYR46002", "event_date": "soon"}))
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problems: nothing was written"):
        call_command("import_acled", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "row 1, column 'fatalities': '-1' is negative; figures are 0 or more",
        "row 2, column 'event_date': 'soon' is not a date (YYYY-MM-DD)",
    ]
    assert not Incident.objects.exists()


def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user called 'ghost'"):
        call_command("import_acled", str(FIXTURE), "--user", "ghost")
