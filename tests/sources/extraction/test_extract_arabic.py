"""Arabic casualty figures: which numbers are tolls, and what each one says."""

from __future__ import annotations

import pytest

from sources.extraction import extract

from .helpers import figures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قتل 12 مدنيا في القصف.", ("killed", "civilians", 12, 12, "exact")),
        ("قتل ١٢ مدنيا في القصف.", ("killed", "civilians", 12, 12, "exact")),
        ("قتل ۱۲ مدنيا في القصف.", ("killed", "civilians", 12, 12, "exact")),
        ("قتل اثنا عشر مدنيا في القصف.", ("killed", "civilians", 12, 12, "exact")),
        ("لقي ثلاثة وأربعون شخصا حتفهم.", ("killed", "people", 43, 43, "exact")),
        ("أصيب خمس نساء بجروح.", ("injured", "women", 5, 5, "exact")),
        ("أسفر الانفجار عن مقتل مئتي شخص.", ("killed", "people", 200, 200, "exact")),
        ("بلغ عدد القتلى 3 آلاف شخص.", ("killed", "people", 3000, 3000, "exact")),
        ("وارتفعت الحصيلة إلى 2 ألف و45 قتيلا.", ("killed", "people", 2045, 2045, "exact")),
    ],
)
def test_number_forms_are_read_as_tolls(text: str, expected: tuple[str, str, int, int, str]) -> None:
    assert figures(text) == [expected]


@pytest.mark.parametrize(
    ("text", "low", "high", "qualifier"),
    [
        ("قتل أكثر من 30 شخصا.", 30, None, "more_than"),
        ("قتل ما يزيد عن 30 شخصا.", 30, None, "more_than"),
        ("قتل ما لا يقل عن 30 شخصا.", 30, None, "at_least"),
        ("قتل 30 شخصا على الأقل.", 30, None, "at_least"),
        ("قتل نحو 30 شخصا.", 30, 30, "about"),
        ("قتل حوالي 30 شخصا.", 30, 30, "about"),
        ("قتل قرابة 30 شخصا.", 30, 30, "about"),
        ("قتل أقل من 30 شخصا.", None, 30, "up_to"),
        ("قتل بين 30 و40 شخصا.", 30, 40, "range"),
        ("وقتل بنحو30 شخصا.", 30, 30, "about"),
    ],
)
def test_hedges_set_the_interval_and_qualifier(
    text: str, low: int | None, high: int | None, qualifier: str
) -> None:
    assert figures(text) == [("killed", "people", low, high, qualifier)]


def test_dual_nouns_count_two_and_singular_nouns_one() -> None:
    assert figures("قتل طفلان وأصيب جنديين في الهجوم.") == [
        ("killed", "children", 2, 2, "exact"),
        ("injured", "security_forces", 2, 2, "exact"),
    ]
    assert figures("استشهد شاب وأصيبت امرأة برصاص القناصة.") == [
        ("killed", "people", 1, 1, "exact"),
        ("injured", "women", 1, 1, "exact"),
    ]


def test_a_singular_noun_without_a_casualty_word_is_not_a_toll() -> None:
    assert figures("زار طفل المستشفى مع والده.") == []


def test_vague_amounts_are_unspecified() -> None:
    assert figures("سقط عشرات القتلى وأصيب المئات في الزلزال.") == [
        ("killed", "people", None, None, "unspecified"),
        ("injured", "people", None, None, "unspecified"),
    ]


def test_parts_belong_to_their_whole_with_its_outcome_and_source() -> None:
    text = "وقال الدفاع المدني إن 20 مدنيا بينهم 6 أطفال و3 نساء قتلوا في الغارة."
    claims = extract(text)
    assert [(c.outcome, c.category, c.low) for c in claims] == [
        ("killed", "civilians", 20),
        ("killed", "children", 6),
        ("killed", "women", 3),
    ]
    assert [c.part_of for c in claims] == [None, 0, 0]
    assert {c.source_as_written for c in claims} == {"الدفاع المدني"}


def test_a_part_without_a_noun_takes_the_whole_s_outcome() -> None:
    assert figures("قتل 40 شخصا منهم 15 في السوق.") == [
        ("killed", "people", 40, 40, "exact"),
        ("killed", "people", 15, 15, "exact"),
    ]


def test_killed_and_injured_in_one_figure_is_combined() -> None:
    assert figures("أدى الانفجار إلى مقتل وجرح 60 شخصا.") == [
        ("killed_or_injured", "people", 60, 60, "exact")
    ]
    assert figures("سقط 25 بين قتيل وجريح.") == [("killed_or_injured", "people", 25, 25, "exact")]


