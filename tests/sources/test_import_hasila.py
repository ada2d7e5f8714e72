"""Hasila's own import format: dry run, all-or-nothing commit, idempotent re-import, every bad input."""

from __future__ import annotations

import codecs
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from incidents.models import Claim, ClaimEvent, Incident
from sources.importers import IMPORTERS
from sources.importers.hasila import HasilaImporter
from tests.factories import make_claim, make_incident
from tests.sources.importing import counts, messages

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "incident_key,incident_title,incident_date_start,places,claim_key,source,outcome,category,party,qualifier,low,high,words"
ROW = "test:susah,Strikes on al-Susah,2018-11-05,Hajin,{key},{source},killed,civilians,,{qualifier},{low},{high},{words}"


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def row(key="sana-1", source="SANA", qualifier="", low="20", high="", words="20 مدنيا") -> str:
    return ROW.format(key=key, source=source, qualifier=qualifier, low=low, high=high, words=words)


def run(data: bytes, *, user=None, dry_run=False, filename="claims.csv", create_sources=False):
    importer = HasilaImporter(create_missing_sources=create_sources)
    return importer.run(data, filename=filename, user=user, dry_run=dry_run)


# The format works ------------------------------------------------------------------------------------------


def test_the_registry_offers_hasila_ged_and_acled_formats():
    assert {"hasila", "ged", "acled"} <= set(IMPORTERS)
    for importer in IMPORTERS.values():
        assert importer.label
        assert importer.extensions


def test_a_dry_run_previews_every_row_and_writes_nothing(hajin, analyst):
    before = counts()
    result = run((FIXTURES / "claims.csv").read_bytes(), user=analyst, dry_run=True)
    assert result.ok, messages(result)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert [p["figure"] for p in result.preview] == ["20", "at least 17", "unspecified"]
    assert result.preview[1]["source"] == "SOHR"  # the canonical name, whatever spelling the file used
    assert counts() == before


def test_an_import_stores_incident_claims_and_report_with_the_words_as_written(hajin, analyst):
    result = run((FIXTURES / "claims.csv").read_bytes(), user=analyst)
    assert result.ok, messages(result)
    incident = Incident.objects.get(external_id="test:hajin-2")
    assert incident.title == "Coalition strikes on al-Susah"
    assert incident.type == "airstrike"
    assert incident.created_by == analyst
    assert {p.name_en for p in incident.places.all()} == {"Hajin", "Deir ez-Zor"}
    claims = {c.external_id: c for c in incident.claims.select_related("claimed_by", "report")}
    assert (claims["sana-1"].claimed_by.name, claims["sana-1"].low, claims["sana-1"].high) == ("SANA", 20, 20)
    assert claims["sana-1"].qualifier == "exact"
    assert claims["sohr-1"].claimed_by.name == "SOHR"  # named by its Arabic spelling in the file
    assert (claims["sohr-1"].qualifier, claims["sohr-1"].low, claims["sohr-1"].high) == ("at_least", 17, None)
    assert claims["sohr-1"].words == "ما لا يقل عن 17 مدنيا"
    assert claims["sohr-2"].qualifier == "unspecified"
    assert claims["sohr-2"].party == "ISIS"
    # One report for both rows that carry its text (publisher named in Arabic on one, in English on the other).
    assert claims["sana-1"].report == claims["sohr-1"].report
    report = claims["sana-1"].report
    assert report is not None
    assert report.publisher.name == "Al-Alam"
    assert report.text.startswith("أسفرت الغارات")
    assert report.language == "ar"
    assert report.entered_by == analyst
    assert report.import_batch.startswith("hasila:")
    assert claims["sana-1"].stated_on == report.published_on  # the report's date by default
    assert claims["sana-1"].entered_by == analyst
    incident.refresh_from_db()
    assert incident.source_count == 2


def test_reimporting_the_same_file_changes_nothing_and_writes_no_history(hajin, analyst):
    data = (FIXTURES / "claims.csv").read_bytes()
    run(data, user=analyst)
    before = counts()
    result = run(data, user=analyst)
    assert result.ok
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert counts() == before


