"""How a figure is printed, in English and in Russian: its amount, scale, time unit, currency and the
qualifier before it.  `index.figures.extract` finds figures with these; `index.figures.labels` reads
what they count.

Russian prints thousands with a space ("1 250"), decimals with a comma ("2,5"), scales short with a
full stop ("45 тыс.", "2,5 млн") and units in the case the number governs ("5 лет", "3 месяца",
"долларов США").
"""

from __future__ import annotations

import re

# Thousands groups ("7,801", "330, 528", "7 801") before plain and decimal numbers ("2,5", "6.3").
# Spaces are written \x20 so that the pattern means the same inside a verbose pattern.
AMOUNT = r"\d{1,3}(?:(?:,\x20?|\x20)\d{3})+(?!\d)|\d+(?:[.,]\d+)?"

# Scale words: a pattern each (as printed, case aside) and its multiplier.
_SCALES = {"thousand": 10**3, "million": 10**6, "mln": 10**6, "billion": 10**9, "bln": 10**9, "bn": 10**9,
           r"тыс\.|тысяч[аи]?": 10**3, r"млн\.?|миллион(?:а|ов)?": 10**6, r"млрд\.?|миллиард(?:а|ов)?": 10**9}
SCALE = "|".join(_SCALES)

# Time units: a pattern each and the unit it stands for.
_TIME_UNITS = {"minutes?|mins?": "minute", "hours?|hrs?": "hour", "days?": "day", "weeks?": "week",
               "months?": "month", "years?": "year", "минут[аы]?": "minute", "час(?:а|ов)?": "hour",
               "дн(?:я|ей)|день": "day", "недел(?:я|и|ь|ю)": "week", "месяц(?:а|ев)?": "month", "год(?:а)?|лет": "year"}
TIME_UNIT = "|".join(_TIME_UNITS)

CURRENCY_BEFORE = re.compile(r"(?P<currency>USD|US\$|EUR|GBP|CHF|KZT|KGS|TJS|UZS|TMT|RUB|\$|€|£|₸|₽)\s?$")
CURRENCY_AFTER = re.compile(
    r"\s*(?P<currency>USD|EUR|GBP|CHF|KZT|KGS|TJS|UZS|TMT|RUB|US dollars|dollars|euros?|pounds|"
    r"tenge|somoni|soms?|sums?|soums?|manats?|roubles|rubles|francs|"
    r"долл(?:ар(?:а|ов)?)?\.?(?:\s+США)?|евро|сомони|сом(?:а|ов)?|тенге|сум(?:а|ов)?|манат(?:а|ов)?|рубл(?:ь|я|ей))"
    r"(?!\w)", re.IGNORECASE)
_CURRENCY_CODES = {"$": "USD", "us$": "USD", "us dollars": "USD", "dollars": "USD", "€": "EUR", "euro": "EUR",
                   "euros": "EUR", "£": "GBP", "pounds": "GBP", "₸": "KZT", "tenge": "KZT", "som": "KGS",
                   "soms": "KGS", "somoni": "TJS", "sum": "UZS", "sums": "UZS", "soum": "UZS", "soums": "UZS",
                   "manat": "TMT", "manats": "TMT", "₽": "RUB", "roubles": "RUB", "rubles": "RUB",
                   "francs": "CHF"}
# Russian currency words by their stem, longest first ("сомони" before "сом").
_RUSSIAN_CURRENCIES = (("долл", "USD"), ("евро", "EUR"), ("сомони", "TJS"), ("сом", "KGS"), ("тенге", "KZT"),
                       ("сум", "UZS"), ("манат", "TMT"), ("рубл", "RUB"))

CURRENCY_BEFORE_CHARS = 4  # "US$ ": the most CURRENCY_BEFORE reads before a figure
QUALIFIER_CHARS = 16  # "approximately ": the most QUALIFIER_BEFORE reads before a figure (a run of spaces aside)
QUALIFIER_BEFORE = re.compile(r"\b(?P<qualifier>more than|less than|fewer than|over|under|around|about|nearly|"
                              r"almost|approximately|up to|at least|some|roughly|close to|"
                              r"более чем|более|свыше|не менее|не более|менее|около|почти|примерно|приблизительно|"
                              r"порядка|до)\s+$", re.IGNORECASE)


def qualifier_before(text: str, start: int) -> re.Match[str] | None:
    """The qualifier ("more than", "около") printed right before `start`: only the few characters it
    can take are searched, not all the text before it."""
    words_end = start
    while words_end > 0 and text[words_end - 1].isspace():
        words_end -= 1
    return QUALIFIER_BEFORE.search(text, max(0, words_end - QUALIFIER_CHARS), start)


def scale_of(printed: str) -> int:
    """The multiplier of a printed scale word ("million", "тыс.")."""
    return next(value for pattern, value in _SCALES.items() if re.fullmatch(pattern, printed, re.IGNORECASE))


def time_unit_of(printed: str) -> str:
    """The unit a printed time word stands for ("days" -> "day", "лет" -> "year")."""
    return next(unit for pattern, unit in _TIME_UNITS.items() if re.fullmatch(pattern, printed, re.IGNORECASE))


def currency_code(printed: str) -> str:
    """The ISO code of a printed currency ("$", "tenge", "долларов США"; a printed code as it is)."""
    lower = printed.lower()
    russian = next((code for stem, code in _RUSSIAN_CURRENCIES if lower.startswith(stem)), None)
    return russian or _CURRENCY_CODES.get(lower, printed.upper())
