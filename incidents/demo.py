"""The demo data set: the sample Al-Alam article's two incidents plus illustrative ones, loaded idempotently.

Everything here is plain data written through the services (``sources.services``, ``incidents.services``), so
the derived state (current claims, ``supersedes`` links, incident summaries, history) is exactly what a
user's edits would produce. Natural keys make a second run a no-op: sources by name, places by P-code or by
(English name, parent), reports by content hash, incidents by ``external_id`` "demo:<slug>" and claims by
``external_id`` "demo:<slug>:<n>" per claiming source.
"""

# (Arabic text is data here: its letters are not confusable look-alikes of Latin ones.)

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from incidents.models import (
    Category,
    Claim,
    DatePrecision,
    Incident,
    IncidentType,
    Outcome,
    Place,
    PlaceLevel,
    Qualifier,
)
from incidents.services import create_claim, create_incident, create_place
from sources.models import Language, Report, Source, SourceAlias, SourceKind
from sources.services import create_report, upsert_source

date = datetime.date

ILLUSTRATIVE = (
    "Illustrative demo incident: figures are invented to exercise the comparison, not a record of events."
)
ILLUSTRATIVE_REPORT_EN = "Illustrative demo report; the figures are invented."
ILLUSTRATIVE_REPORT_AR = "تقرير توضيحي تجريبي: الأرقام افتراضية لأغراض العرض."
DEMO_PUBLISHER = "Demo Wire"
IMPORT_BATCH = "demo"


# The shape of the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSource:
    """A source and the spellings of its name met in text."""

    name: str
    name_en: str
    name_ar: str
    kind: SourceKind
    affiliation: str
    country: str
    aliases: tuple[str, ...] = ()
    website: str = ""
    notes: str = ""


@dataclass(frozen=True)
class DemoPlace:
    """A gazetteer node; ``parent`` is another place's ``key``. P-codes only where taken from OCHA data."""

    key: str
    name_en: str
    name_ar: str
    level: PlaceLevel
    parent: str | None = None
    pcode: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoReport:
    """A published document; ``publisher`` is a source's name."""

    key: str
    publisher: str
    title: str
    published_on: datetime.date
    language: Language
    text: str
    url: str = ""


class Figure(NamedTuple):
    """A figure as stated: its qualifier and bounds, shaped as the claim constraints require."""

    qualifier: Qualifier
    low: int | None
    high: int | None


def exact(n: int) -> Figure:
    return Figure(Qualifier.EXACT, n, n)


def about(n: int) -> Figure:
    return Figure(Qualifier.ABOUT, n, n)


def at_least(n: int) -> Figure:
    return Figure(Qualifier.AT_LEAST, n, None)


def more_than(n: int) -> Figure:
    return Figure(Qualifier.MORE_THAN, n, None)


def between(low: int, high: int) -> Figure:
    return Figure(Qualifier.RANGE, low, high)


def unspecified() -> Figure:
    """Words such as "dozens" (عشرات): no number stated."""
    return Figure(Qualifier.UNSPECIFIED, None, None)


@dataclass(frozen=True)
class DemoClaim:
    """One source's figure; ``n`` numbers it within its incident, ``report`` is a report's ``key``."""

    n: int
    source: str
    outcome: Outcome
    category: Category
    figure: Figure
    words: str
    evidence: str
    report: str | None = None
    party: str = ""
    stated_on: datetime.date | None = None
    note: str = ""


@dataclass(frozen=True)
class DemoIncident:
    """An incident and its claims, in the order they were stated (a later claim revises an earlier one)."""

    slug: str
    title: str
    date_start: datetime.date
    type: IncidentType
    perpetrator: str
    description: str
    places: tuple[str, ...]
    claims: tuple[DemoClaim, ...]
    date_end: datetime.date | None = None
    date_precision: DatePrecision = DatePrecision.DAY

    @property
    def external_id(self) -> str:
        return f"demo:{self.slug}"

    def claim_external_id(self, claim: DemoClaim) -> str:
        return f"demo:{self.slug}:{claim.n}"


# Sources --------------------------------------------------------------------------------------------------

