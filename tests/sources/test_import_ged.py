"""UCDP GED events: mapping onto incidents and claims, idempotent re-import, updates, every bad input, command."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Claim, ClaimEvent, Incident
from incidents.services import update_incident
from sources.importers import IMPORTERS, summary
from sources.importers.ged import GedImporter
from sources.models import Source, SourceEvent
from tests.factories import make_place, make_source
from tests.sources.importing import counts, csv_of, messages

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "ged_events.csv"
HEADER = [
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "source_article",
    "source_original",
    "where_prec",
    "where_coordinates",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
]
DEFAULTS = {
    "id": "400001",
    "type_of_violence": "1",
    "side_a": "Government of Syria",
    "side_b": "Syrian insurgents",
    "source_article": "SOHR,2018-11-05,Clashes near Hajin",
    "source_original": "SOHR",
    "where_prec": "1",
    "where_coordinates": "Hajin town",
    "adm_1": "Dayr az Zawr governorate",
    "adm_2": "Abu Kamal district",
    "latitude": "34.6946",
    "longitude": "40.8326",
    "date_prec": "1",
    "date_start": "2018-11-05",
    "date_end": "2018-11-05",
    "deaths_a": "2",
    "deaths_b": "3",
    "deaths_civilians": "1",
    "deaths_unknown": "0",
    "best": "6",
    "high": "9",
    "low": "5",
}


def ged_csv(*rows: dict[str, str], header: list[str] = HEADER) -> bytes:
    return csv_of(header, DEFAULTS, rows)


def run(data: bytes, *, user=None, dry_run=False, filename="ged.csv"):
    return GedImporter().run(data, filename=filename, user=user, dry_run=dry_run)


def fixture_bytes() -> bytes:
    return FIXTURE.read_bytes()


def figures(external_id: str) -> dict[str, str]:
    """The UCDP GED claims of an incident: external id suffix -> category, party and figure."""
    claims = Claim.objects.filter(incident__external_id=external_id, claimed_by__name="UCDP GED")
    return {
        c.external_id.rsplit(":", 1)[1]: f"{c.category} {c.party} {c.figure}".replace("  ", " ")
        for c in claims
    }


# The mapping -----------------------------------------------------------------------------------------------


def test_the_registry_offers_ged_as_an_importer():
    importer = IMPORTERS["ged"]
    assert isinstance(importer, GedImporter)
    assert importer.label == "UCDP GED events (CSV)"
    assert importer.extensions == (".csv",)


def test_a_dry_run_previews_the_events_and_writes_nothing(hajin, analyst):
    before = counts()
    result = run(fixture_bytes(), user=analyst, dry_run=True)
    assert result.ok, messages(result)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert [row["incident"] for row in result.preview] == ["ged:268767", "ged:300001", "ged:300002"]
    assert result.preview[0]["place"] == "Hajin"
    assert result.preview[0]["killed"] == "14–21 (best 14; civilians 14)"
    assert result.preview[0]["notes"] == "Not matched in the gazetteer: Dayr az Zawr governorate"
    assert summary(result) == "Dry run: 3 rows: 3 to create, 0 to update, 0 unchanged."
    assert counts() == before


def test_each_event_becomes_an_incident_placed_in_the_gazetteer(hajin, analyst):
    result = run(fixture_bytes(), user=analyst)
    assert result.ok, messages(result)
    incident = Incident.objects.get(external_id="ged:268767")
    assert incident.title == "Government of United States of America vs IS in Hajin town"
    assert str(incident.date_start) == "2018-11-03"
    assert incident.date_end is None  # one day
    assert incident.date_precision == "day"
    assert incident.type == "other"  # GED says who fought whom, not with what
    assert incident.perpetrator == "Government of United States of America"
    assert incident.created_by == analyst
    assert list(incident.places.all()) == [hajin["hajin_place"]]
    # The names as given stay in the description, with those the gazetteer lacks.
    assert "Location as given: Hajin town; Abu Kamal district; Dayr az Zawr governorate; Syria" in (
        incident.description
    )
    assert "at 34.6946, 40.8326" in incident.description
    assert "Not matched in the gazetteer: Dayr az Zawr governorate." in incident.description
    assert "state-based conflict" in incident.description


def test_a_week_long_one_sided_event_keeps_its_range_and_unknown_village(hajin):
    assert run(fixture_bytes()).ok
    incident = Incident.objects.get(external_id="ged:300002")
    assert (str(incident.date_start), str(incident.date_end), incident.date_precision) == (
        "2018-10-01",
        "2018-10-07",
        "week",
    )
    assert incident.title == "IS against civilians in Al-Susah village"
    # Al-Susah is not in the gazetteer: the incident is placed at the district, the village named in words.
    assert [p.name_en for p in incident.places.all()] == ["Abu Kamal"]
    assert "Not matched in the gazetteer: Dayr az Zawr governorate; Al-Susah village." in incident.description


def test_the_governorate_suffix_is_dropped_when_matching_places(hajin):
    assert run(fixture_bytes()).ok
    assert [p.name_en for p in Incident.objects.get(external_id="ged:300001").places.all()] == ["Idlib"]


def test_low_best_high_and_the_deaths_columns_become_ucdp_claims(hajin):
    assert run(fixture_bytes()).ok
    # Hajin: a range for the total (best in the note), civilians exact; sides with 0 deaths give no claim.
    assert figures("ged:268767") == {"total": "people 14–21", "civilians": "civilians 14"}
    # Idlib: exact total; the government's dead are security forces, the insurgents' combatants.
    assert figures("ged:300001") == {
        "total": "people 6",
        "side_a": "security_forces Government of Syria 4",
        "side_b": "combatants Syrian insurgents 2",
    }
    # One-sided: side B is "Civilians", already counted in deaths_civilians.
    assert figures("ged:300002") == {"total": "people 5–8", "civilians": "civilians 5"}
    total = Claim.objects.get(external_id="ged:268767:total")
    assert total.status == "confirmed"
    assert total.is_current
    assert total.words == "low 14, best 14, high 21"
    assert total.note.startswith("Best estimate 14 (side A 0, side B 0, civilians 14, unknown 0;")
    assert total.incident.summary["killed"]["low"] == 14


def test_source_original_is_kept_as_the_attribution_and_source_article_as_a_report(hajin):
    assert run(fixture_bytes()).ok
    total = Claim.objects.select_related("report__publisher").get(external_id="ged:268767:total")
    assert total.note.endswith("UCDP GED's sources: SOHR;Airwars.")
    assert total.report is not None
    assert total.report.publisher.name == "UCDP GED"
    assert total.report.text == (
        'Airwars,2018-11-03,"CS1822: Hajin, Deir ez-Zor"; SOHR,2018-11-04,"Coalition raids kill 14 civilians in Hajin"'
    )
    assert total.report.language == "en"
    civilians = Claim.objects.get(external_id="ged:268767:civilians")
    assert civilians.report_id == total.report_id
    assert (
        civilians.note == "Part of UCDP GED's best estimate of 14 deaths. UCDP GED's sources: SOHR;Airwars."
    )


def test_ucdp_ged_is_created_as_a_dataset_source_when_missing(hajin):
    assert run(fixture_bytes()).ok
    source = Source.objects.get(name="UCDP GED")
    assert source.kind == "dataset"
    assert source.name_en == "UCDP Georeferenced Event Dataset"


def test_an_existing_ucdp_source_is_used_as_it_is(hajin):
    ucdp = make_source("UCDP", aliases=("UCDP GED",), kind="international", notes="curated by an admin")
    events = SourceEvent.objects.count()
    assert run(fixture_bytes()).ok
    assert set(Claim.objects.filter(external_id__startswith="ged:").values_list("claimed_by", flat=True)) == {
        ucdp.pk
    }
    assert not Source.objects.filter(name="UCDP GED").exists()
    ucdp.refresh_from_db()
    assert ucdp.kind == "international"
    assert SourceEvent.objects.count() == events


def test_an_arabic_place_name_matches_the_gazetteers_arabic_name(hajin):
    result = run(ged_csv({"adm_1": "دير الزور", "adm_2": "", "where_coordinates": "هجين"}))
    assert result.ok, messages(result)
    assert list(Incident.objects.get(external_id="ged:400001").places.all()) == [hajin["hajin_place"]]


def test_a_village_name_is_resolved_within_its_governorate():
    syria = make_place("Syria")
    deir = make_place("Deir ez-Zor", parent=syria, aliases=["Dayr az Zawr"])
    aleppo = make_place("Aleppo", parent=syria)
    east = make_place("Al-Tayana", parent=deir, level=4)
    make_place("Al-Tayana", parent=aleppo, level=4)
    result = run(
        ged_csv({"adm_1": "Dayr az Zawr governorate", "adm_2": "", "where_coordinates": "Al-Tayana village"})
    )
    assert result.ok, messages(result)
    incident = Incident.objects.get(external_id="ged:400001")
    assert list(incident.places.all()) == [east]
    assert "Not matched in the gazetteer" not in incident.description


def test_a_name_the_gazetteer_lacks_is_not_an_error():
    result = run(ged_csv({"adm_1": "Nowhere governorate", "adm_2": "", "where_coordinates": "Nowhere town"}))
    assert result.ok, messages(result)
    incident = Incident.objects.get(external_id="ged:400001")
    assert not incident.places.exists()
    assert "Not matched in the gazetteer: Nowhere governorate; Nowhere town." in incident.description


def test_a_long_coalition_side_is_shortened_to_fit_and_kept_whole_in_the_description(hajin):
    coalition = ", ".join(
        f"Government of {name}"
        for name in (
            "Australia",
            "Belgium",
            "Canada",
            "Denmark",
            "France",
            "Jordan",
            "Netherlands",
            "United Kingdom",
        )
    )
    result = run(ged_csv({"side_a": coalition}))
    assert result.ok, messages(result)
    incident = Incident.objects.get(external_id="ged:400001")
    assert incident.perpetrator == coalition
    side_a = Claim.objects.get(external_id="ged:400001:side_a")
    assert len(side_a.party) == 100
    assert side_a.party.endswith("…")
    assert side_a.category == "security_forces"
    assert f"Side A: {coalition}." in incident.description


# Re-import and updates -------------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_and_records_no_history(hajin, analyst):
    assert run(fixture_bytes(), user=analyst).ok
    before = counts()
    result = run(fixture_bytes(), user=analyst)
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert counts() == before


def test_reimporting_from_the_command_line_changes_nothing_either(hajin, analyst):
    assert run(fixture_bytes(), user=analyst).ok
    before = counts()
    assert run(fixture_bytes(), user=None).ok
    assert counts() == before


def test_a_changed_figure_updates_the_claim_in_place(hajin):
    assert run(ged_csv({})).ok
    claim = Claim.objects.get(external_id="ged:400001:total")
    events = ClaimEvent.objects.count()
    result = run(ged_csv({"high": "12"}))
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    claim.refresh_from_db()
    assert (claim.low, claim.high, claim.qualifier, claim.words) == (5, 12, "range", "low 5, best 6, high 12")
    assert claim.is_current
    assert Claim.objects.filter(external_id__startswith="ged:400001").count() == 4
    assert ClaimEvent.objects.count() == events + 1  # the total only: the parts did not change


def test_a_part_that_drops_to_zero_is_revised_not_left_behind(hajin):
    assert run(ged_csv({})).ok
    result = run(ged_csv({"deaths_civilians": "0", "deaths_unknown": "1"}))
    assert result.ok, messages(result)
    assert Claim.objects.get(external_id="ged:400001:civilians").figure == "0"


def test_a_row_with_a_changed_place_moves_the_incident(hajin):
    assert run(ged_csv({})).ok
    assert run(ged_csv({"where_coordinates": "", "adm_2": "", "adm_1": "Idlib governorate"})).ok
    assert list(Incident.objects.get(external_id="ged:400001").places.all()) == [hajin["idlib"]]


def test_an_analysts_type_correction_survives_a_reimport(hajin, analyst):
    assert run(fixture_bytes(), user=analyst).ok
    incident = Incident.objects.get(external_id="ged:268767")
    update_incident(incident=incident, user=analyst, type="airstrike")
    before = counts()
    assert run(fixture_bytes(), user=analyst).ok
    incident.refresh_from_db()
    assert incident.type == "airstrike"
    assert counts() == before


def test_an_analyst_cannot_change_events_another_analyst_imported(hajin, analyst, make_user):
    assert run(ged_csv({}), user=analyst).ok
    other = make_user("Analyst", username="other")
    before = counts()
    result = run(ged_csv({"high": "12"}), user=other)
    assert messages(result) == [
        "row 1, column 'id': claim 'ged:400001:total' was entered by someone else; only editors can change it"
    ]
    assert counts() == before


def test_a_user_without_import_rights_is_refused(make_user):
    result = run(ged_csv({}), user=make_user(None, username="nobody"))
    assert messages(result) == ["You do not have permission to import events."]
    assert not Incident.objects.exists()


def test_planning_an_import_takes_the_same_queries_for_many_rows(hajin, django_assert_max_num_queries):
    rows = [{"id": str(500000 + n)} for n in range(40)]
    assert run(ged_csv(*rows)).ok
    with django_assert_max_num_queries(8):
        result = run(ged_csv(*rows), dry_run=True)
    assert result.unchanged == 40


# Bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "name"),
    [
        (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), "UTF-8 with a byte-order mark"),
        (lambda text: text.encode("utf-16"), "UTF-16"),
        (lambda text: text.encode("cp1256"), "Windows-1256"),
    ],
)
def test_files_in_other_encodings_import_alike(hajin, encode, name):
    text = ged_csv({"adm_1": "دير الزور", "side_b": "تنظيم الدولة"}).decode()
    result = run(encode(text))
    assert result.ok, (name, messages(result))
    incident = Incident.objects.get(external_id="ged:400001")
    assert incident.title == "Government of Syria vs تنظيم الدولة in Hajin town"
    assert list(incident.places.all()) == [hajin["hajin_place"]]


def test_an_undecodable_file_is_refused_with_a_clear_message():
    result = run(codecs.BOM_UTF16_LE + b"i\x00d\x00\x00\xd8\x41\x00")
    assert messages(result) == ["ged.csv starts like utf-16 text but is not: illegal UTF-16 surrogate"]
    assert not Incident.objects.exists()


def test_a_binary_file_named_csv_is_refused():
    result = run(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), filename="events.csv")
    assert messages(result) == ["events.csv is not a text file (it contains binary data)."]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1024
    result = run(ged_csv(*[{"id": str(600000 + n)} for n in range(30)]))
    assert len(result.errors) == 1
    assert "the limit is" in messages(result)[0]
    assert not Incident.objects.exists()


def test_a_file_that_is_not_csv_is_refused():
    assert messages(run(ged_csv({}), filename="ged.xlsx")) == [
        "ged.xlsx: UCDP GED events are read from .csv files."
    ]


def test_missing_columns_are_listed_in_one_message_and_extra_columns_are_fine():
    header = [name for name in HEADER if name not in ("best", "deaths_unknown")] + ["gwnoa", "priogrid_gid"]
    result = run(ged_csv({}, header=header))
    assert messages(result) == [
        "column 'deaths_unknown, best': required column missing from the header row of UCDP GED events"
    ]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"deaths_a": "two"}, "row 1, column 'deaths_a': 'two' is not a whole number"),
        ({"deaths_b": "-3"}, "row 1, column 'deaths_b': '-3' is negative; figures are 0 or more"),
        ({"high": ""}, "row 1, column 'high': is empty; give a whole number (0 or more)"),
        ({"low": "7"}, "row 1, column 'low': low 7 is above best 6; GED has low <= best <= high"),
        (
            {"high": "4", "low": "3"},
            "row 1, column 'high': high 4 is below best 6; GED has low <= best <= high",
        ),
        (
            {"deaths_unknown": "2"},
            "row 1, column 'best': deaths_a + deaths_b + deaths_civilians + deaths_unknown = 8, not 6",
        ),
        ({"date_start": "5/11/2018"}, "row 1, column 'date_start': '5/11/2018' is not a date (YYYY-MM-DD)"),
        (
            {"date_end": "2018-11-01"},
            "row 1, column 'date_end': 2018-11-01 is before date_start 2018-11-05",
        ),
        ({"date_prec": "9"}, "row 1, column 'date_prec': '9' is not one of: 1, 2, 3, 4, 5"),
        ({"id": "A-12"}, "row 1, column 'id': 'A-12' is not a GED event id (a whole number)"),
        ({"latitude": "north"}, "row 1, column 'latitude': 'north' is not a coordinate between -90 and 90"),
        ({"side_a": ""}, "row 1, column 'side_a': is empty"),
    ],
)
def test_a_bad_cell_is_named_by_row_and_column_and_nothing_is_written(hajin, cells, expected):
    before = counts()
    result = run(ged_csv(cells))
    assert messages(result) == [expected]
    assert counts() == before


def test_every_problem_in_the_file_is_reported_at_once(hajin):
    before = counts()
    result = run(ged_csv({"id": "1"}, {"id": "2", "low": "x"}, {"id": "3"}, {"id": "4", "best": "-1"}))
    assert messages(result) == [
        "row 2, column 'low': 'x' is not a whole number",
        "row 4, column 'best': '-1' is negative; figures are 0 or more",
    ]
    assert result.created == 2  # the valid rows are still previewed
    assert counts() == before


def test_a_duplicate_event_is_an_error_naming_both_rows(hajin):
    result = run(ged_csv({"id": "7"}, {"id": "8"}, {"id": "7"}))
    assert messages(result) == [
        "row 3, column 'id': event '7' appears again (first on row 1); give each event once"
    ]
    assert not Incident.objects.filter(external_id__startswith="ged:").exists()


# The command -----------------------------------------------------------------------------------------------


def test_the_command_imports_a_file_and_says_what_it_did(hajin):
    out = io.StringIO()
    call_command("import_ged", str(FIXTURE), stdout=out)
    assert out.getvalue().strip() == "3 rows: 3 created, 0 updated, 0 unchanged."
    assert Incident.objects.filter(external_id__startswith="ged:").count() == 3
    assert Incident.objects.get(external_id="ged:268767").created_by is None
    out = io.StringIO()
    call_command("import_ged", str(FIXTURE), stdout=out)
    assert out.getvalue().strip() == "3 rows: 0 created, 0 updated, 3 unchanged."


def test_the_command_dry_run_writes_nothing(hajin):
    before = counts()
    out = io.StringIO()
    call_command("import_ged", str(FIXTURE), "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Dry run: 3 rows: 3 to create, 0 to update, 0 unchanged."
    assert counts() == before


def test_the_command_records_the_user_it_is_given(hajin, analyst):
    call_command("import_ged", str(FIXTURE), "--user", "ana", stdout=io.StringIO())
    assert Incident.objects.get(external_id="ged:268767").created_by == analyst
    event = ClaimEvent.objects.filter(external_id="ged:268767:total").get()
    assert event.pgh_context.metadata["command"] == "import_ged"
    assert event.pgh_context.metadata["user"] == analyst.pk


def test_the_command_fails_with_the_problems_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(ged_csv({"low": "x"}))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem: nothing was written"):
        call_command("import_ged", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == "row 1, column 'low': 'x' is not a whole number"
    assert not Incident.objects.exists()


def test_the_command_names_a_file_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_ged", str(tmp_path / "missing.csv"))