def test_a_row_with_an_existing_claim_key_updates_that_claim(hajin, analyst):
    run(csv_of(row()), user=analyst)
    claim = Claim.objects.get(external_id="sana-1")
    events = ClaimEvent.objects.filter(pgh_obj_id=claim.pk).count()
    result = run(csv_of(row(low="22", words="22 مدنيا")), user=analyst)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    claim.refresh_from_db()
    assert (claim.low, claim.high, claim.words) == (22, 22, "22 مدنيا")
    assert Claim.objects.filter(external_id="sana-1").count() == 1
    assert ClaimEvent.objects.filter(pgh_obj_id=claim.pk).count() == events + 1


def test_changed_incident_columns_update_the_incident(hajin, analyst):
    run(csv_of(row()), user=analyst)
    result = run(csv_of(row().replace("Strikes on al-Susah", "Coalition strikes on al-Susah")), user=analyst)
    assert (result.updated, result.unchanged) == (1, 0)
    assert Incident.objects.get(external_id="test:susah").title == "Coalition strikes on al-Susah"


def test_an_analyst_cannot_change_a_claim_entered_by_someone_else_but_an_editor_can(hajin, analyst, editor):
    run(csv_of(row()), user=editor)
    changed = csv_of(row(low="25", words="25"))
    result = run(changed, user=analyst)
    assert any("entered by someone else" in m and "row 1" in m for m in messages(result))
    assert Claim.objects.get(external_id="sana-1").low == 20
    assert run(changed, user=editor).ok
    assert Claim.objects.get(external_id="sana-1").low == 25


def test_a_revision_supersedes_the_earlier_figure(hajin, analyst):
    header = HEADER + ",stated_on,supersedes_key"
    data = csv_of(
        row(key="sohr-a", source="SOHR", low="14", words="14") + ",2018-11-04,",
        row(key="sohr-b", source="SOHR", qualifier="at least", low="20", words="20 على الأقل")
        + ",2018-11-06,sohr-a",
        header=header,
    )
    result = run(data, user=analyst)
    assert result.ok, messages(result)
    first, revised = Claim.objects.get(external_id="sohr-a"), Claim.objects.get(external_id="sohr-b")
    assert revised.supersedes == first
    assert revised.is_current and not first.is_current
    assert run(data, user=analyst).unchanged == 2


def test_a_row_without_claim_columns_describes_the_incident_alone(hajin, analyst):
    result = run(csv_of("test:quiet,Nothing reported yet,2018-11-07,Idlib,,,,,,,,,"), user=analyst)
    assert result.ok, messages(result)
    assert result.created == 1
    incident = Incident.objects.get(external_id="test:quiet")
    assert incident.claims.count() == 0


def test_admins_may_create_the_sources_a_file_names(hajin, admin_user):
    data = csv_of(row(source="Airwars", words="14-21"))
    refused = run(data, user=admin_user)
    assert refused.missing_sources == ["Airwars"]
    result = run(data, user=admin_user, create_sources=True)
    assert result.ok, messages(result)
    assert result.sources_created == 1
    assert Claim.objects.get(external_id="sana-1").claimed_by.name == "Airwars"


def test_json_objects_are_read_by_key_whatever_their_key_order(hajin, analyst):
    rows = [
        {
            "incident_key": "test:susah",
            "incident_title": "Strikes",
            "incident_date_start": "2018-11-05",
            "claim_key": "a",
            "source": "SANA",
            "outcome": "killed",
            "category": "civilians",
            "low": 15,
        },
        {
            "low": 14,
            "category": "civilians",
            "outcome": "killed",
            "source": "SOHR",
            "claim_key": "b",
            "incident_key": "test:susah",
        },
    ]
    result = run(json.dumps(rows).encode(), user=analyst, filename="claims.json")
    assert result.ok, messages(result)
    lows = Claim.objects.filter(incident__external_id="test:susah").values_list("claimed_by__name", "low")
    assert set(lows) == {("SANA", 15), ("SOHR", 14)}