SOURCES: tuple[DemoSource, ...] = (
    DemoSource(
        name="SANA",
        name_en="Syrian Arab News Agency",
        name_ar="الوكالة العربية السورية للأنباء",
        kind=SourceKind.STATE_MEDIA,
        affiliation="Syrian government",
        country="Syria",
        aliases=("سانا", "وكالة سانا", "Syrian Arab News Agency"),
        website="https://sana.sy",
    ),
    DemoSource(
        name="SOHR",
        name_en="Syrian Observatory for Human Rights",
        name_ar="المرصد السوري لحقوق الإنسان",
        kind=SourceKind.MONITOR,
        affiliation="Opposition-leaning",
        country="United Kingdom",
        aliases=("المرصد السوري", "رامي عبد الرحمن", "Rami Abdulrahman", "Syrian Observatory"),
        website="https://www.syriahr.com",
        notes="Run from the UK by Rami Abdulrahman; relies on a network of contacts inside Syria.",
    ),
    DemoSource(
        name="Russian Hmeymim reconciliation centre",
        name_en="Russian Centre for the Reconciliation of Opposing Parties in Syria",
        name_ar="مركز حميميم لمصالحة الأطراف المتناحرة في سوريا",
        kind=SourceKind.ARMED_FORCE,
        affiliation="Russian Ministry of Defence",
        country="Russia",
        aliases=(
            "مركز حميميم للمصالحة",
            "مركز حميميم",
            "مركز المصالحة الروسي",
            "Russian Reconciliation Center",
            "Hmeymim reconciliation centre",
        ),
        notes="Based at the Hmeymim air base; its statements are relayed by Russian and allied media.",
    ),
    DemoSource(
        name="Al-Alam",
        name_en="Al-Alam News Network",
        name_ar="قناة العالم",
        kind=SourceKind.STATE_MEDIA,
        affiliation="Iranian state TV (IRIB)",
        country="Iran",
        aliases=("العالم", "شبكة العالم الإخبارية"),
        website="https://www.alalam.ir",
    ),
    DemoSource(
        name="Airwars",
        name_en="Airwars",
        name_ar="إيروورز",
        kind=SourceKind.MONITOR,
        affiliation="Independent",
        country="United Kingdom",
        aliases=("Air Wars",),
        website="https://airwars.org",
        notes="Grades each incident (e.g. Fair) by the number and quality of its sources.",
    ),
    DemoSource(
        name="UCDP GED",
        name_en="UCDP Georeferenced Event Dataset",
        name_ar="برنامج أوبسالا لبيانات النزاعات",
        kind=SourceKind.DATASET,
        affiliation="Academic (Uppsala University)",
        country="Sweden",
        aliases=("Uppsala Conflict Data Program", "UCDP"),
        website="https://ucdp.uu.se",
        notes="Each event has low, best and high estimates of deaths.",
    ),
    DemoSource(
        name="ACLED",
        name_en="Armed Conflict Location & Event Data",
        name_ar="مشروع بيانات مواقع وأحداث النزاعات المسلحة",
        kind=SourceKind.DATASET,
        affiliation="Independent",
        country="United States",
        aliases=("Armed Conflict Location and Event Data Project", "أكليد"),
        website="https://acleddata.com",
    ),
    DemoSource(
        name="Iraq Body Count",
        name_en="Iraq Body Count",
        name_ar="إحصاء ضحايا العراق",
        kind=SourceKind.MONITOR,
        affiliation="Independent",
        country="United Kingdom",
        aliases=("IBC",),
        website="https://www.iraqbodycount.org",
    ),
    DemoSource(
        name="UN OHCHR",
        name_en="Office of the UN High Commissioner for Human Rights",
        name_ar="مفوضية الأمم المتحدة السامية لحقوق الإنسان",
        kind=SourceKind.INTERNATIONAL,
        affiliation="United Nations",
        country="",
        aliases=(
            "OHCHR",
            "UN human rights office",
            "مكتب الأمم المتحدة لحقوق الإنسان",
            "UN Human Rights Monitoring Mission in Ukraine",
            "HRMMU",
        ),
        website="https://www.ohchr.org",
    ),
    DemoSource(
        name="Iraqi Ministry of Interior",
        name_en="Iraqi Ministry of Interior",
        name_ar="وزارة الداخلية العراقية",
        kind=SourceKind.ARMED_FORCE,
        affiliation="Iraqi government",
        country="Iraq",
        aliases=("الداخلية العراقية", "Iraq's Interior Ministry"),
    ),
    DemoSource(
        name="Gaza Ministry of Health",
        name_en="Ministry of Health in Gaza",
        name_ar="وزارة الصحة في غزة",
        kind=SourceKind.ARMED_FORCE,
        affiliation="Hamas-run authorities in Gaza",
        country="Palestine",
        aliases=(
            "وزارة الصحة الفلسطينية في غزة",
            "Palestinian Ministry of Health in Gaza",
            "Gaza Health Ministry",
        ),
    ),
    DemoSource(
        name="Yemeni Health Ministry (Sana'a)",
        name_en="Ministry of Public Health and Population (Sana'a)",
        name_ar="وزارة الصحة العامة والسكان في صنعاء",
        kind=SourceKind.ARMED_FORCE,
        affiliation="Ansar Allah (Houthi) authorities",
        country="Yemen",
        aliases=("وزارة الصحة في صنعاء", "Houthi-run health ministry"),
    ),
    DemoSource(
        name="Kharkiv Regional Military Administration",
        name_en="Kharkiv Regional Military Administration",
        name_ar="الإدارة العسكرية لمنطقة خاركيف",
        kind=SourceKind.ARMED_FORCE,
        affiliation="Ukrainian government",
        country="Ukraine",
        aliases=("Kharkiv RMA", "Kharkiv Oblast Military Administration"),
    ),
    DemoSource(
        name="Syrian Civil Defence",
        name_en="Syrian Civil Defence (White Helmets)",
        name_ar="الدفاع المدني السوري",
        kind=SourceKind.OTHER,
        affiliation="Rescue service in opposition-held areas",
        country="Syria",
        aliases=("White Helmets", "الخوذ البيضاء"),
    ),
    DemoSource(
        name=DEMO_PUBLISHER,
        name_en="Demo Wire (fictional outlet)",
        name_ar="وكالة الأنباء التجريبية",
        kind=SourceKind.NEWS_AGENCY,
        affiliation="None: fictional",
        country="",
        notes="Fictional outlet: publishes the illustrative reports of the demo data; none of them is real.",
    ),
)


# Places ---------------------------------------------------------------------------------------------------
# Syrian P-codes and names are OCHA's (COD-AB, HDX); elsewhere only the country P-code (ISO 3166 alpha-2, as
# OCHA uses) is given, the rest are matched by name under their parent.

C, G, D, S, K = (
    PlaceLevel.COUNTRY,
    PlaceLevel.GOVERNORATE,
    PlaceLevel.DISTRICT,
    PlaceLevel.SUBDISTRICT,
    PlaceLevel.COMMUNITY,
)

