"""Loading the gazetteer from OCHA COD-AB tables and Open-Syria JSON: hierarchy, names, idempotence, errors."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from incidents.gazetteer import PlaceRecord, merge_records, parse_cod_csv, plan_changes
from incidents.models import Place, PlaceEvent, PlaceLevel
from incidents.services import place_subtree

FIXTURES = Path(__file__).parent / "fixtures" / "gazetteer"
ADM3 = FIXTURES / "ocha" / "syr_admbnda_adm3_sample.csv"
PPLP = FIXTURES / "ocha" / "syr_pplp_adm4_sample.csv"
INTENSITY = FIXTURES / "ocha" / "IntensityAoC_ADM4_sample.csv"
OPEN_SYRIA = FIXTURES / "opensyria"

ADM4_HEADER = "ADM4_EN,ADM4_PCODE,ADM3_EN,ADM3_PCODE,ADM2_EN,ADM2_PCODE,ADM1_EN,ADM1_PCODE,ADM0_EN,ADM0_PCODE"


def load(*paths: Path | str, dry_run: bool = False) -> str:
    out = StringIO()
    call_command("load_gazetteer", *map(str, paths), *(["--dry-run"] if dry_run else []), stdout=out)
    return out.getvalue()


def place(pcode: str) -> Place:
    return Place.objects.get(pcode=pcode)


def ancestors(pcode: str) -> list[str | None]:
    node: Place | None = place(pcode)
    chain: list[str | None] = []
    while node is not None:
        chain.append(node.pcode)
        node = node.parent
    return chain


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# Hierarchy ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_ocha_adm3_table_builds_country_governorate_district_and_subdistrict():
    out = load(ADM3)

    assert ancestors("SY090201") == ["SY090201", "SY0902", "SY09", "SY"]
    assert [place(p).level for p in ("SY090201", "SY0902", "SY09", "SY")] == [3, 2, 1, 0]
    assert place("SY").name_en == "Syrian Arab Republic"
    assert ancestors("SY070204")[2] == "SY07"
    assert place("SY07").name_en == "Idleb"
    assert "9 created, 0 updated, 0 unchanged" in out


@pytest.mark.django_db
def test_a_community_from_populated_places_sits_in_its_governorates_subtree():
    load(ADM3, PPLP)

    hajin = place("C5175")
    assert hajin.level == PlaceLevel.COMMUNITY
    assert ancestors("C5175") == ["C5175", "SY090201", "SY0902", "SY09", "SY"]
    assert hajin.path == f"{place('SY090201').path}{hajin.pk}/"
    assert place_subtree(place("SY09")).filter(pk=hajin.pk).exists()
    assert not place_subtree(place("SY07")).filter(pk=hajin.pk).exists()


@pytest.mark.django_db
def test_coordinates_are_kept_to_six_decimals():
    load(PPLP)

    hajin = place("C5175")
    assert (hajin.latitude, hajin.longitude) == (Decimal("34.686890"), Decimal("40.839294"))
    assert place("SY090201").latitude is None  # an ancestor's columns carry no coordinates


@pytest.mark.django_db
def test_arabic_names_are_stored_exactly_as_given():
    load(ADM3)

    assert place("SY090200").name_ar == "مركز البوكمال"
    assert place("SY0902").name_ar == "البوكمال"
    assert place("SY").name_ar == "الجمهورية العربية السورية"


@pytest.mark.django_db
def test_alternative_name_columns_become_aliases_without_duplicates():
    load(ADM3, PPLP)

    # ADM3ALT1EN and ADM3ALT2AR; "HAJIN" and ALT1AR "هجين" repeat the name and are dropped.
    assert place("SY090201").aliases == ["Hajeen", "ناحية هجين"]
    assert place("SY090203").aliases == ["Susah"]  # ADM3_REF
    assert place("C5186").aliases == ["Al Susa"]  # PP_ALT1_EN
    assert place("C5183").aliases == ["Shaafa"]  # PP_REF_NAM


@pytest.mark.django_db
def test_a_populated_place_with_its_communitys_pcode_is_one_place_named_as_the_community():
    load(PPLP, INTENSITY)

    bahra = place("C6526")
    assert (bahra.name_en, bahra.aliases) == ("Bahra", ["Bahra (Hajin)"])
    # Two communities called Abu Dali, told apart by their parents.
    parents = Place.objects.filter(children__name_en="Abu Dali").order_by("name_en")
    assert [p.name_en for p in parents] == ["Oqeirbat", "Tamanaah"]
    assert Place.objects.filter(pcode__in=["C3316", "C4093"], level=PlaceLevel.COMMUNITY).count() == 2


@pytest.mark.django_db
def test_open_syria_files_build_the_hierarchy_with_their_aliases_and_centroids():
    out = load(OPEN_SYRIA)

    assert ancestors("SY090201") == ["SY090201", "SY0902", "SY09", "SY"]
    deir = place("SY09")
    assert (deir.name_en, deir.name_ar) == ("Deir ez-Zor", "دير الزور")
    assert deir.aliases == ["Deir-ez-Zor", "Dayr az-Zawr", "محافظة دير الزور"]
    assert (deir.latitude, deir.longitude) == (Decimal("35.166670"), Decimal("40.283330"))
    assert (place("SY").name_en, place("SY").name_ar) == ("Syria", "سوريا")
    assert "Skipped" in out and "sources.json" in out  # a source list is not gazetteer data


@pytest.mark.django_db
def test_a_later_file_renames_a_place_and_keeps_the_replaced_name_as_an_alias():
    load(FIXTURES)  # the OCHA tables first, then Open-Syria (folders are read in name order)

    deir = place("SY09")
    assert deir.name_en == "Deir ez-Zor"
    assert "Deir-ez-Zor" in deir.aliases
    # An ancestor implied by a row never renames: the country keeps the name its first file gave.
    assert place("SY").name_en == "Syrian Arab Republic"
    assert "Syria" in place("SY").aliases


@pytest.mark.django_db
def test_a_district_file_alone_finds_its_governorate_by_pcode_among_stored_places():
    load(OPEN_SYRIA / "governorates.json")
    load(OPEN_SYRIA / "districts.json")

    assert place("SY0902").parent == place("SY09")


# Idempotence and updates ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_twice_changes_nothing_and_records_no_history():
    load(FIXTURES)
    count, events = Place.objects.count(), PlaceEvent.objects.count()

    out = load(FIXTURES)

    assert "0 created, 0 updated" in out
    assert f"{count} unchanged" in out
    assert (Place.objects.count(), PlaceEvent.objects.count()) == (count, events)


@pytest.mark.django_db
def test_each_new_place_is_written_once():
    load(ADM3)

    assert PlaceEvent.objects.count() == Place.objects.count()
    assert set(PlaceEvent.objects.values_list("pgh_label", flat=True)) == {"insert"}
    assert PlaceEvent.objects.first().pgh_context.metadata == {"command": "load_gazetteer"}


@pytest.mark.django_db
def test_a_renamed_place_is_updated_and_nothing_else_is_written(tmp_path):
    load(ADM3)
    events = PlaceEvent.objects.count()
    renamed = ADM3.read_text(encoding="utf-8").replace("Tamanaah,التمانعة", "At-Tamanah,التمانعة الجديدة")

    out = load(write(tmp_path, "adm3.csv", renamed))

    tamanaah = place("SY070204")
    assert (tamanaah.name_en, tamanaah.name_ar) == ("At-Tamanah", "التمانعة الجديدة")
    assert tamanaah.aliases == ["Tamanaah", "التمانعة"]
    assert "at tamanah" in tamanaah.search_key  # the search key follows the new name
    assert "0 created, 1 updated, 8 unchanged" in out
    assert PlaceEvent.objects.count() == events + 1


@pytest.mark.django_db
def test_a_place_moved_to_another_parent_takes_its_subtree_along(tmp_path):
    load(ADM3, PPLP)
    moved = ADM3.read_text(encoding="utf-8").replace(
        "Abu Kamal,البوكمال,SY0902,Deir-ez-Zor,دير الزور,SY09,Syrian Arab Republic,الجمهورية العربية السورية,SY,2017-06-01,2020-12-17,1899-11-30\n1.2",
        "Al Ma'ra,معرة النعمان,SY0702,Idleb,إدلب,SY07,Syrian Arab Republic,الجمهورية العربية السورية,SY,2017-06-01,2020-12-17,1899-11-30\n1.2",
    )

    out = load(write(tmp_path, "adm3.csv", moved))

    assert ancestors("C5175") == ["C5175", "SY090201", "SY0702", "SY07", "SY"]
    for pcode in ("SY090201", "C5175", "C6526"):
        node = place(pcode)
        assert node.path == f"{Place.objects.get(children=node).path}{node.pk}/"
    assert place_subtree(place("SY07")).filter(pcode="C6526").exists()
    assert not place_subtree(place("SY09")).filter(pcode="C5175").exists()
    assert "1 updated" in out


@pytest.mark.django_db
def test_dry_run_lists_the_changes_and_writes_nothing():
    out = load(ADM3, dry_run=True)

    assert "create SY090201 Sub-district Hajin / هجين in SY0902" in out
    assert "would be 9 created" in out
    assert not Place.objects.exists()


@pytest.mark.django_db
def test_the_demo_data_loads_onto_the_gazetteer_and_reuses_its_places():
    load(FIXTURES)
    hajin = place("C5175")

    call_command("load_demo", stdout=StringIO())

    assert Place.objects.filter(pcode="C5175").get() == hajin
    assert hajin.incidents.exists()


# Bad input ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_name_column_is_named_and_nothing_is_written(tmp_path):
    path = write(tmp_path, "adm3.csv", "ADM3_AR,ADM3_PCODE\nهجين,SY090201\n")

    with pytest.raises(CommandError, match=r"adm3\.csv: column ADM3_EN is missing"):
        load(ADM3, path)
    assert not Place.objects.exists()


@pytest.mark.django_db
def test_an_open_syria_record_without_a_pcode_is_named(tmp_path):
    records = json.loads((OPEN_SYRIA / "governorates.json").read_text(encoding="utf-8"))
    del records[1]["externalIds"]["ochaPcode"]
    path = write(tmp_path, "governorates.json", json.dumps(records, ensure_ascii=False))

    with pytest.raises(CommandError, match=r"record 2 \(sy-idlib\): key externalIds\.ochaPcode is missing"):
        load(path)
    assert not Place.objects.exists()


@pytest.mark.django_db
def test_a_row_whose_parent_pcode_is_unknown_is_named(tmp_path):
    # The ADM3 level has no name column here, so it only refers to a place that should already exist.
    path = write(tmp_path, "communities.csv", "ADM4_EN,ADM4_PCODE,ADM3_PCODE\nHajin,C5175,SY090201\n")

    with pytest.raises(CommandError, match=r"communities\.csv, line 2: parent P-code SY090201 of C5175"):
        load(path)
    assert not Place.objects.exists()

    load(ADM3, path)
    assert place("C5175").parent == place("SY090201")


@pytest.mark.django_db
def test_an_empty_pcode_or_a_bad_coordinate_is_named_by_line(tmp_path):
    text = f"_CX,_CY,{ADM4_HEADER}\n40.1,34.2,Hajin,,Hajin,SY090201,Abu Kamal,SY0902,Deir,SY09,Syria,SY\n"
    text += "east,34.2,Sosa,C5186,Susat,SY090203,Abu Kamal,SY0902,Deir,SY09,Syria,SY\n"

    with pytest.raises(CommandError) as error:
        load(write(tmp_path, "pp.csv", text))

    assert "pp.csv, line 2: ADM4_PCODE is empty" in str(error.value)
    assert "pp.csv, line 3: _CX 'east' is not a number" in str(error.value)


@pytest.mark.django_db
def test_an_undecodable_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "adm3.csv"
    path.write_bytes(b"ADM3_EN,ADM3_PCODE\n\x00\x01\x02\x03" * 50)

    with pytest.raises(CommandError, match=r"adm3\.csv is not a text file"):
        load(path)


@pytest.mark.django_db
def test_a_file_named_explicitly_must_be_gazetteer_data():
    with pytest.raises(CommandError, match=r"sources\.json: not gazetteer data"):
        load(OPEN_SYRIA / "sources.json")


@pytest.mark.django_db
def test_a_windows_arabic_spreadsheet_export_keeps_its_arabic_names(tmp_path):
    path = write(tmp_path, "adm1.csv", "ADM1_EN;ADM1_AR;ADM1_PCODE\nIdleb;إدلب;SY07\n", encoding="cp1256")

    load(path)

    assert place("SY07").name_ar == "إدلب"


@pytest.mark.django_db
def test_another_countrys_geojson_attributes_load_with_point_coordinates(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {
                "ADM2_EN": "Mosul",
                "ADM2_AR": "الموصل",
                "ADM2_PCODE": "IQG15Q01",
                "ADM2_REF": "Al-Mosul",
                "ADM1_EN": "Ninewa",
                "ADM1_PCODE": "IQG15",
                "ADM0_EN": "Iraq",
                "ADM0_PCODE": "IQ",
            },
            "geometry": {"type": "Point", "coordinates": [43.13, 36.34]},
        }
    ]
    path = write(tmp_path, "irq.geojson", json.dumps({"type": "FeatureCollection", "features": features}))

    load(path)

    mosul = place("IQG15Q01")
    assert ancestors("IQG15Q01") == ["IQG15Q01", "IQG15", "IQ"]
    assert (mosul.level, mosul.aliases, mosul.latitude) == (
        PlaceLevel.DISTRICT,
        ["Al-Mosul"],
        Decimal("36.34"),
    )


# Efficiency -----------------------------------------------------------------------------------------------


def communities_csv(subdistrict: str, count: int) -> str:
    rows = [
        f"Village {subdistrict} {n},{subdistrict}{n:03d},Sub {subdistrict},{subdistrict},"
        f"District {subdistrict[:6]},{subdistrict[:6]},Gov,SY99,Syria,SY"
        for n in range(count)
    ]
    return "\n".join([ADM4_HEADER, *rows]) + "\n"


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_number_of_places(
    tmp_path, django_assert_max_num_queries
):
    small = write(tmp_path, "small.csv", communities_csv("SY990101", 5))
    large = write(tmp_path, "large.csv", communities_csv("SY990202", 50))
    with CaptureQueriesContext(connection) as few:
        load(small)

    with django_assert_max_num_queries(len(few.captured_queries)):
        load(large)
    assert Place.objects.filter(level=PlaceLevel.COMMUNITY).count() == 55
    renamed = write(tmp_path, "renamed.csv", communities_csv("SY990202", 50).replace("Village", "Hamlet"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        load(renamed)
    assert Place.objects.filter(name_en__startswith="Hamlet").count() == 50


# Combining records (no database) ----------------------------------------------------------------------------


def test_an_implied_ancestor_fills_blanks_but_never_renames():
    stored = {"SY09": PlaceRecord("SY09", 1, "Deir ez-Zor", aliases=("Dayr az-Zawr",))}
    implied = PlaceRecord("SY09", 1, "Deir-ez-Zor", "دير الزور", parent_pcode="SY", implied=True)

    merged = merge_records([implied], stored)["SY09"]

    assert (merged.name_en, merged.name_ar, merged.parent_pcode) == ("Deir ez-Zor", "دير الزور", "SY")
    assert merged.aliases == ("Dayr az-Zawr", "Deir-ez-Zor")


def test_parsing_keeps_arabic_text_but_trims_stray_whitespace():
    records = parse_cod_csv('ADM1_EN,ADM1_AR,ADM1_PCODE\nHoms\u00a0,"حمص\n",SY04\n', filename="x.csv")

    assert [(r.name_en, r.name_ar, r.pcode) for r in records] == [("Homs", "حمص", "SY04")]


names = st.sampled_from(["Hajin", "hajin", "Hajeen", "هجين", "الهجين", "Hajin (Abu Kamal)"])


@st.composite
def records(draw: st.DrawFn) -> PlaceRecord:
    latitude, longitude = draw(st.sampled_from([(None, None), (Decimal("34.5"), Decimal("40.9"))]))
    return PlaceRecord(
        pcode=draw(st.sampled_from(["SY090201", "SY090203"])),
        level=3,
        name_en=draw(names),
        name_ar=draw(st.sampled_from(["", "هجين", "سوسة"])),
        aliases=tuple(draw(st.lists(names, max_size=3))),
        latitude=latitude,
        longitude=longitude,
        implied=draw(st.booleans()),
    )


@given(st.lists(records(), min_size=1, max_size=8))
def test_loading_the_same_records_onto_their_own_result_changes_nothing(batch):
    stored = merge_records(batch, {})

    plan = plan_changes(batch, stored)

    assert (plan.create, plan.update, plan.unchanged) == ([], [], len(stored))


def test_a_damaged_spelling_never_replaces_a_clean_name():
    from incidents.gazetteer import PlaceRecord, merge

    clean = PlaceRecord(
        pcode="C6960", name_en="Bir Abu Shaaf", name_ar="بئر أبو شعف", level=4, parent_pcode=None
    )
    damaged_row = PlaceRecord(pcode="C6960", name_en="Bir Abu Sha?af", name_ar="", level=4, parent_pcode=None)
    merged = merge(clean, damaged_row)
    assert merged.name_en == "Bir Abu Shaaf"
    assert "Bir Abu Sha?af" not in merged.aliases
    assert merge(damaged_row, clean).name_en == "Bir Abu Shaaf"