def test_xlsx_is_read_like_csv_with_numbers_and_dates_as_cells(hajin, analyst):
    import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "test:susah",
            "Strikes",
            datetime.datetime(2018, 11, 5),
            "Hajin",
            "sana-1",
            "SANA",
            "Killed",
            "Civilians",
            None,
            "exactly",
            20.0,
            None,
            "20 مدنيا",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(buffer.getvalue(), user=analyst, filename="claims.xlsx")
    assert result.ok, messages(result)
    claim = Claim.objects.get(external_id="sana-1")
    assert (claim.low, claim.high, claim.qualifier, claim.incident.date_start.isoformat()) == (
        20,
        20,
        "exact",
        "2018-11-05",
    )


def test_semicolon_separated_csv_is_read(hajin, analyst):
    data = csv_of(row().replace(",", ";"), header=HEADER.replace(",", ";"))
    assert run(data, user=analyst, dry_run=True).ok


def test_neutralised_formula_cells_get_their_apostrophe_back_off(hajin, analyst):
    run(csv_of(row(words="'=20 قتيلا")), user=analyst)
    assert Claim.objects.get(external_id="sana-1").words == "=20 قتيلا"


# Encodings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its byte-order mark
        lambda text: text.encode("cp1256"),
    ],
    ids=["utf-8 with BOM", "utf-16", "windows-1256"],
)
def test_files_in_other_encodings_are_decoded(hajin, analyst, encode):
    text = csv_of(row(words="20 مدنيا")).decode()
    result = run(encode(text), user=analyst)
    assert result.ok, messages(result)
    assert Claim.objects.get(external_id="sana-1").words == "20 مدنيا"


def test_undecodable_bytes_give_a_clear_error(hajin, analyst):
    result = run(codecs.BOM_UTF8 + b"incident_key,claim_key\n\xff\xfe\xfa,x\n", user=analyst)
    assert messages(result) == ["claims.csv starts like utf-8-sig text but is not: invalid start byte"]


def test_a_binary_file_named_csv_is_refused(hajin, analyst):
    result = run(bytes(range(256)) * 8, user=analyst)
    assert messages(result) == ["claims.csv is not a text file (it contains binary data)."]


def test_a_file_over_the_size_limit_is_refused_with_the_limit(hajin, analyst, settings):
    settings.IMPORT_MAX_BYTES = 2 * 1_048_576
    result = run(csv_of(row()) + b" " * (3 * 1_048_576), user=analyst)
    assert len(result.errors) == 1
    assert "is 3.0 MB; the limit is 2 MB" in messages(result)[0]


def test_a_file_that_is_not_an_xlsx_workbook_is_refused(hajin, analyst):
    result = run(csv_of(row()), user=analyst, filename="claims.xlsx")
    assert "not an Excel workbook" in messages(result)[0]


def test_other_file_types_are_refused(hajin, analyst):
    result = run(csv_of(row()), user=analyst, filename="claims.xls")
    assert "is not a CSV, JSON or XLSX file" in messages(result)[0]


def test_invalid_json_names_the_line(hajin, analyst):
    result = run(b'[{"incident_key": "a",}]', user=analyst, filename="claims.json")
    assert "is not valid JSON" in messages(result)[0]
    assert "line 1" in messages(result)[0]


# Bad rows -------------------------------------------------------------------------------------------------


def test_missing_and_unknown_columns_are_named(hajin, analyst):
    header = HEADER.replace("claim_key", "claim_id")
    result = run(csv_of(row(), header=header), user=analyst)
    assert messages(result) == [
        "column 'claim_key': required column missing from the header row",
        "column 'claim_id': unknown column; correct its name or remove it (see the format)",
    ]


def test_a_row_longer_than_the_header_is_named(hajin, analyst):
    result = run(csv_of(row(), row(key="b") + ",extra"), user=analyst)
    assert len(result.errors) == 1
    assert result.errors[0].row == 2
    assert "more cells than the header row" in result.errors[0].message


def test_non_numeric_and_negative_figures_are_named_by_row_and_column(hajin, analyst):
    result = run(csv_of(row(low="twenty"), row(key="b", low="-3")), user=analyst)
    assert messages(result) == [
        "row 1, column 'low': 'twenty' is not a whole number",
        "row 2, column 'low': '-3' is negative; figures are 0 or more",
    ]