PLACES: tuple[DemoPlace, ...] = (
    # Syria
    DemoPlace(
        "syria", "Syria", "سوريا", C, None, "SY", ("Syrian Arab Republic", "الجمهورية العربية السورية")
    ),
    DemoPlace("deir-ez-zor", "Deir ez-Zor", "دير الزور", G, "syria", "SY09", ("Deir-ez-Zor", "Dayr az-Zawr")),
    DemoPlace("abu-kamal", "Abu Kamal", "البوكمال", D, "deir-ez-zor", "SY0902", ("Albu Kamal", "أبو كمال")),
    DemoPlace("hajin-sd", "Hajin", "هجين", S, "abu-kamal", "SY090201", ("Hajin sub-district", "ناحية هجين")),
    DemoPlace("hajin", "Hajin", "هجين", K, "hajin-sd", "C5175"),
    DemoPlace("susat-sd", "Susat", "سوسة", S, "abu-kamal", "SY090203", ("Susah sub-district", "ناحية سوسة")),
    DemoPlace("susah", "al-Susah", "السوسة", K, "susat-sd", "C5186", ("Sosa", "Susah", "سوسة")),
    # OCHA spells it الشعفة; the news (and the sample article) الشفعة.
    DemoPlace("shafa", "al-Shafa", "الشعفة", K, "susat-sd", "C5183", ("Shafa", "الشفعة")),
    DemoPlace("idlib", "Idlib", "إدلب", G, "syria", "SY07", ("Idleb",)),
    DemoPlace("maarat-d", "Maarrat al-Nu'man", "معرة النعمان", D, "idlib", "SY0702", ("Al Ma'ra",)),
    DemoPlace("maarat-sd", "Ma'arrat An Nu'man", "مركز معرة النعمان", S, "maarat-d", "SY070200"),
    DemoPlace(
        "maarat", "Maarrat al-Nu'man", "معرة النعمان", K, "maarat-sd", "C3985", ("Ma'arrat An Nu'man",)
    ),
    DemoPlace("tamanaah-sd", "Tamanaah", "التمانعة", S, "maarat-d", "SY070204", ("al-Tamanah",)),
    DemoPlace("dajaj", "al-Dajaj", "الدجاج", K, "tamanaah-sd", "C4082", ("Dajaj",)),
    DemoPlace("hama", "Hama", "حماة", G, "syria", "SY05", ("Hamah",)),
    DemoPlace("salamiyeh", "As-Salamiyeh", "السلمية", D, "hama", "SY0503", ("Salamiyah", "سلمية")),
    DemoPlace("oqeirbat-sd", "Oqeirbat", "عقيربات", S, "salamiyeh", "SY050304", ("Uqayribat",)),
    # Three OCHA communities are called Abu Dali; the one meant in the article is in Hama.
    DemoPlace("abu-dali", "Abu Dali", "أبو دالي", K, "oqeirbat-sd", "C3316", ("Abu Dali (Oqeirbat)",)),
    DemoPlace("aleppo-g", "Aleppo", "حلب", G, "syria", "SY02", ("Halab",)),
    DemoPlace("jebel-saman", "Jebel Saman", "جبل سمعان", D, "aleppo-g", "SY0200", ("Mount Simeon",)),
    DemoPlace("jebel-saman-sd", "Jebel Saman", "مركز جبل سمعان", S, "jebel-saman", "SY020000"),
    DemoPlace("aleppo", "Aleppo", "حلب", K, "jebel-saman-sd", None, ("Aleppo city", "مدينة حلب")),
    # Iraq
    DemoPlace("iraq", "Iraq", "العراق", C, None, "IQ"),
    DemoPlace("ninewa", "Ninewa", "نينوى", G, "iraq", None, ("Nineveh",)),
    DemoPlace("mosul-d", "Mosul", "الموصل", D, "ninewa", None, ("Mosul district", "قضاء الموصل")),
    DemoPlace("mosul", "Mosul", "الموصل", K, "mosul-d", None, ("Mosul city", "مدينة الموصل")),
    DemoPlace("anbar", "Anbar", "الأنبار", G, "iraq", None, ("Al-Anbar",)),
    DemoPlace("ramadi-d", "Ramadi", "الرمادي", D, "anbar", None, ("Ramadi district", "قضاء الرمادي")),
    DemoPlace("ramadi", "Ramadi", "الرمادي", K, "ramadi-d", None, ("Ramadi city", "مدينة الرمادي")),
    # Yemen: the capital is its own governorate (Amanat al-Asimah), distinct from Sana'a governorate.
    DemoPlace("yemen", "Yemen", "اليمن", C, None, "YE"),
    DemoPlace("amanat-al-asimah", "Amanat al-Asimah", "أمانة العاصمة", G, "yemen", None, ("Sana'a City",)),
    DemoPlace("sanaa", "Sana'a", "صنعاء", K, "amanat-al-asimah", None, ("Sanaa",)),
    # Palestine: OCHA's first level is the Gaza Strip / West Bank, its second the governorates.
    DemoPlace("palestine", "Palestine", "فلسطين", C, None, "PS", ("State of Palestine",)),
    DemoPlace("gaza-strip", "Gaza Strip", "قطاع غزة", G, "palestine", None, ("Gaza",)),
    DemoPlace("gaza-g", "Gaza governorate", "محافظة غزة", D, "gaza-strip", None),
    DemoPlace("gaza-city", "Gaza City", "مدينة غزة", K, "gaza-g", None, ("غزة",)),
    DemoPlace("rafah-g", "Rafah governorate", "محافظة رفح", D, "gaza-strip", None),
    DemoPlace("rafah", "Rafah", "رفح", K, "rafah-g", None),
    # Ukraine: oblast > raion > settlement
    DemoPlace("ukraine", "Ukraine", "أوكرانيا", C, None, "UA"),
    DemoPlace(
        "kharkiv-oblast", "Kharkiv Oblast", "مقاطعة خاركيف", G, "ukraine", None, ("Kharkivska oblast",)
    ),
    DemoPlace(
        "kharkiv-raion", "Kharkiv Raion", "منطقة خاركيف", D, "kharkiv-oblast", None, ("Kharkivskyi raion",)
    ),
    DemoPlace("kharkiv", "Kharkiv", "خاركيف", K, "kharkiv-raion", None, ("Kharkov", "خاركوف")),
)


# Reports --------------------------------------------------------------------------------------------------

# The sample article's sentences that carry the claims, verbatim (the article itself is not stored).
ALALAM_EXCERPT = "\n".join(
    (
        "العالم - تقارير",
        (
            'وأوضحت "سانا"، نقلا عن مصادر أهلية وإعلامية، أن قوات التحالف نفذت عمليات قصف هي '
            "الأعنف منذ شهور على الأحياء السكنية في هجين شرق مدينة دير الزور بنحو 110 "
            "كيلومترا، ما أسفر عن استشهاد 15 مدنيا معظمهم من الأطفال والنساء كانوا موجودين في "
            "المنازل القريبة من مسجد خالد بن الوليد في المدينة بالإضافة إلى جرح آخرين."
        ),
        (
            'من جانبه، أكد مدير ما يسمى "المرصد السوري لحقوق الإنسان" المعارض، رامي عبد '
            'الرحمن، أن "14 مدنيا بينهم 5 أطفال و5 نساء قتلوا في غارات لطائرات التحالف على '
            'بلدات هجين والسوسة والشفعة"، الواقعة في محافظة دير الزور شرق سوريا على الضفاف '
            "الشرقية لنهر الفرات."
        ),
        (
            'وأضاف عبد الرحمن أن عدد الضحايا مرشح للارتفاع "بسبب وجود جرحى بحالات خطرة"، كما '
            'أوضح أن "9 عناصر من تنظيم داعش قتلوا في قصف لطائرات التحالف على مناطق أخرى من '
            'الجيب نفسه".'
        ),
        "استشهاد 4 عسكريين سوريين جراء هجمات بإدلب",
        (
            "من جهة اخرى قال مدير مركز حميميم لمصالحة الأطراف المتناحرة في سوريا والتابع "
            'لوزارة الدفاع الروسية، اللواء فلاديمير سافتشينكو: "على الرغم من النظام المعلن '
            "لوقف الأعمال القتالية إلا أن انتهاكاته لا تزال مستمرة من قبل التشكيلات المسلحة "
            'غير الشرعية الناشطة في منطقة خفض التصعيد بإدلب".'
        ),
        (
            "وأوضح سافتشينكو أن المسلحين في إدلب نفذوا خلال الساعات الـ24 الماضية عدة عمليات "
            "قصف استهدفت بلدة الدجاج في محافظة إدلب وقرية أبو دالي في محافظة حماة، مشيرا إلى "
            "أن هذه الهجمات أسفرت عن مقتل 4 عسكريين سوريين بالإضافة إلى إصابة واحد آخر."
        ),
    )
)


