"""Month names as the newsletter writes them, for reading dates: English ("May"), and Russian in the
cases a date puts them in ("май", "14 мая", "в мае").  Dates are shown in English (index.records)."""

from __future__ import annotations

import calendar

MONTH_NAMES = tuple(calendar.month_name)[1:]  # "January" .. "December" (the C locale's, always English)

# A Russian month name is its stem and the ending of its case: nominative, genitive, prepositional.
_RUSSIAN_STEMS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
                  "декабр")
_RUSSIAN_ENDINGS = {"ма": ("й", "я", "е"), "март": ("", "а", "е"), "август": ("", "а", "е")}
RUSSIAN_MONTH_FORMS = {stem + ending: number for number, stem in enumerate(_RUSSIAN_STEMS, start=1)
                       for ending in _RUSSIAN_ENDINGS.get(stem, ("ь", "я", "е"))}

MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)} | RUSSIAN_MONTH_FORMS
# Longer names first, so that "марта" is not read as "март" and a stray "а".
MONTH_PATTERN = "(?:" + "|".join(sorted([*MONTH_NAMES, *RUSSIAN_MONTH_FORMS], key=len, reverse=True)) + ")"