def test_low_above_high_is_an_error(hajin, analyst):
    result = run(csv_of(row(qualifier="range", low="21", high="14")), user=analyst)
    assert messages(result) == ["row 1, column 'low, high': low (21) is greater than high (14)"]


def test_a_qualifier_that_does_not_fit_the_figures_names_the_columns(hajin, analyst):
    result = run(
        csv_of(
            row(qualifier="at least", low="14", high="20"), row(key="b", qualifier="range", low="5", high="5")
        ),
        user=analyst,
    )
    assert messages(result) == [
        "row 1, column 'qualifier, low, high': 'at least' takes a low figure and no high figure",
        "row 2, column 'qualifier, low, high': a range needs low below high; for one figure use qualifier exact",
    ]


def test_unknown_choices_list_the_allowed_values(hajin, analyst):
    result = run(csv_of(row().replace("killed,civilians", "died,civilians")), user=analyst)
    assert messages(result) == [
        "row 1, column 'outcome': 'died' is not one of: injured, killed, killed_or_injured"
    ]


def test_an_unknown_source_or_place_names_the_row_and_value(hajin, analyst):
    result = run(csv_of(row(source="Airwarz"), row(key="b").replace("Hajin", "Atlantis")), user=analyst)
    assert messages(result) == [
        "row 1, column 'source': unknown source 'Airwarz': correct the spelling, or ask an admin to add the "
        "source (or this spelling of its name)",
        "row 2, column 'places': unknown place 'Atlantis'; use a P-code or a name from the gazetteer",
    ]
    assert result.missing_sources == ["Airwarz"]


def test_duplicate_rows_are_named_both(hajin, analyst):
    result = run(csv_of(row(), row(key="other"), row()), user=analyst)
    assert messages(result) == [
        "row 3, column 'claim_key': rows 1 and 3 are the same claim ('sana-1' of 'SANA'); remove one of them"
    ]


def test_rows_of_one_incident_that_disagree_are_named(hajin, analyst):
    result = run(csv_of(row(), row(key="b").replace("2018-11-05", "2018-11-06")), user=analyst)
    assert messages(result) == [
        "row 2, column 'incident_date_start': incident 'test:susah' has 2018-11-05 on row 1 but 2018-11-06 here"
    ]


def test_a_new_incident_needs_a_title_and_a_date(hajin, analyst):
    result = run(csv_of(row().replace("Strikes on al-Susah,2018-11-05", ",")), user=analyst)
    assert messages(result) == [
        "row 1, column 'incident_date_start': is needed for the new incident 'test:susah'",
        "row 1, column 'incident_title': is needed for the new incident 'test:susah'",
    ]


def test_a_bad_date_says_how_to_write_it(hajin, analyst):
    result = run(csv_of(row().replace("2018-11-05", "5/11/2018")), user=analyst)
    assert messages(result) == [
        "row 1, column 'incident_date_start': '5/11/2018' is not a date; write it as YYYY-MM-DD"
    ]


def test_on_any_error_nothing_is_written(hajin, analyst):
    before = counts()
    result = run(csv_of(row(), row(key="b", low="x")), user=analyst)
    assert not result.ok
    assert (result.created, result.preview[1]["action"]) == (1, "error")  # the good row would be created
    assert counts() == before


def test_a_user_without_import_rights_is_refused(hajin, make_user):
    nobody = make_user(None, username="nobody")
    before = counts()
    result = run(csv_of(row()), user=nobody)
    assert messages(result) == ["You do not have permission to import claims."]
    assert counts() == before


def test_a_dry_run_of_200_rows_takes_a_fixed_number_of_queries(hajin, analyst, django_assert_max_num_queries):
    incident = make_incident("Existing", date=None)
    make_claim(incident, hajin["sana"], 3, external_id="old")
    rows = [row(key=f"k{i}", source="SANA" if i % 2 else "SOHR", low=str(i)) for i in range(200)]
    data = csv_of(*rows)
    with django_assert_max_num_queries(12):
        result = run(data, user=analyst, dry_run=True)
    assert result.ok, messages(result)
    assert result.created == 200