def _en(*sentences: str) -> str:
    return " ".join((ILLUSTRATIVE_REPORT_EN, *sentences))


def _ar(*sentences: str) -> str:
    return " ".join((ILLUSTRATIVE_REPORT_AR, *sentences))


REPORTS: tuple[DemoReport, ...] = (
    DemoReport(
        key="alalam",
        publisher="Al-Alam",
        title="التحالف يقتل 15 مدنيا في هجين",
        published_on=date(2018, 11, 4),
        language=Language.ARABIC,
        text=ALALAM_EXCERPT,
    ),
    DemoReport(
        key="mosul-en",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) Airstrike on west Mosul: at least 20 civilians dead",
        published_on=date(2017, 5, 15),
        language=Language.ENGLISH,
        text=_en(
            "An airstrike hit a residential block in west Mosul on 13 May.",
            "Iraq Body Count said at least 20 civilians were killed, adding that its count was incomplete.",
            "The UN human rights office said 23 civilians were killed and 31 others were injured"
            " in the strike.",
        ),
    ),
    DemoReport(
        key="ramadi-ar-1",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) مقتل 12 شخصا بتفجير سيارة مفخخة في الرمادي",
        published_on=date(2015, 3, 10),
        language=Language.ARABIC,
        text=_ar(
            "قالت وزارة الداخلية العراقية إن 12 شخصا قتلوا وأصيب نحو 40 آخرون في انفجار سيارة مفخخة"
            " قرب سوق في مدينة الرمادي.",
        ),
    ),
    DemoReport(
        key="ramadi-ar-2",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) ارتفاع حصيلة تفجير الرمادي إلى 20 قتيلا",
        published_on=date(2015, 3, 11),
        language=Language.ARABIC,
        text=_ar(
            "أعلنت وزارة الداخلية العراقية ارتفاع حصيلة ضحايا تفجير الرمادي إلى 20 قتيلا"
            " بعد وفاة عدد من الجرحى متأثرين بإصاباتهم.",
        ),
    ),
    DemoReport(
        key="ramadi-en",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) Ramadi car bomb: Iraq Body Count records up to 21 deaths",
        published_on=date(2015, 3, 14),
        language=Language.ENGLISH,
        text=_en("Iraq Body Count recorded between 19 and 21 deaths from the car bomb in Ramadi."),
    ),
    DemoReport(
        key="aleppo-ar",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) قتلى في قصف على حي سكني في حلب",
        published_on=date(2016, 3, 8),
        language=Language.ARABIC,
        text=_ar(
            "ذكرت سانا أن قذائف أطلقها مسلحون على حي سكني في مدينة حلب أدت إلى استشهاد 18 مدنيا"
            " وسقوط عشرات الجرحى.",
            "من جهته، قال المرصد السوري لحقوق الإنسان إن 11 مدنيا قتلوا في القصف.",
        ),
    ),
    DemoReport(
        key="sanaa-ar",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) عشرات الشهداء في غارة على حي سكني في صنعاء",
        published_on=date(2016, 6, 14),
        language=Language.ARABIC,
        text=_ar(
            "أعلنت وزارة الصحة في صنعاء سقوط عشرات الشهداء من المدنيين وأكثر من 50 جريحا"
            " في غارة جوية لطيران التحالف استهدفت حيا سكنيا في العاصمة.",
        ),
    ),
    DemoReport(
        key="sanaa-en",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) UN: 25 to 30 civilians killed in Sana'a airstrike",
        published_on=date(2016, 6, 16),
        language=Language.ENGLISH,
        text=_en(
            "The UN human rights office said between 25 and 30 civilians were killed in the airstrike"
            " on a residential district of Sana'a.",
            "ACLED recorded 27 civilian fatalities for the event.",
        ),
    ),
    DemoReport(
        key="maarat-ar",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) مقتل 7 مدنيين بغارات على سوق في معرة النعمان",
        published_on=date(2019, 6, 3),
        language=Language.ARABIC,
        text=_ar(
            "أفاد الدفاع المدني السوري بمقتل 7 مدنيين بينهم طفلان وإصابة 12 آخرين"
            " جراء غارات جوية على سوق في مدينة معرة النعمان.",
        ),
    ),
    DemoReport(
        key="gaza-ar",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) 10 شهداء بينهم 4 أطفال في غارة على منزل في مدينة غزة",
        published_on=date(2021, 5, 13),
        language=Language.ARABIC,
        text=_ar(
            "قالت وزارة الصحة في غزة إن 10 فلسطينيين بينهم 4 أطفال استشهدوا وأصيب 25 آخرون"
            " في غارة إسرائيلية على منزل في مدينة غزة.",
        ),
    ),
    DemoReport(
        key="gaza-en",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) UN verifies 10 deaths in Gaza City house strike",
        published_on=date(2021, 5, 15),
        language=Language.ENGLISH,
        text=_en(
            "The UN human rights office said it had verified that 10 people, including 4 children,"
            " were killed when the house in Gaza City was hit.",
        ),
    ),
    DemoReport(
        key="kharkiv-en-1",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) Shelling of Kharkiv residential area kills 8",
        published_on=date(2022, 4, 18),
        language=Language.ENGLISH,
        text=_en(
            "The Kharkiv regional military administration said 8 civilians were killed and about 20 wounded"
            " when shells hit a residential area of Kharkiv.",
        ),
    ),
    DemoReport(
        key="kharkiv-en-2",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) Kharkiv shelling toll revised down to 6",
        published_on=date(2022, 4, 20),
        language=Language.ENGLISH,
        text=_en(
            "The Kharkiv regional military administration lowered the death toll from the shelling"
            " to 6 civilians, saying two victims had been counted twice.",
        ),
    ),
    DemoReport(
        key="kharkiv-en-3",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) UN monitors verify 6 civilian deaths in Kharkiv shelling",
        published_on=date(2022, 5, 10),
        language=Language.ENGLISH,
        text=_en(
            "The UN Human Rights Monitoring Mission in Ukraine said it had verified 6 civilian deaths"
            " in the shelling of the residential area.",
        ),
    ),
    DemoReport(
        key="rafah-ar",
        publisher=DEMO_PUBLISHER,
        title="(توضيحي) 11 شهيدا في غارة على منزل في رفح",
        published_on=date(2024, 2, 20),
        language=Language.ARABIC,
        text=_ar(
            "قالت وزارة الصحة في غزة إن 11 شخصا استشهدوا وأصيب أكثر من 20 آخرين في غارة على منزل في رفح."
        ),
    ),
    DemoReport(
        key="rafah-en",
        publisher=DEMO_PUBLISHER,
        title="(Illustrative) Airwars: 8 to 12 civilians killed in Rafah strike",
        published_on=date(2024, 3, 5),
        language=Language.ENGLISH,
        text=_en(
            "Airwars assessed that between 8 and 12 civilians were killed in the strike on a house in Rafah.",
            "The UN human rights office said it had verified that at least 9 civilians were killed.",
        ),
    ),
)


