"""Which of the five Central Asian countries a text is about, recognised by name, adjective or city,
in English or in Russian (in any of its cases: "в Кыргызстане", "из Таджикистана")."""

from __future__ import annotations

import re

from index.records import COUNTRIES

# Names, adjectives and places that stand for a country in the newsletter.  A regional name such as
# "Almaty Process" counts for Kazakhstan too: it is named after the city and hosted there.
_NAMES = {
    "Kazakhstan": ["Kazakhstan", "Kazakh", "Kazakhs", "Astana", "Nur-Sultan", "Almaty", "Shymkent",
                   "Karaganda", "Semey", "Aktau", "Aktobe", "Atyrau"],
    "Kyrgyzstan": ["Kyrgyzstan", "Kyrgyz", "Bishkek", "Osh", "Jalal-Abad", "Karakol"],
    "Tajikistan": ["Tajikistan", "Tajik", "Dushanbe", "Khujand", "Khorog", "Khorugh", "GBAO", "Sughd",
                   "Khatlon", "Yovon", "Kulob"],
    "Turkmenistan": ["Turkmenistan", "Turkmen", "Ashgabat", "Turkmenabat", "Dashoguz"],
    "Uzbekistan": ["Uzbekistan", "Uzbek", "Tashkent", "Samarkand", "Bukhara", "Andijan", "Fergana", "Termez"],
}

# The same in Russian, each a stem and the endings its cases take.  Семей (Semey) is left out: in
# Russian it is also "of families".
_MASCULINE = "(?:|а|у|ом|е)"  # Казахстан, Казахстана, Казахстану, Казахстаном, Казахстане
_FEMININE = "(?:а|ы|и|е|у|ой|ою)"  # Астана, Астаны, Астане, Астану, Астаной
_IYA = "(?:я|и|ю|ей|ею)"  # Киргизия, Киргизии, Киргизию, Киргизией
_ADJECTIVE = "(?:ий|ый|ая|ое|ие|ые|ого|ой|ую|ом|их|ых|им|ым|ими|ыми|ому|ей)"  # казахстанский, -ая, -ого...
_PEOPLE = "(?:|а|у|ом|е|и|ы|ов|ам|ами|ах)"  # таджик, таджики, таджиков, туркмены
_SAME = ""  # names that do not decline: Алматы, Душанбе
_RUSSIAN_NAMES = {
    "Kazakhstan": [("Казахстан", _MASCULINE), ("казахстанск", _ADJECTIVE), ("казах", _PEOPLE), ("казахск", _ADJECTIVE),
                   ("Астан", _FEMININE), ("Нур-Султан", _MASCULINE), ("Алматы", _SAME), ("алматинск", _ADJECTIVE),
                   ("Шымкент", _MASCULINE), ("Караганд", _FEMININE), ("Актау", _SAME),
                   ("Актобе", _SAME), ("Атырау", _SAME)],
    "Kyrgyzstan": [("Кыргызстан", _MASCULINE), ("Киргизи", _IYA), ("кыргызстанск", _ADJECTIVE), ("кыргызск", _ADJECTIVE),
                   ("киргизск", _ADJECTIVE), ("кыргыз", _PEOPLE), ("киргиз", _PEOPLE), ("Бишкек", _MASCULINE),
                   ("Ош", _MASCULINE), ("ошск", _ADJECTIVE), ("Джалал-Абад", _MASCULINE), ("джалал-абадск", _ADJECTIVE),
                   ("Каракол", _MASCULINE)],
    "Tajikistan": [("Таджикистан", _MASCULINE), ("таджикистанск", _ADJECTIVE), ("таджикск", _ADJECTIVE),
                   ("таджик", _PEOPLE), ("Душанбе", _SAME), ("Худжанд", _MASCULINE), ("Хорог", _MASCULINE),
                   ("ГБАО", _SAME), ("Согд", _MASCULINE), ("согдийск", _ADJECTIVE), ("Хатлон", _MASCULINE),
                   ("хатлонск", _ADJECTIVE), ("Яван", _MASCULINE), ("Куляб", _MASCULINE)],
    "Turkmenistan": [("Туркменистан", _MASCULINE), ("Туркмени", _IYA), ("туркменистанск", _ADJECTIVE),
                     ("туркменск", _ADJECTIVE), ("туркмен", _PEOPLE), ("Ашхабад", _MASCULINE),
                     ("Туркменабад", _MASCULINE), ("Дашогуз", _MASCULINE)],
    "Uzbekistan": [("Узбекистан", _MASCULINE), ("узбекистанск", _ADJECTIVE), ("узбекск", _ADJECTIVE),
                   ("узбек", _PEOPLE), ("Ташкент", _MASCULINE), ("Самарканд", _MASCULINE), ("Бухар", _FEMININE),
                   ("Андижан", _MASCULINE), ("Ферган", _FEMININE), ("Термез", _MASCULINE)],
}

_PATTERNS = {
    country: re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")(?:'s|’s)?\b|"
                        r"\b(?:" + "|".join(re.escape(stem) + endings for stem, endings in _RUSSIAN_NAMES[country]) + r")\b",
                        re.IGNORECASE)
    for country, names in _NAMES.items()
}
_BARE_NAMES = {country.lower() for country in COUNTRIES} | {stem.lower() for names in _RUSSIAN_NAMES.values()
                                                           for stem, _ in names[:1]}


def countries_in(text: str) -> tuple[str, ...]:
    """The countries `text` mentions, in the fixed order of COUNTRIES (case-insensitive)."""
    return tuple(country for country in COUNTRIES if _PATTERNS[country].search(text))


def is_country_name(text: str) -> bool:
    """True for a bare country name such as a contact-list label "KAZAKHSTAN", "### TAJIKISTAN" or "КЫРГЫЗСТАН"."""
    return text.strip(" #:*").lower() in _BARE_NAMES
