"""Arabic word classes for casualty figures, written as in the press and folded when loaded.

Lists are by class (victim nouns by category, casualty words by outcome, hedges, units, reporting
verbs...), never by example sentence. Spellings are folded (`normalize.fold_word`), so hamza forms,
alef maksura and teh marbuta need not be repeated. Proclitics (و ف ب ل ك ال) are stripped at lookup
by `variants`, so only bare forms are listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Final

from sources.extraction.normalize import fold_word
from sources.extraction.tokens import Category, Force, Lexicon, Outcome, Trigger, Victim, WordInfo, build


def _noun(
    singular: Iterable[str],
    dual: Iterable[str],
    plural: Iterable[str],
    category: Category,
    outcome: Outcome | None = None,
) -> Iterator[tuple[list[str], WordInfo]]:
    """Forms of one victim noun; singulars get their accusative "-ا" ("مدنيا") automatically."""
    singles = list(singular)
    accusative = [s + "ا" for s in singles if not s.endswith(("ة", "ى", "ا", "ء"))]
    yield singles + accusative, WordInfo(victim=Victim(category, 1, outcome))
    yield list(dual), WordInfo(victim=Victim(category, 2, outcome))
    yield list(plural), WordInfo(victim=Victim(category, 0, outcome))


def _victims() -> Iterator[tuple[list[str], WordInfo]]:
    # Nouns that carry their outcome: a figure before them needs no other casualty word.
    yield from _noun(["قتيل"], ["قتيلان", "قتيلين"], ["قتلى", "قتلي"], "people", "killed")
    yield from _noun(["شهيد"], ["شهيدان", "شهيدين"], ["شهداء", "شهدا"], "people", "killed")
    yield from _noun(["جثة"], ["جثتان", "جثتين"], ["جثث"], "people", "killed")
    yield from _noun(["ضحية"], ["ضحيتان", "ضحيتين"], ["ضحايا"], "people", "killed")
    yield from _noun(["ميت"], [], ["أموات", "موتى"], "people", "killed")
    # Event nouns count only after a figure ("300 إصابة"); alone ("وإصابة 20") they are casualty words.
    yield ["وفيات"], WordInfo(victim=Victim("people", 0, "killed"))
    yield from _noun(["جريح"], ["جريحان", "جريحين"], ["جرحى"], "people", "injured")
    yield from _noun(["مصاب"], ["مصابان"], ["مصابين", "مصابون"], "people", "injured")
    yield ["إصابة", "إصابات"], WordInfo(victim=Victim("people", 0, "injured"))
    # People of unstated status.
    yield from _noun(["شخص"], ["شخصان", "شخصين"], ["أشخاص", "شخوص"], "people")
    yield from _noun(["فرد"], ["فردان", "فردين"], ["أفراد"], "people")
    yield from _noun(["شاب"], ["شابان", "شابين"], ["شبان", "شباب"], "people")
    yield from _noun(["فتاة"], ["فتاتان", "فتاتين"], ["فتيات"], "people")
    yield from _noun(
        ["محتج", "متظاهر"], ["محتجان", "متظاهران"], ["محتجين", "محتجون", "متظاهرين", "متظاهرون"], "people"
    )
    yield from _noun(["مسن"], ["مسنان"], ["مسنين", "مسنون"], "people")
    yield from _noun(["عامل"], ["عاملان"], ["عمال"], "people")
    yield from _noun(["مصل"], [], ["مصلين", "مصلون"], "people")
    yield from _noun(
        ["صحفي", "صحافي"], ["صحفيان", "صحافيان"], ["صحفيين", "صحافيين", "صحفيون", "صحافيون"], "people"
    )
    yield from _noun(["لاجئ", "نازح", "مهاجر"], [], ["لاجئين", "نازحين", "مهاجرين"], "people")
    yield from _noun(["مدني"], ["مدنيان"], ["مدنيين", "مدنيون"], "civilians")
    yield from _noun(["مواطن"], ["مواطنان"], ["مواطنين", "مواطنون"], "civilians")
    yield from _noun(["طفل"], ["طفلان", "طفلين"], ["أطفال"], "children")
    yield from _noun(["طفلة"], ["طفلتان", "طفلتين"], ["طفلات"], "children")
    yield from _noun(["رضيع"], ["رضيعان", "رضيعين"], ["رضع"], "children")
    yield from _noun(["قاصر"], ["قاصران"], ["قاصرين", "قصر"], "children")
    yield from _noun(["فتى", "صبي"], [], ["فتيان", "فتية", "صبية"], "children")
    yield from _noun(["تلميذ"], ["تلميذان", "تلميذين"], ["تلاميذ"], "children")
    yield from _noun(
        ["امرأة", "سيدة"], ["امرأتان", "امرأتين", "سيدتان", "سيدتين"], ["نساء", "نسوة", "سيدات"], "women"
    )
    yield from _noun(["رجل"], ["رجلان", "رجلين"], ["رجال"], "men")
    yield from _noun(
        ["شقيق", "أخ", "ابن", "قريب"],
        ["شقيقان", "شقيقين", "أخوان", "أخوين", "ابنان", "ابنين"],
        ["أشقاء", "إخوة", "أخوة", "أبناء", "أقارب"],
        "people",
    )
    yield from _noun(
        ["شقيقة", "أخت", "ابنة", "زوجة"],
        ["شقيقتان", "شقيقتين", "ابنتان", "ابنتين"],
        ["شقيقات", "أخوات", "بنات", "زوجات", "أمهات"],
        "women",
    )
    yield from _noun(["مسلح"], ["مسلحان"], ["مسلحين", "مسلحون", "مسلحي"], "combatants")
    yield from _noun(["مقاتل"], ["مقاتلان"], ["مقاتلين", "مقاتلون", "مقاتلي"], "combatants")
    yield from _noun(["متمرد"], ["متمردان"], ["متمردين", "متمردون"], "combatants")
    yield from _noun(["عنصر"], ["عنصران", "عنصرين"], ["عناصر"], "combatants")
    yield from _noun(["إرهابي"], ["إرهابيان"], ["إرهابيين", "إرهابيون"], "combatants")
    yield from _noun(["متشدد"], ["متشددان"], ["متشددين", "متشددون"], "combatants")
    yield from _noun(["جهادي"], ["جهاديان"], ["جهاديين", "جهاديون"], "combatants")
    yield from _noun(["حوثي"], ["حوثيان"], ["حوثيين", "حوثيون"], "combatants")
    yield from _noun(["داعشي"], [], ["دواعش"], "combatants")
    yield from _noun(["قيادي"], ["قياديان"], ["قياديين", "قياديون"], "combatants")
    yield from _noun(["مرتزق"], [], ["مرتزقة"], "combatants")
    yield from _noun(["ثائر"], [], ["ثوار"], "combatants")
    yield from _noun(["مجاهد"], [], ["مجاهدين", "مجاهدون"], "combatants")
    yield from _noun(["جندي"], ["جنديان", "جنديين"], ["جنود"], "security_forces")
    yield from _noun(["عسكري"], ["عسكريان"], ["عسكريين", "عسكريون"], "security_forces")
    yield from _noun(["شرطي"], ["شرطيان"], ["شرطيين", "شرطيون"], "security_forces")
    yield from _noun(["ضابط"], ["ضابطان", "ضابطين"], ["ضباط"], "security_forces")
    yield from _noun(["حارس"], ["حارسان", "حارسين"], ["حراس"], "security_forces")
    yield from _noun(["مجند"], ["مجندان"], ["مجندين", "مجندون", "مجندي"], "security_forces")
    yield from _noun(["أمني"], [], ["أمنيين"], "security_forces")
    yield from _noun(["طيار"], ["طياران", "طيارين"], [], "security_forces")
    # Combined figures: "110 بين قتيل وجريح", "50 قتيلا وجريحا".
    combined = WordInfo(
        victim=Victim("people", 0, "killed_or_injured"), trigger=Trigger("killed_or_injured", True, True)
    )
    yield (
        [
            f"{lead}{a} و{b}"
            for lead in ("", "بين ", "ما بين ")
            for a, b in (
                ("قتيل", "جريح"),
                ("قتيلا", "جريحا"),
                ("قتيل", "مصاب"),
                ("قتلى", "جرحى"),
                ("قتلى", "مصابين"),
                ("شهيد", "جريح"),
                ("شهداء", "جرحى"),
                ("شهيد", "مصاب"),
            )
        ],
        combined,
    )


def _triggers() -> Iterator[tuple[list[str], WordInfo]]:
    killed_nouns = ["مقتل", "استشهاد", "مصرع", "إعدام", "اغتيال", "تصفية", "حصيلة", "وفاة"]
    killed_verbs = [
        "قتل", "قتلت", "قتلوا", "قتلن", "يقتل", "تقتل", "قتلا", "استشهد", "استشهدت", "استشهدوا", "استشهدا",
        "توفي", "توفيت", "توفوا", "قضى", "قضوا", "أعدم", "أعدموا", "اغتيل", "لقي", "لقيت", "لقوا",
    ]  # fmt: skip
    killed_phrases = [
        f"{verb} {noun}"
        for verb in ("لقي", "لقيت", "لقوا", "لقيا")
        for noun in ("حتفه", "حتفها", "حتفهم", "حتفهما", "مصرعه", "مصرعها", "مصرعهم", "مصرعهما")
    ] + [
        "أودى بحياة", "أودت بحياة", "راح ضحيته", "راح ضحيتها", "راح ضحيتهم", "ذهب ضحيته", "حصد أرواح",
        "حصدت أرواح", "يحصد أرواح", "سقطوا قتلى",
    ]  # fmt: skip
    yield killed_nouns, WordInfo(trigger=Trigger("killed", True, False))
    yield killed_verbs + killed_phrases, WordInfo(trigger=Trigger("killed", True, True))
    yield ["إصابة", "جرح"], WordInfo(trigger=Trigger("injured", True, False))
    yield (
        ["أصيب", "أصيبت", "أصيبوا", "أصيبا", "يصاب", "جرحت", "جرحوا", "جرحا", "أصبن"],
        WordInfo(trigger=Trigger("injured", True, True)),
    )
    yield ["جروح", "جراح", "جروحهم", "جراحهم"], WordInfo(trigger=Trigger("injured", False, True))
    yield ["قتلى", "قتلي", "شهداء", "ضحايا", "جثث", "وفيات"], WordInfo(trigger=Trigger("killed", True, False))
    yield ["جرحى", "مصابين", "إصابات"], WordInfo(trigger=Trigger("injured", True, False))
    yield (
        [
            f"{a} و{b}"
            for a, b in (
                ("مقتل", "جرح"),
                ("مقتل", "إصابة"),
                ("قتل", "جرح"),
                ("قتل", "إصابة"),
                ("استشهاد", "إصابة"),
                ("استشهاد", "جرح"),
            )
        ],
        WordInfo(trigger=Trigger("killed_or_injured", True, False)),
    )


_HEDGES: Final[dict[str, list[str]]] = {
    "more_than": [
        "أكثر من", "ما يزيد عن", "ما يزيد على", "يزيد عن", "يزيد على", "ما يربو على", "يربو على", "أزيد من",
        "ما يفوق", "يفوق", "ما يتجاوز", "يتجاوز",
    ],
    "at_least": ["ما لا يقل عن", "لا يقل عن", "ما لا يقل عن", "لا تقل عن", "ما لا تقل عن"],
    "about": [
        "نحو", "حوالي", "حوالى", "قرابة", "زهاء", "ما يقارب", "يقارب", "ما يناهز", "يناهز", "ما يقرب من",
        "قرابه", "ما يقدر بنحو",
    ],
    "up_to": ["أقل من", "ما يصل إلى", "ما يصل الى", "يصل إلى", "ما دون"],
}  # fmt: skip


def _hedges() -> Iterator[tuple[list[str], WordInfo]]:
    for qualifier, spellings in _HEDGES.items():
        yield spellings, WordInfo(hedge=qualifier)  # type: ignore[arg-type]
    yield ["تقريبا"], WordInfo(hedge="about", hedge_after=True, hedge_before=False)
    yield ["على الأقل", "على الاقل", "في الأقل"], WordInfo(hedge="at_least", hedge_after=True)
    yield ["بين", "ما بين"], WordInfo(range_start=True)
    yield ["إلى", "أو", "-", "–"], WordInfo(range_link=True)


_UNITS: Final = [
    "ساعة",
    "ساعات",
    "ساعتين",
    "ساعتان",
    "يوم",
    "يوما",
    "يومين",
    "أيام",
    "أسبوع",
    "أسبوعا",
    "أسبوعين",
    "أسابيع",
    "شهر",
    "شهرا",
    "شهرين",
    "أشهر",
    "شهور",
    "سنة",
    "سنتين",
    "سنوات",
    "سنين",
    "عام",
    "عاما",
    "عامين",
    "أعوام",
    "دقيقة",
    "دقائق",
    "ثانية",
    "ثوان",
    "كيلومتر",
    "كيلومترا",
    "كيلومترات",
    "كلم",
    "كم",
    "متر",
    "مترا",
    "أمتار",
    "ميل",
    "ميلا",
    "أميال",
    "مرة",
    "مرتين",
    "مرات",
    "غارة",
    "غارات",
    "غارتين",
    "ضربة",
    "ضربات",
    "صاروخ",
    "صاروخا",
    "صاروخين",
    "صواريخ",
    "قذيفة",
    "قذائف",
    "برميل",
    "براميل",
    "عبوة",
    "عبوات",
    "هجوم",
    "هجمات",
    "هجوما",
    "هجومين",
    "تفجير",
    "تفجيرات",
    "عملية",
    "عمليات",
    "انفجار",
    "انفجارات",
    "منزل",
    "منزلا",
    "منازل",
    "مبنى",
    "مباني",
    "بيت",
    "بيوت",
    "دولار",
    "دولارا",
    "دولارات",
    "ريال",
    "ريالا",
    "جنيه",
    "جنيها",
    "يورو",
    "بلاغ",
    "بلاغا",
    "بلاغات",
    "خط",
    "خطا",
    "خطوط",
    "عربة",
    "عربات",
    "دبابة",
    "دبابات",
    "آلية",
    "آليات",
    "سيارة",
    "سيارات",
    "طائرة",
    "طائرات",
    "مروحية",
    "مروحيات",
    "متهم",
    "متهما",
    "متهمين",
    "معتقل",
    "معتقلا",
    "معتقلين",
    "أسير",
    "أسيرا",
    "أسرى",
    "موقوف",
    "موقوفين",
    "مفقود",
    "مفقودا",
    "مفقودين",
    "موقع",
    "مواقع",
    "قرية",
    "قرى",
    "بلدة",
    "مدرسة",
    "مدارس",
    "هدف",
    "أهداف",
    "طلعة",
    "طلعات",
    "رصاصة",
    "درجة",
    "نقطة",
    "بالمئة",
    "بالمائة",
    "في_المئة",
    "طن",
    "أطنان",
    "لتر",
    "جولة",
    "جولات",
    "مقعد",
    "مقعدا",
    "مقاعد",
    "صوت",
    "صوتا",
    "هدفا",
    "حالة",
    "حالات",
    "مسجد",
    "كنيسة",
    "جنرالا",
]
_BLOCKS_NEXT: Final = [
    "عام",
    "العام",
    "سنة",
    "السنة",
    "الساعة",
    "الدقيقة",
    "الفرقة",
    "اللواء",
    "الكتيبة",
    "رقم",
    "الرقم",
    "خط",
    "المادة",
    "القرار",
    "تاريخ",
    "بتاريخ",
    "البند",
    "الفقرة",
    "الجولة",
    "المرحلة",
    "الدورة",
    "الطريق",
    "العمر",
    "عمر",
    "الصفحة",
    "الأرقام",
    "مواليد",
    "المجموعة",
    "القطاع",
    "الحي",
    "الشارع",
    "المبنى",
    "الجيل",
    "الموسم",
]
_MONTHS: Final = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ابريل",
    "إبريل",
    "مايو",
    "يونيو",
    "يونيه",
    "يوليو",
    "يوليه",
    "أغسطس",
    "اغسطس",
    "سبتمبر",
    "أكتوبر",
    "اكتوبر",
    "نوفمبر",
    "ديسمبر",
    "كانون",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين",
]
_DAYS: Final = [
    "السبت",
    "الأحد",
    "الاثنين",
    "الإثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "أمس",
    "اليوم",
    "غدا",
    "صباح",
    "مساء",
    "ليل",
    "ليلة",
    "فجر",
    "ظهر",
    "عصر",
    "فجرا",
    "صباحا",
    "مساء",
    "ليلا",
    "ظهرا",
    "أمس_الأول",
    "لاحقا",
    "أيضا",
    "كذلك",
    "حاليا",
    "مؤخرا",
    "سابقا",
]
_REPORT_VERBS: Final = [
    "قال",
    "قالت",
    "يقول",
    "تقول",
    "قالوا",
    "أعلن",
    "أعلنت",
    "يعلن",
    "تعلن",
    "أعلنوا",
    "أكد",
    "أكدت",
    "يؤكد",
    "تؤكد",
    "أكدوا",
    "أفاد",
    "أفادت",
    "يفيد",
    "تفيد",
    "أفادوا",
    "ذكر",
    "ذكرت",
    "يذكر",
    "تذكر",
    "ذكروا",
    "أوضح",
    "أوضحت",
    "يوضح",
    "توضح",
    "وثق",
    "وثقت",
    "يوثق",
    "توثق",
    "أشار",
    "أشارت",
    "يشير",
    "تشير",
    "أشاروا",
    "أضاف",
    "أضافت",
    "يضيف",
    "تضيف",
    "تحدث",
    "تحدثت",
    "يتحدث",
    "تتحدث",
    "صرح",
    "صرحت",
    "رصد",
    "رصدت",
    "سجل",
    "سجلت",
    "كشف",
    "كشفت",
    "أحصى",
    "أحصت",
    "نشر",
    "نشرت",
    "أبلغ",
    "أبلغت",
    "قدر",
    "قدرت",
    "زعم",
    "زعمت",
    "ادعى",
    "ادعت",
    "اعترف",
    "اعترفت",
    "تابع",
    "تابعت",
    "بث",
    "بثت",
    "أورد",
    "أوردت",
    "أوردت",
]
_VIA_VERBS: Final = ["نقل", "نقلت", "ينقل", "تنقل", "نقلوا"]
_REPORT_ADVERBS: Final = [
    "بحسب", "حسب", "وفقا", "وفق", "طبقا", "نقلا عن", "استنادا إلى", "استنادا الى", "على لسان", "بحسب ما ذكر",
    "بحسب ما ذكرت", "بحسب ما أفاد", "بحسب ما أفادت", "بحسب ما أعلن", "بحسب ما أعلنت", "بحسب ما أورد",
    "بحسب ما أوردت", "حسب ما ذكر", "حسب ما ذكرت", "حسبما", "بحسب ما نقلت", "بحسب ما ورد", "وفق ما",
]  # fmt: skip
_SUBJECT_STOPS: Final = [
    "أن",
    "إن",
    "ان",
    "أنه",
    "إنه",
    "انه",
    "أنها",
    "إنها",
    "بأن",
    "بان",
    "بأنه",
    "بأنها",
    "عن",
    "إلى",
    "الى",
    "في",
    "خلال",
    "حيث",
    "بعد",
    "قبل",
    "عقب",
    "منذ",
    "ضمن",
    "مشيرا",
    "موضحا",
    "مؤكدا",
    "مضيفا",
    "قائلا",
    "لافتا",
    "لافتة",
    "مشيرة",
    "موضحة",
    "مؤكدة",
    "مضيفة",
    "بيان",
    "تصريح",
    "تصريحات",
    "أمام",
    "لدى",
    "ل",
    "لـ",
    "على",
    "فيه",
    "فيها",
    "فيهم",
    "بعنوان",
    "تقريرا",
    "بيانا",
    "تقريرًا",
    "رسالة",
]
_MEDIA_NOUNS: Final = [
    "وكالة",
    "صحيفة",
    "قناة",
    "موقع",
    "تلفزيون",
    "إذاعة",
    "محطة",
    "الصحفيين",
    "الصحافيين",
    "الصحافة",
    "مراسل",
]
_BARRIERS: Final = [
    "اعتقال",
    "اعتقل",
    "اعتقلت",
    "اعتقلوا",
    "خطف",
    "خطفت",
    "اختطاف",
    "اختطف",
    "اختطفت",
    "أسر",
    "أسرت",
    "فقدان",
    "فقد",
    "فقدوا",
    "نزوح",
    "نزح",
    "تهجير",
    "إجلاء",
    "أجلي",
    "إنقاذ",
    "أنقذ",
    "تدريب",
    "تلقوا",
    "اجتازوا",
    "انشقاق",
    "انشق",
    "هروب",
    "فر",
    "فروا",
    "توقيف",
    "أوقف",
    "القبض",
    "محاكمة",
    "يحاكم",
    "حاكم",
    "تسجيل",
    "إطلاق_سراح",
    "إصابته",
    "إصابتها",
    "تجنيد",
    "تسليم",
    "سلم",
    "استسلام",
    "أسرى",
    "اعتقالات",
    "احتجاز",
    "احتجز",
]
_PLACE_TYPES: Final = [
    "مدينة",
    "بلدة",
    "بلدات",
    "قرية",
    "قرى",
    "محافظة",
    "منطقة",
    "حي",
    "أحياء",
    "ريف",
    "مديرية",
    "ولاية",
    "مخيم",
    "العاصمة",
    "إقليم",
    "ضاحية",
    "ناحية",
    "قضاء",
    "بلدتي",
    "مدينتي",
    "قريتي",
    "محافظتي",
    "مدن",
    "بلدية",
]
_COORDINATORS: Final = [
    "بالإضافة إلى",
    "بالاضافة الى",
    "إضافة إلى",
    "اضافة الى",
    "فضلا عن",
    "علاوة على",
    "مقابل",
]
# Words that extend a victim noun phrase without changing who the victims are ("الموالين لها").
_ATTRIBUTIVES: Final = [
    "الموالين",
    "الموالية",
    "الموالي",
    "موالين",
    "موالية",
    "التابعين",
    "التابعة",
    "التابع",
    "تابعين",
    "المنشقين",
    "منشقا",
    "منشقين",
    "منشق",
    "لها",
    "له",
    "لهم",
]
_OTHERS: Final = ["آخرين", "آخرون", "آخر", "أخرى", "آخرات", "آخريات", "الآخرين"]
_PARTS_PRE: Final = [
    "بينهم", "بينهن", "بينها", "من بينهم", "من بينهن", "بما فيهم", "بما فيهن", "من ضمنهم", "ضمنهم",
    "يتوزعون إلى", "يتوزعون على", "توزعوا على", "توزعوا بين", "منهم", "منهن",
]  # fmt: skip

# Armed forces named after a figure ("من قوات النظام"), by the category their members fall in.
_FORCES: Final[list[tuple[list[str], Category, str | None]]] = [
    (["جيش", "الجيش", "الجيوش", "شرطة", "أمن", "الحرس", "الدرك", "الجنود", "القوات المسلحة", "حرس الحدود"],
     "security_forces", None),
    (["قوات النظام", "القوات النظامية", "القوات الحكومية", "قوات الحكومة", "القوات الموالية", "جيش النظام"],
     "security_forces", "government forces"),
    (["قوات الأمن", "القوات الأمنية", "الأجهزة الأمنية", "رجال الأمن", "رجال الشرطة"], "security_forces", None),
    (["قوات الاحتلال", "جيش الاحتلال"], "security_forces", "Israeli army"),
    (["الحرس الثوري"], "security_forces", "IRGC"),
    (["الجيش الحر", "الجيش السوري الحر"], "combatants", "Free Syrian Army"),
    (["تنظيم", "جماعة", "المعارضة", "المقاومة", "ميليشيات", "الميليشيات", "ميليشيا", "مليشيات", "المليشيات",
      "الفصائل", "فصائل", "الكتائب", "المتمردين", "المسلحين", "المرتزقة", "اللجان الشعبية", "الحشد"],
     "combatants", None),
    (["داعش", "تنظيم الدولة", "الدولة الإسلامية", "تنظيم داعش"], "combatants", "ISIS"),
    (["جبهة النصرة", "النصرة"], "combatants", "al-Nusra Front"),
    (["حزب الله"], "combatants", "Hezbollah"),
    (["الحوثي", "الحوثيين", "الحوثيون", "أنصار الله"], "combatants", "Houthis"),
    (["طالبان"], "combatants", "Taliban"),
    (["القاعدة"], "combatants", "al-Qaeda"),
    (["وحدات الحماية", "وحدات حماية الشعب"], "combatants", "YPG"),
]  # fmt: skip

NATIONALITIES: Final[dict[str, str]] = {
    "سوري": "Syrian", "عراقي": "Iraqi", "أفغاني": "Afghan", "تركي": "Turkish", "مصري": "Egyptian",
    "يمني": "Yemeni", "روسي": "Russian", "إسرائيلي": "Israeli", "لبناني": "Lebanese", "فلسطيني": "Palestinian",
    "إيراني": "Iranian", "سعودي": "Saudi", "أمريكي": "US", "أميركي": "US", "ليبي": "Libyan", "نيجيري": "Nigerian",
    "باكستاني": "Pakistani", "كردي": "Kurdish", "أردني": "Jordanian", "تونسي": "Tunisian", "سوداني": "Sudanese",
    "صومالي": "Somali", "هندي": "Indian", "فرنسي": "French", "بريطاني": "British", "إماراتي": "Emirati",
}  # fmt: skip
_BROKEN_NATIONALITIES: Final = {"أفغان": "Afghan", "أكراد": "Kurdish", "أتراك": "Turkish", "روس": "Russian"}


def _nationalities() -> Iterator[tuple[list[str], WordInfo]]:
    for stem, name in NATIONALITIES.items():
        forms = [stem + suffix for suffix in ("", "ا", "ة", "ان", "ين", "ون", "تان", "تين", "ات")]
        forms += [stem[:-1] + suffix for suffix in ("يين", "يون")] if stem.endswith("ي") else []
        yield forms, WordInfo(nationality=name)
    for stem, name in _BROKEN_NATIONALITIES.items():
        yield [stem], WordInfo(nationality=name)


def _entries() -> Iterator[tuple[list[str], WordInfo]]:
    yield from _victims()
    yield from _triggers()
    yield from _hedges()
    yield from _nationalities()
    yield [u.replace("_", " ") for u in _UNITS], WordInfo(unit=True)
    yield _BLOCKS_NEXT, WordInfo(blocks_next=True)
    yield _MONTHS, WordInfo(month=True, unit=True)
    yield [d.replace("_", " ") for d in _DAYS], WordInfo(subject_stop=True, unit=True)
    yield _REPORT_VERBS, WordInfo(report="verb")
    yield _VIA_VERBS, WordInfo(report="via")
    yield _REPORT_ADVERBS, WordInfo(report="adv")
    yield _SUBJECT_STOPS, WordInfo(subject_stop=True)
    yield [b.replace("_", " ") for b in _BARRIERS], WordInfo(barrier=True)
    yield _PLACE_TYPES, WordInfo(place_type=True)
    yield _OTHERS, WordInfo(others=True)
    yield _PARTS_PRE, WordInfo(part="pre")
    yield ["منهم", "منهن", "منها"], WordInfo(part="both")
    yield ["من"], WordInfo(of=True, function=True)
    vague = ["عشرات", "مئات", "آلاف", "المئات", "الآلاف", "بضعة", "بضع", "عشرات الآلاف", "مئات الآلاف"]
    yield [*vague, "عشرات آلاف", "مئات آلاف"], WordInfo(vague=True)
    yield ["ال", "الـ"], WordInfo(article=True, blocks_next=True)
    yield _COORDINATORS, WordInfo(coordinator=True, function=True)
    yield _ATTRIBUTIVES, WordInfo(attributive=True)
    yield (
        ["سقوط", "سقط", "سقطوا", "خسارة", "خسائر"],
        WordInfo(trigger=Trigger("killed", True, False, weak=True)),
    )
    yield ["عن", "إلى", "الى", "في", "على", "ب", "جراء", "إثر", "اثر", "بسبب"], WordInfo(function=True)
    for spellings, category, party in _FORCES:
        yield spellings, WordInfo(force=Force(category, party))


_PROCLITIC_CONJ: Final = ("و", "ف")
_PROCLITIC_PREP: Final = ("ب", "ل", "ك")


@lru_cache(maxsize=65536)
def variants(norm: str) -> tuple[tuple[str, int, bool, bool], ...]:
    """Readings of a folded Arabic word: (stem, proclitic length, has و/ف, was definite), fullest first.

    "والسوسه" gives "والسوسه", "السوسه", "سوسه"; "للجيش" gives "الجيش" and "جيش" (ل + ال with the
    alef dropped); stems shorter than two letters are not offered. A lone "و" is the stem "".
    """
    if norm in _PROCLITIC_CONJ:
        return (("", 1, True, False),)
    out: list[tuple[str, int, bool, bool]] = [(norm, 0, False, norm.startswith("ال"))]
    for conj in ("", *_PROCLITIC_CONJ):
        if conj and not norm.startswith(conj):
            continue
        for prep in ("", *_PROCLITIC_PREP):
            head = conj + prep
            if not norm.startswith(head):
                continue
            rest = norm[len(head) :]
            if head and len(rest) >= 2:
                out.append((rest, len(head), bool(conj), rest.startswith("ال")))
            if prep == "ل" and rest.startswith("ل") and len(rest) >= 3:
                out.append(("ال" + rest[1:], len(head) + 1, bool(conj), True))
                out.append((rest[1:], len(head) + 1, bool(conj), True))
            if rest.startswith("ال") and len(rest) >= 4:
                out.append((rest[2:], len(head) + 2, bool(conj), True))
    seen: set[str] = set()
    unique = []
    for item in out:
        if item[0] not in seen:
            seen.add(item[0])
            unique.append(item)
    return tuple(unique)


_NISBA_ENDINGS: Final = ("يا", "يين", "يون", "يان", "ي")


def is_nisba(stem: str) -> bool:
    """A relative adjective used as a noun ("عراقيا", "فلسطينيين"): a nationality or origin."""
    return len(stem) >= 4 and stem.endswith(_NISBA_ENDINGS) and not stem.startswith("ال")


def _arabic() -> Lexicon:
    base = build(_entries(), fold_word)
    return Lexicon(base.words, base.phrases, variants, lower=False, nisba=is_nisba)


ARABIC: Final = _arabic()
MEDIA: Final = frozenset(fold_word(word) for word in _MEDIA_NOUNS)