# Incidents and claims -------------------------------------------------------------------------------------

KILLED, INJURED = Outcome.KILLED, Outcome.INJURED
PEOPLE, CIVILIANS, CHILDREN, WOMEN = Category.PEOPLE, Category.CIVILIANS, Category.CHILDREN, Category.WOMEN

_SANA_HAJIN = "ما أسفر عن استشهاد 15 مدنيا معظمهم من الأطفال والنساء"
_SOHR_HAJIN = "14 مدنيا بينهم 5 أطفال و5 نساء قتلوا في غارات لطائرات التحالف على بلدات هجين والسوسة والشفعة"
_SOHR_ISIS = "9 عناصر من تنظيم داعش قتلوا في قصف لطائرات التحالف على مناطق أخرى من الجيب نفسه"
_UCDP_HAJIN = "UCDP GED event 268767: low 14, best 14, high 21 (sources: SOHR, Airwars)."
_AIRWARS_HAJIN = "Airwars incident CS1822: 14-21 civilians, 5-9 children and 5-9 women reported killed."
_AIRWARS_NOTE = "Airwars incident CS1822, graded Fair, 25 sources."
_HMEYMIM = "أسفرت عن مقتل 4 عسكريين سوريين بالإضافة إلى إصابة واحد آخر"

HAJIN = DemoIncident(
    slug="hajin-2018",
    title="Coalition airstrikes on the Hajin pocket, Deir ez-Zor",
    date_start=date(2018, 11, 3),
    date_end=date(2018, 11, 4),
    type=IncidentType.AIRSTRIKE,
    perpetrator="US-led coalition",
    description=(
        "Coalition airstrikes on residential areas of Hajin, al-Susah and al-Shafa, in the last ISIS-held"
        " pocket east of the Euphrates. From Al-Alam's report of 4 November 2018 (citing SANA and SOHR),"
        " UCDP GED event 268767 and Airwars incident CS1822."
    ),
    places=("hajin", "susah", "shafa"),
    claims=(
        DemoClaim(
            n=1,
            source="SANA",
            outcome=KILLED,
            category=CIVILIANS,
            figure=exact(15),
            words="15 مدنيا",
            evidence=_SANA_HAJIN,
            report="alalam",
            note="SANA also reports others wounded (جرح آخرين) without a number.",
        ),
        DemoClaim(
            n=2,
            source="SOHR",
            outcome=KILLED,
            category=CIVILIANS,
            figure=exact(14),
            words="14 مدنيا",
            evidence=_SOHR_HAJIN,
            report="alalam",
            note="SOHR adds that the toll is expected to rise (عدد الضحايا مرشح للارتفاع).",
        ),
        DemoClaim(
            n=3,
            source="SOHR",
            outcome=KILLED,
            category=CHILDREN,
            figure=exact(5),
            words="5 أطفال",
            evidence=_SOHR_HAJIN,
            report="alalam",
        ),
        DemoClaim(
            n=4,
            source="SOHR",
            outcome=KILLED,
            category=WOMEN,
            figure=exact(5),
            words="5 نساء",
            evidence=_SOHR_HAJIN,
            report="alalam",
        ),
        DemoClaim(
            n=5,
            source="SOHR",
            outcome=KILLED,
            category=Category.COMBATANTS,
            figure=exact(9),
            words="9 عناصر من تنظيم داعش",
            evidence=_SOHR_ISIS,
            report="alalam",
            party="ISIS",
        ),
        DemoClaim(
            n=6,
            source="UCDP GED",
            outcome=KILLED,
            category=CIVILIANS,
            figure=between(14, 21),
            words="low 14, best 14, high 21",
            evidence=_UCDP_HAJIN,
            note="Best estimate 14. Counted as civilians: GED records these deaths as deaths_civilians.",
        ),
        DemoClaim(
            n=7,
            source="Airwars",
            outcome=KILLED,
            category=CIVILIANS,
            figure=between(14, 21),
            words="14-21 civilians",
            evidence=_AIRWARS_HAJIN,
            note=_AIRWARS_NOTE,
        ),
        DemoClaim(
            n=8,
            source="Airwars",
            outcome=KILLED,
            category=CHILDREN,
            figure=between(5, 9),
            words="5-9 children",
            evidence=_AIRWARS_HAJIN,
            note=_AIRWARS_NOTE,
        ),
        DemoClaim(
            n=9,
            source="Airwars",
            outcome=KILLED,
            category=WOMEN,
            figure=between(5, 9),
            words="5-9 women",
            evidence=_AIRWARS_HAJIN,
            note=_AIRWARS_NOTE,
        ),
    ),
)

HMEYMIM = DemoIncident(
    slug="idlib-hama-shelling-2018",
    title="Militant shelling of al-Dajaj (Idlib) and Abu Dali (Hama)",
    date_start=date(2018, 11, 3),
    date_end=date(2018, 11, 4),
    type=IncidentType.SHELLING,
    perpetrator="Armed groups in the Idlib de-escalation zone (alleged)",
    description=(
        "Shelling of the town of al-Dajaj (Idlib) and the village of Abu Dali (Hama) over the 24 hours before"
        " 4 November 2018, as stated by the Russian Hmeymim reconciliation centre (Maj. Gen. Vladimir"
        " Savchenko) and reported by Al-Alam. Single source."
    ),
    places=("dajaj", "abu-dali"),
    claims=(
        DemoClaim(
            n=1,
            source="Russian Hmeymim reconciliation centre",
            outcome=KILLED,
            category=Category.SECURITY_FORCES,
            figure=exact(4),
            words="4 عسكريين سوريين",
            evidence=_HMEYMIM,
            report="alalam",
            party="Syrian army",
        ),
        DemoClaim(
            n=2,
            source="Russian Hmeymim reconciliation centre",
            outcome=INJURED,
            category=Category.SECURITY_FORCES,
            figure=exact(1),
            words="إصابة واحد آخر",
            evidence=_HMEYMIM,
            report="alalam",
            party="Syrian army",
        ),
    ),
)