@pytest.mark.parametrize(
    "text",
    [
        "تقع البلدة على بعد 45 كيلومترا من مكان مقتل الجنود.",
        "قتل الرجل في 12 أيار/مايو الماضي.",
        "بدأت الحرب عام 2011 وقتل فيها الكثيرون.",
        "أغارت الطائرات 4 مرات على القرية وقتل فيها مدنيون.",
        "شنت الطائرات 15 غارة خلال الساعات الـ24 الماضية.",
        "قتل الشاب البالغ من العمر 19 عاما.",
        "انظر http://example.org/news/2019/05/123456 حول مقتل المدنيين.",
        "اعتقلت الشرطة 30 شخصا بعد مقتل حارس.",
    ],
)
def test_distances_dates_years_strike_counts_ages_urls_and_arrests_are_not_tolls(text: str) -> None:
    assert [c for c in figures(text) if c[2] not in (1, None)] == []


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("أعلنت وزارة الصحة مقتل 8 أشخاص.", "وزارة الصحة"),
        ("أكد الدفاع المدني مقتل 8 أشخاص.", "الدفاع المدني"),
        ("وقال مسؤول محلي إن 8 أشخاص قتلوا.", "مسؤول محلي"),
        ("أفادت مصادر طبية بمقتل 8 أشخاص.", "مصادر طبية"),
        ("ذكرت الوكالة أن 8 أشخاص قتلوا.", "الوكالة"),
        ("وثقت الشبكة مقتل 8 أشخاص.", "الشبكة"),
        ("قتل 8 أشخاص، بحسب المرصد.", "المرصد"),
        ("قتل 8 أشخاص وفقا لمصادر محلية.", "لمصادر محلية"),
        ("ونقلت الإذاعة عن مصدر أمني أن 8 أشخاص قتلوا.", "مصدر أمني"),
    ],
)
def test_the_nearest_reporting_statement_gives_the_source(text: str, source: str) -> None:
    assert [c.source_as_written for c in extract(text)] == [source]


def test_a_figure_in_the_outlet_s_own_voice_has_no_source() -> None:
    assert [c.source_as_written for c in extract("قتل 8 أشخاص في انفجار بالسوق.")] == [None]


def test_a_subjectless_reporting_verb_refers_to_the_last_named_source() -> None:
    text = "وقال المرصد إن القصف استمر. وأضاف أن 9 مسلحين قتلوا."
    assert [c.source_as_written for c in extract(text)] == ["المرصد"]


def test_a_headline_restating_an_attributed_figure_is_reported_once() -> None:
    text = "مقتل 6 جنود في هجوم على حاجز\nوقال المتحدث العسكري إن 6 جنود قتلوا في الهجوم."
    claims = extract(text)
    assert [(c.low, c.source_as_written) for c in claims] == [(6, "المتحدث العسكري")]


def test_aliases_give_the_canonical_source_on_folded_spellings() -> None:
    aliases = {"SANA": ["سانا", "الوكالة العربية السورية للأنباء"]}
    claims = extract("وذكرت الوكالة العربية السورية للانباء أن 4 مدنيين قتلوا.", aliases=aliases)
    assert [c.source for c in claims] == ["SANA"]


def test_forces_decide_the_category_and_party() -> None:
    claims = extract("قتل 11 عنصرا من تنظيم داعش و7 من قوات النظام.")
    assert [(c.category, c.party, c.low) for c in claims] == [
        ("combatants", "ISIS", 11),
        ("security_forces", "government forces", 7),
    ]
    soldiers = extract("مقتل 3 جنود عراقيين")
    assert [(c.category, c.party) for c in soldiers] == [("security_forces", "Iraqi army")]


def test_others_after_a_new_casualty_word_keep_a_fighting_category() -> None:
    assert figures("قتل 9 جنود وأصيب 14 آخرون.") == [
        ("killed", "security_forces", 9, 9, "exact"),
        ("injured", "security_forces", 14, 14, "exact"),
    ]


def test_places_come_from_place_nouns_or_a_gazetteer() -> None:
    text = "قتل 5 مدنيين في قصف على بلدات كفرنبل والبارة في ريف إدلب."
    assert extract(text)[0].places == ("كفرنبل", "البارة", "إدلب")
    assert extract(text, places=["إدلب"])[0].places == ("إدلب",)


def test_glued_tokens_and_spaced_punctuation_are_read() -> None:
    assert figures("واصيب10 اشخاص ، وقتل نحو364 مسلحا .") == [
        ("injured", "people", 10, 10, "exact"),
        ("killed", "combatants", 364, 364, "about"),
    ]


def test_claims_serialise_to_json_ready_dicts() -> None:
    data = extract("قتل 3 أطفال.")[0].to_dict()
    assert data["outcome"] == "killed" and data["places"] == [] and data["words"] == "3 أطفال"
