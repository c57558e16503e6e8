"""Which of the five Central Asian countries a text is about, recognised by name, adjective or city."""

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

_PATTERNS = {
    country: re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")(?:'s|’s)?\b", re.IGNORECASE)
    for country, names in _NAMES.items()
}


def countries_in(text: str) -> tuple[str, ...]:
    """The countries `text` mentions, in the fixed order of COUNTRIES (case-insensitive)."""
    return tuple(country for country in COUNTRIES if _PATTERNS[country].search(text))


def is_country_name(text: str) -> bool:
    """True for a bare country name such as a contact-list label "KAZAKHSTAN" or "### TAJIKISTAN"."""
    return text.strip(" #:*").lower() in {country.lower() for country in COUNTRIES}