_RAMADI_1 = "قالت وزارة الداخلية العراقية إن 12 شخصا قتلوا وأصيب نحو 40 آخرون"
_ALEPPO_SANA = "أدت إلى استشهاد 18 مدنيا وسقوط عشرات الجرحى"
_SANAA_MOH = "أعلنت وزارة الصحة في صنعاء سقوط عشرات الشهداء من المدنيين وأكثر من 50 جريحا"
_MAARAT = "أفاد الدفاع المدني السوري بمقتل 7 مدنيين بينهم طفلان وإصابة 12 آخرين"
_GAZA_MOH = "قالت وزارة الصحة في غزة إن 10 فلسطينيين بينهم 4 أطفال استشهدوا وأصيب 25 آخرون"
_GAZA_UN = "The UN human rights office said it had verified that 10 people, including 4 children, were killed"
_KHARKIV_1 = "The Kharkiv regional military administration said 8 civilians were killed and about 20 wounded"
_MOSUL_UN = (
    "The UN human rights office said 23 civilians were killed and 31 others were injured in the strike."
)
_RAFAH_MOH = "قالت وزارة الصحة في غزة إن 11 شخصا استشهدوا وأصيب أكثر من 20 آخرين"

ILLUSTRATIVE_INCIDENTS: tuple[DemoIncident, ...] = (
    DemoIncident(
        slug="ramadi-2015",
        title="Car bomb near a market, Ramadi (illustrative)",
        date_start=date(2015, 3, 10),
        type=IncidentType.EXPLOSIVE_DEVICE,
        perpetrator="ISIS (alleged)",
        description=f"{ILLUSTRATIVE} A source revises its toll upwards (12, then 20); an 'about' figure for"
        " the injured; Arabic and English reports.",
        places=("ramadi",),
        claims=(
            DemoClaim(
                n=1,
                source="Iraqi Ministry of Interior",
                outcome=KILLED,
                category=PEOPLE,
                figure=exact(12),
                words="12 شخصا",
                evidence=_RAMADI_1,
                report="ramadi-ar-1",
            ),
            DemoClaim(
                n=2,
                source="Iraqi Ministry of Interior",
                outcome=INJURED,
                category=PEOPLE,
                figure=about(40),
                words="نحو 40 آخرون",
                evidence=_RAMADI_1,
                report="ramadi-ar-1",
            ),
            DemoClaim(
                n=3,
                source="Iraqi Ministry of Interior",
                outcome=KILLED,
                category=PEOPLE,
                figure=exact(20),
                words="20 قتيلا",
                evidence="ارتفاع حصيلة ضحايا تفجير الرمادي إلى 20 قتيلا",
                report="ramadi-ar-2",
                note="Revision: the toll rose as some of the injured died.",
            ),
            DemoClaim(
                n=4,
                source="Iraq Body Count",
                outcome=KILLED,
                category=PEOPLE,
                figure=between(19, 21),
                words="between 19 and 21 deaths",
                evidence="Iraq Body Count recorded between 19 and 21 deaths from the car bomb in Ramadi.",
                report="ramadi-en",
            ),
        ),
    ),
    DemoIncident(
        slug="aleppo-2016",
        title="Shelling of a residential neighbourhood, Aleppo (illustrative)",
        date_start=date(2016, 3, 8),
        type=IncidentType.SHELLING,
        perpetrator="Armed opposition groups (alleged by SANA)",
        description=f"{ILLUSTRATIVE} Two sources conflict (18 vs 11 civilians killed); the injured are"
        " 'dozens' (عشرات), an unspecified amount.",
        places=("aleppo",),
        claims=(
            DemoClaim(
                n=1,
                source="SANA",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(18),
                words="18 مدنيا",
                evidence=_ALEPPO_SANA,
                report="aleppo-ar",
            ),
            DemoClaim(
                n=2,
                source="SANA",
                outcome=INJURED,
                category=PEOPLE,
                figure=unspecified(),
                words="عشرات الجرحى",
                evidence=_ALEPPO_SANA,
                report="aleppo-ar",
                note="Dozens: no number stated.",
            ),
            DemoClaim(
                n=3,
                source="SOHR",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(11),
                words="11 مدنيا",
                evidence="قال المرصد السوري لحقوق الإنسان إن 11 مدنيا قتلوا في القصف",
                report="aleppo-ar",
            ),
        ),
    ),
    DemoIncident(
        slug="sanaa-2016",
        title="Airstrike on a residential district, Sana'a (illustrative)",
        date_start=date(2016, 6, 14),
        type=IncidentType.AIRSTRIKE,
        perpetrator="Saudi-led coalition",
        description=f"{ILLUSTRATIVE} A range (25-30) and an exact figure inside it agree; 'dozens of martyrs'"
        " and 'more than 50 injured' in Arabic.",
        places=("sanaa",),
        claims=(
            DemoClaim(
                n=1,
                source="Yemeni Health Ministry (Sana'a)",
                outcome=KILLED,
                category=CIVILIANS,
                figure=unspecified(),
                words="عشرات الشهداء",
                evidence=_SANAA_MOH,
                report="sanaa-ar",
            ),
            DemoClaim(
                n=2,
                source="Yemeni Health Ministry (Sana'a)",
                outcome=INJURED,
                category=PEOPLE,
                figure=more_than(50),
                words="أكثر من 50 جريحا",
                evidence=_SANAA_MOH,
                report="sanaa-ar",
            ),
            DemoClaim(
                n=3,
                source="UN OHCHR",
                outcome=KILLED,
                category=CIVILIANS,
                figure=between(25, 30),
                words="between 25 and 30 civilians",
                evidence="The UN human rights office said between 25 and 30 civilians were killed"
                " in the airstrike on a residential district of Sana'a.",
                report="sanaa-en",
            ),
            DemoClaim(
                n=4,
                source="ACLED",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(27),
                words="27 civilian fatalities",
                evidence="ACLED recorded 27 civilian fatalities for the event.",
                report="sanaa-en",
            ),
        ),
    ),
    DemoIncident(
        slug="mosul-2017",
        title="Airstrike on a residential block, west Mosul (illustrative)",
        date_start=date(2017, 5, 13),
        type=IncidentType.AIRSTRIKE,
        perpetrator="US-led coalition",
        description=f"{ILLUSTRATIVE} 'At least 20' and an exact 23 do not conflict.",
        places=("mosul",),
        claims=(
            DemoClaim(
                n=1,
                source="Iraq Body Count",
                outcome=KILLED,
                category=CIVILIANS,
                figure=at_least(20),
                words="at least 20 civilians",
                evidence="Iraq Body Count said at least 20 civilians were killed",
                report="mosul-en",
                note="IBC says its count is incomplete.",
            ),
            DemoClaim(
                n=2,
                source="UN OHCHR",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(23),
                words="23 civilians",
                evidence=_MOSUL_UN,
                report="mosul-en",
            ),
            DemoClaim(
                n=3,
                source="UN OHCHR",
                outcome=INJURED,
                category=CIVILIANS,
                figure=exact(31),
                words="31 others",
                evidence=_MOSUL_UN,
                report="mosul-en",
            ),
        ),
    ),
    DemoIncident(
        slug="maarat-2019",
        title="Airstrikes on a market, Maarrat al-Nu'man (illustrative)",
        date_start=date(2019, 6, 3),
        type=IncidentType.AIRSTRIKE,
        perpetrator="Syrian government or Russian aircraft (alleged)",
        description=f"{ILLUSTRATIVE} A single source: killed (with children, written as the dual طفلان) and"
        " injured.",
        places=("maarat",),
        claims=(
            DemoClaim(
                n=1,
                source="Syrian Civil Defence",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(7),
                words="7 مدنيين",
                evidence=_MAARAT,
                report="maarat-ar",
            ),
            DemoClaim(
                n=2,
                source="Syrian Civil Defence",
                outcome=KILLED,
                category=CHILDREN,
                figure=exact(2),
                words="طفلان",
                evidence=_MAARAT,
                report="maarat-ar",
            ),
            DemoClaim(
                n=3,
                source="Syrian Civil Defence",
                outcome=INJURED,
                category=CIVILIANS,
                figure=exact(12),
                words="12 آخرين",
                evidence=_MAARAT,
                report="maarat-ar",
            ),
        ),
    ),
    DemoIncident(
        slug="gaza-city-2021",
        title="Strike on a house, Gaza City (illustrative)",
        date_start=date(2021, 5, 13),
        type=IncidentType.AIRSTRIKE,
        perpetrator="Israeli armed forces",
        description=f"{ILLUSTRATIVE} Two sources agree (10 killed, 4 of them children); Arabic and English.",
        places=("gaza-city",),
        claims=(
            DemoClaim(
                n=1,
                source="Gaza Ministry of Health",
                outcome=KILLED,
                category=PEOPLE,
                figure=exact(10),
                words="10 فلسطينيين",
                evidence=_GAZA_MOH,
                report="gaza-ar",
            ),
            DemoClaim(
                n=2,
                source="Gaza Ministry of Health",
                outcome=KILLED,
                category=CHILDREN,
                figure=exact(4),
                words="4 أطفال",
                evidence=_GAZA_MOH,
                report="gaza-ar",
            ),
            DemoClaim(
                n=3,
                source="Gaza Ministry of Health",
                outcome=INJURED,
                category=PEOPLE,
                figure=exact(25),
                words="25 آخرون",
                evidence=_GAZA_MOH,
                report="gaza-ar",
            ),
            DemoClaim(
                n=4,
                source="UN OHCHR",
                outcome=KILLED,
                category=PEOPLE,
                figure=exact(10),
                words="10 people",
                evidence=_GAZA_UN,
                report="gaza-en",
            ),
            DemoClaim(
                n=5,
                source="UN OHCHR",
                outcome=KILLED,
                category=CHILDREN,
                figure=exact(4),
                words="4 children",
                evidence=_GAZA_UN,
                report="gaza-en",
            ),
        ),
    ),
    DemoIncident(
        slug="kharkiv-2022",
        title="Shelling of a residential area, Kharkiv (illustrative)",
        date_start=date(2022, 4, 18),
        type=IncidentType.SHELLING,
        perpetrator="Russian armed forces",
        description=f"{ILLUSTRATIVE} A source lowers its toll (8, then 6) and says why; 'about 20' injured.",
        places=("kharkiv",),
        claims=(
            DemoClaim(
                n=1,
                source="Kharkiv Regional Military Administration",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(8),
                words="8 civilians",
                evidence=_KHARKIV_1,
                report="kharkiv-en-1",
            ),
            DemoClaim(
                n=2,
                source="Kharkiv Regional Military Administration",
                outcome=INJURED,
                category=CIVILIANS,
                figure=about(20),
                words="about 20 wounded",
                evidence=_KHARKIV_1,
                report="kharkiv-en-1",
            ),
            DemoClaim(
                n=3,
                source="Kharkiv Regional Military Administration",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(6),
                words="6 civilians",
                evidence="lowered the death toll from the shelling to 6 civilians,"
                " saying two victims had been counted twice",
                report="kharkiv-en-2",
                note="Revised down from 8: the administration said two victims had been counted twice.",
            ),
            DemoClaim(
                n=4,
                source="UN OHCHR",
                outcome=KILLED,
                category=CIVILIANS,
                figure=exact(6),
                words="6 civilian deaths",
                evidence="The UN Human Rights Monitoring Mission in Ukraine said"
                " it had verified 6 civilian deaths",
                report="kharkiv-en-3",
            ),
        ),
    ),
    DemoIncident(
        slug="rafah-2024",
        title="Strike on a house, Rafah (illustrative)",
        date_start=date(2024, 2, 20),
        type=IncidentType.AIRSTRIKE,
        perpetrator="Israeli armed forces",
        description=f"{ILLUSTRATIVE} A range (8-12 civilians) and 'at least 9' agree; over 20 injured.",
        places=("rafah",),
        claims=(
            DemoClaim(
                n=1,
                source="Gaza Ministry of Health",
                outcome=KILLED,
                category=PEOPLE,
                figure=exact(11),
                words="11 شخصا",
                evidence=_RAFAH_MOH,
                report="rafah-ar",
            ),
            DemoClaim(
                n=2,
                source="Gaza Ministry of Health",
                outcome=INJURED,
                category=PEOPLE,
                figure=more_than(20),
                words="أكثر من 20 آخرين",
                evidence=_RAFAH_MOH,
                report="rafah-ar",
            ),
            DemoClaim(
                n=3,
                source="Airwars",
                outcome=KILLED,
                category=CIVILIANS,
                figure=between(8, 12),
                words="between 8 and 12 civilians",
                evidence="Airwars assessed that between 8 and 12 civilians were killed"
                " in the strike on a house in Rafah.",
                report="rafah-en",
            ),
            DemoClaim(
                n=4,
                source="UN OHCHR",
                outcome=KILLED,
                category=CIVILIANS,
                figure=at_least(9),
                words="at least 9 civilians",
                evidence="The UN human rights office said it had verified"
                " that at least 9 civilians were killed.",
                report="rafah-en",
            ),
        ),
    ),
)

INCIDENTS: tuple[DemoIncident, ...] = (HAJIN, HMEYMIM, *ILLUSTRATIVE_INCIDENTS)


# Loading --------------------------------------------------------------------------------------------------

KINDS = ("incidents", "claims", "sources", "aliases", "reports", "places")


class Writer(Protocol):
    """Where progress goes: a management command's ``self.stdout`` or any text stream."""

    def write(self, msg: str, /) -> object: ...


@dataclass
class DemoResult:
    """How many demo rows of each kind were created, and how many were already there."""

    created: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())

    def summary(self) -> str:
        """One line: "Demo data: created 10 incidents, ...; already present: 0 incidents, ..."."""
        created = ", ".join(f"{self.created[kind]} {kind}" for kind in KINDS)
        present = ", ".join(f"{self.present[kind]} {kind}" for kind in KINDS)
        return f"Demo data: created {created}; already present: {present}."


@dataclass
class _Loader:
    result: DemoResult
    stdout: Writer | None
    sources: dict[str, Source] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)

    def say(self, line: str) -> None:
        if self.stdout is not None:
            self.stdout.write(f"{line}\n")

    def count(self, kind: str, created: bool) -> None:
        (self.result.created if created else self.result.present)[kind] += 1

    def source(self, spec: DemoSource) -> Source:
        existing = Source.objects.filter(name=spec.name).first()
        if existing is not None:
            # An admin may have curated the source since: only missing spellings are added, fields are kept.
            source = upsert_source(name=spec.name, aliases=spec.aliases)
        else:
            source = upsert_source(
                name=spec.name,
                aliases=spec.aliases,
                name_en=spec.name_en,
                name_ar=spec.name_ar,
                kind=spec.kind,
                affiliation=spec.affiliation,
                country=spec.country,
                website=spec.website,
                notes=spec.notes,
            )
        self.count("sources", existing is None)
        return source

    def place(self, spec: DemoPlace) -> Place:
        parent = self.places[spec.parent] if spec.parent else None
        if spec.pcode:
            existing = Place.objects.filter(pcode=spec.pcode).first()
        else:
            existing = Place.objects.filter(name_en=spec.name_en, parent=parent).first()
        self.count("places", existing is None)
        if existing is not None:
            return existing
        return create_place(
            name_en=spec.name_en,
            name_ar=spec.name_ar,
            level=spec.level,
            parent=parent,
            pcode=spec.pcode,
            aliases=list(spec.aliases),
        )

    def report(self, spec: DemoReport) -> Report:
        report, created = create_report(
            publisher=self.sources[spec.publisher],
            text=spec.text,
            url=spec.url,
            title=spec.title,
            published_on=spec.published_on,
            language=spec.language,
            import_batch=IMPORT_BATCH,
        )
        self.count("reports", created)
        return report

    def incident(self, spec: DemoIncident) -> Incident:
        incident = Incident.objects.filter(external_id=spec.external_id).first()
        self.count("incidents", incident is None)
        if incident is None:
            incident = create_incident(
                title=spec.title,
                date_start=spec.date_start,
                date_end=spec.date_end,
                date_precision=spec.date_precision,
                places=[self.places[key] for key in spec.places],
                type=spec.type,
                perpetrator=spec.perpetrator,
                description=spec.description,
                external_id=spec.external_id,
            )
            self.say(f"  + {spec.external_id}: {spec.title}")
        for claim in spec.claims:
            self.claim(incident, spec.claim_external_id(claim), claim)
        return incident

    def claim(self, incident: Incident, external_id: str, spec: DemoClaim) -> None:
        source = self.sources[spec.source]
        exists = Claim.objects.filter(claimed_by=source, external_id=external_id).exists()
        self.count("claims", not exists)
        if exists:
            return
        report = self.reports[spec.report] if spec.report else None
        start = report.text.find(spec.evidence) if report is not None else -1
        # Claims are created in the order stated, so create_claim links a revision to the figure it replaces.
        create_claim(
            incident=incident,
            claimed_by=source,
            report=report,
            outcome=spec.outcome,
            category=spec.category,
            party=spec.party,
            low=spec.figure.low,
            high=spec.figure.high,
            qualifier=spec.figure.qualifier,
            words=spec.words,
            evidence=spec.evidence,
            evidence_start=start if start >= 0 else None,
            evidence_end=start + len(spec.evidence) if start >= 0 else None,
            stated_on=spec.stated_on,
            external_id=external_id,
            note=spec.note,
        )


def load_demo(*, stdout: Writer | None = None) -> DemoResult:
    """Write the demo data through the services in one transaction; rows already there are left unchanged."""
    loader = _Loader(result=DemoResult(), stdout=stdout)
    with transaction.atomic():
        aliases_before = SourceAlias.objects.count()
        for source_spec in SOURCES:
            loader.sources[source_spec.name] = loader.source(source_spec)
        for place_spec in PLACES:
            loader.places[place_spec.key] = loader.place(place_spec)
        for report_spec in REPORTS:
            loader.reports[report_spec.key] = loader.report(report_spec)
        for incident_spec in INCIDENTS:
            loader.incident(incident_spec)
        created_aliases = SourceAlias.objects.count() - aliases_before
        demo_aliases = SourceAlias.objects.filter(source__in=loader.sources.values()).count()
        loader.result.created["aliases"] = created_aliases
        loader.result.present["aliases"] = demo_aliases - created_aliases
    return loader.result


# Accounts -------------------------------------------------------------------------------------------------

DEMO_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("analyst", "Analyst"),
    ("editor", "Editor"),
    ("admin", "Admin"),
)


@transaction.atomic
def create_demo_accounts(password: str) -> list[str]:
    """Ensure users analyst, editor and admin in their groups, with ``password``; returns their usernames.

    ``admin`` is staff (to reach the Django admin) but not a superuser: its rights come from the Admin group.
    Existing users keep their other fields; only the password is reset and the group membership ensured.
    """
    user_model = get_user_model()
    usernames: list[str] = []
    for username, role in DEMO_ACCOUNTS:
        group = Group.objects.get(name=role)
        user, _ = user_model.objects.get_or_create(username=username, defaults={"is_staff": role == "Admin"})
        user.set_password(password)
        user.save(update_fields=["password"])
        user.groups.add(group)
        usernames.append(username)
    return usernames
