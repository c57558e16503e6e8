"""Figure mentions: every figure a passage prints, with what it counts.

`extract_figures` turns every figure mention of a passage into a
`FigureMention` (value, kind, what it counts, the sentence), and leaves out the numbers that are not
figures (dates, years, issue and target numbers, COVID-19, e-mail digits, ordinals).

Decisions worth knowing:

- Only figures written in digits are figures.  Number words ("four days", "three areas", "one of")
  are prose in this newsletter, never the statistic a journalist looks up, and reading them would
  turn every "one" into a figure.
- A range ("1-2 hours", "10-15 participants") is recorded by its lower bound, both ends in `parts`.
- A qualifier printed before a figure ("more than 700,000") is kept in `qualifier`, not in the value.
- Money keeps its amount in currency units in `value` and the ISO currency code in `unit`.
  Durations have their time unit in `unit` ("day", "hour"); percentages have "percent".
- Hotline and phone numbers are returned with kind "contact": a journalist does search for them,
  but they are not quantities.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal

from index.figures.forms import (
    AMOUNT,
    CURRENCY_AFTER,
    CURRENCY_BEFORE,
    CURRENCY_BEFORE_CHARS,
    SCALE,
    TIME_UNIT,
    currency_code,
    qualifier_before,
    scale_of,
    time_unit_of,
)
from index.figures.labels import introducing_label, label_before, line_after, noun_phrase, sentence_at, stat_block
from index.text.months import RUSSIAN_MONTH_FORMS
from index.text.numbers import NUMBER_GROUPS, join_number_groups

_NUMBER = re.compile(r"(?<![\w.,-])\d+(?:[.,]\d+)?(?![\w]|[.,]\d)")
_YEAR = re.compile(r"(19|20)\d\d")


def numbers_in(text: str) -> set[str]:
    """The numbers of `text` in normal form, years and one-digit numbers left out: what two
    passages can meaningfully have in common."""
    found = {m.group() for m in _NUMBER.finditer(join_number_groups(text))}
    return {n for n in found if len(n.replace(".", "").replace(",", "")) > 1 and not _YEAR.fullmatch(n)}


# --- Figure mentions -------------------------------------------------------------------------------

COUNT, PERCENTAGE, MONEY, DURATION, CONTACT = "count", "percentage", "money", "duration", "contact"


@dataclass(frozen=True)
class FigureMention:
    """One figure as printed in a passage.

    `value` is an int when whole (JSON-safe either way).  `start`/`end` are offsets of `as_printed`
    in the text given to `extract_figures`.  `parts` is a printed breakdown, e.g. (("male", 691),
    ("female", 440)) for "1131 (m691/f440)", or (("from", 1), ("to", 2)) for the range "1-2 hours".
    `unit` is the ISO currency code for money, the time unit for a duration, "percent" for a
    percentage, empty otherwise.  `qualifier` is what bounds the figure: "more than", "around"...
    """

    value: float
    kind: str
    as_printed: str
    label: str
    sentence: str
    start: int
    end: int
    parts: tuple[tuple[str, float], ...] = ()
    unit: str = ""
    qualifier: str = ""

    def to_json(self) -> dict:
        return {**asdict(self), "parts": [list(part) for part in self.parts]}


# --- What is not a figure ---------------------------------------------------------------------------

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?")
_DAY = r"\d{1,2}(?!\d)(?:st|nd|rd|th)?"
_DAYS = rf"{_DAY}(?:\s*[-–]\s*{_DAY})?"
_YEAR_NUMBER = r"(?:19|20)\d\d(?!\d)"
_RUSSIAN_MONTH = "(?:" + "|".join(sorted(RUSSIAN_MONTH_FORMS, key=len, reverse=True)) + r")(?!\w)"
_RUSSIAN_YEAR_WORD = r"(?:\s*(?:гг?\.|год(?:а|у|ом)?(?!\w)))"  # "2021 г.", "2021 года", "в 2021 году"

# Each pattern marks text whose digits are not figures; the scan for figures never looks inside it.
# They are applied one by one, so that overlapping ones ("ISSUE 9, 24/12/2020") all take effect.
_NOT_FIGURES = tuple(re.compile(pattern, re.IGNORECASE | re.MULTILINE) for pattern in [
    # Dates in digits: "24/12/2020", "12.06.2020", "2020-12-24", and times of day "10:30".
    r"\b\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d\d)\b",
    r"\b\d{4}-\d\d-\d\d\b",
    r"\b\d{1,2}:\d\d\b",
    # Dates with a month name, days and day ranges included: "2 September 2019", "23-25 August 2022",
    # "November 23-26", "July 30", "December 16, 2020", "May-July 2022", "November 2020".
    rf"\b{_DAYS}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR_NUMBER})?",
    rf"\b{_MONTH}\s+{_DAYS}(?:,?\s+{_YEAR_NUMBER})?",
    rf"\b{_MONTH}(?:\s*[-–]\s*{_MONTH})?,?\s+{_YEAR_NUMBER}",
    # The same in Russian: "14 мая 2021 г.", "12–13 мая 2021 года", "с 14 по 17 июля", "в мае 2021 года",
    # and a year named as one: "в 2021 году", "2021 г.".
    rf"\b{_DAYS}(?:\s+по\s+{_DAY})?\s+{_RUSSIAN_MONTH}(?:\s+{_YEAR_NUMBER}{_RUSSIAN_YEAR_WORD}?)?",
    rf"\b{_RUSSIAN_MONTH}(?:\s*[-–]\s*{_RUSSIAN_MONTH})?\s+{_YEAR_NUMBER}{_RUSSIAN_YEAR_WORD}?",
    rf"\b{_YEAR_NUMBER}{_RUSSIAN_YEAR_WORD}",
    # Year ranges name a period, not a quantity: "2020-2022", "(2014-2019)", "2020/21".
    rf"\b{_YEAR_NUMBER}\s*[-–/]\s*(?:{_YEAR_NUMBER}|\d\d(?!\d))",
    # Numbers that name a thing rather than count it: "Issue №3", "ISSUE 9", "Targets 10.7 and 17.16",
    # "Objective 19", "Decree No. 45", "Article 5".
    r"\b(?:issue|objective|target|goal|sdg|article|decree|resolution|law|protocol|annex|chapter|"
    r"выпуск|цел[ьиью]|задач[аеиу]|стать[яиею]|указ|закон|постановлени[еяю]|приказ)(?:s|а|е|ом|у)?\.?"
    r"\s*(?:№|#|No\.)?\s*\d+(?:\.\d+)*(?:\s*(?:,|and|&)\s*\d+(?:\.\d+)*)*",
    r"(?:№|\bNo\.)\s*\d+",
    # The disease's name, also printed without its hyphen in headings ("COVID 19 OUTBREAK").
    r"\bCOVID[- ]?19\b",
    # Digits inside e-mail addresses, web addresses and footnote marks.
    # An address is matched only from the start of its run of address characters (the lookbehinds), so
    # a long run of them is not scanned again from each of its characters.
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    r"(?:https?://|www\.)\S+",
    r"(?<![\w.-])\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|int|ru|kz|kg|tj|uz|tm)/\S*",
    r"<sup>\s*\d+\s*</sup>|\[\d+\]",
    # Ordinals: "1st", "23rd", and list markers "1." / "2)" that open a line.
    r"\b\d+(?:st|nd|rd|th)\b",
    r"\b\d+-(?:й|я|е|го|му|м|х|ми|ти|ой|ый|ом)(?!\w)",  # Russian ordinals: "2-й", "в 3-х областях"
    r"^[ \t]*\d{1,2}[.)](?=\s)",
])

# --- Contacts ------------------------------------------------------------------------------------------

_PHONE_WORDS = re.compile(r"\b(?:hotlines?|helplines?|phones?|telephone|tel|calls?|cell|mobile|whatsapp|viber|"
                          r"горяч\w+ лини\w+|телефон\w*|звон\w+)\b",
                          re.IGNORECASE)
# An international number is a contact wherever it stands: "+992900800800", "+7 701 123 4567".
_INTERNATIONAL_NUMBER = re.compile(r"(?<![\w+])(?P<number>\+\d[\d ()-]{5,}\d)(?!\d)")
# A short number alone in brackets is a hotline when its sentence speaks of phones:
# "Kazakhstan's (11616) and Kyrgyzstan's national hotline (1899)".
_BRACKETED_NUMBER = re.compile(r"\((?P<number>\d{3,6})\)")
# A number printed right after a phone word, not glued to it: "hotline 1899", "tel.: 8 800 080 8000"
# (but "Hotline1899" is the name of a page).
_NUMBER_AFTER_PHONE_WORD = re.compile(
    r"\b(?:hotline|helpline|phone|tel\.?|call|лини[яиюе]|телефон[ауе]?|тел\.)(?:\s*:\s*|\s+)"
    r"(?P<number>\d(?:[ -]?\d){2,})(?!\d)", re.IGNORECASE)

# --- Figures -----------------------------------------------------------------------------------------

# A figure starts at a digit that is not glued to a word, a number or a hyphenated name ("COVID-19",
# "m691", "Hotline1899").  Its upper end of range, scale, percent sign and time unit come with it.
_FIGURE = re.compile(rf"""
    (?<![\w.,+])(?<!\w-)
    (?P<amount>{AMOUNT})(?![\w]|[.,]\d)
    (?:\s*[-–]\s*(?P<upper>{AMOUNT})(?![\w]|[.,]\d))?
    (?:\s+(?P<scale>{SCALE})(?!\w))?
    (?:\s*(?P<percent>%|per\s?cent\b|процент(?:а|ов)?\b))?
    (?:\s*-?\s*(?P<time_unit>(?:{TIME_UNIT})(?!\w)(?:\s+old\b)?))?
""", re.VERBOSE | re.IGNORECASE)

# A printed breakdown right after a figure: "(m691/f440)", "(M: 691, F: 440)", "(691 men, 440 women)".
# (The digit is looked for ahead, so a bracket that never closes is read once, not once per digit in it.)
_BREAKDOWN = re.compile(r"\s*\((?=[^()\n]*\d)(?P<body>[^()\n]*)\)")
_BREAKDOWN_ITEM = re.compile(r"\s*(?:(?P<code>[a-z]+)\s*:?\s*(?P<number>\d[\d,]*)|"
                             r"(?P<number_first>\d[\d,]*)\s+(?P<word>[a-z]+))\s*", re.IGNORECASE)
_BREAKDOWN_NAMES = {"m": "male", "male": "male", "males": "male", "men": "male", "f": "female", "female": "female",
                    "females": "female", "women": "female", "w": "female", "b": "boys", "g": "girls"}


def extract_figures(text: str) -> list[FigureMention]:
    """Every figure mention of one passage's text, in reading order."""
    contacts = _contacts(text)
    not_figures = [match.span() for pattern in _NOT_FIGURES for match in pattern.finditer(text)]
    masked = _mask(text, not_figures + [(contact.start, contact.end) for contact in contacts])
    figures: list[FigureMention] = []
    for match in _FIGURE.finditer(masked):
        inside_previous = bool(figures) and match.start() < figures[-1].end  # the "691" of "1131 (691 men, ...)"
        if not inside_previous and (figure := _figure(text, match)):
            figures.append(figure)
    return sorted(contacts + figures, key=lambda figure: figure.start)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given spans blanked out by a word character, offsets unchanged, so that no
    figure is found in them or glued to them."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "_" * (end - start)
    return "".join(chars)


def _contacts(text: str) -> list[FigureMention]:
    """Phone and hotline numbers: international numbers anywhere, short numbers where the sentence
    says they are to be called."""
    found = {m.span("number"): m.group("number") for m in _INTERNATIONAL_NUMBER.finditer(text)}
    for pattern in (_BRACKETED_NUMBER, _NUMBER_AFTER_PHONE_WORD):
        for match in pattern.finditer(text):
            span = match.span("number")
            if _PHONE_WORDS.search(sentence_at(text, span[0])) and not _overlaps(span, found):
                found[span] = match.group("number")
    return [FigureMention(value=int(re.sub(r"\D", "", printed)), kind=CONTACT, as_printed=printed,
                          label=label_before(text, start), sentence=sentence_at(text, start), start=start, end=end)
            for (start, end), printed in found.items()]


def _overlaps(span: tuple[int, int], spans: dict[tuple[int, int], str]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def _figure(text: str, match: re.Match[str]) -> FigureMention | None:
    """The mention for one number found by _FIGURE, or None for a year standing alone."""
    start, end = match.start(), match.end()
    currency = CURRENCY_BEFORE.search(text, max(0, start - CURRENCY_BEFORE_CHARS), start)
    if currency:
        start = currency.start()
    elif currency := CURRENCY_AFTER.match(text, end):
        end = currency.end()
    parts: tuple[tuple[str, float], ...] = ()
    if match.group("upper"):
        parts = (("from", _number(match.group("amount"))), ("to", _number(match.group("upper"))))
    elif breakdown := _breakdown(text, end):
        parts, end = breakdown
    qualifier = qualifier_before(text, start)
    kind = _kind(match, currency)
    if kind == COUNT and _is_year(text, match, qualifier):
        return None
    scale = scale_of(match.group("scale")) if match.group("scale") else 1
    return FigureMention(
        value=_number(match.group("amount"), scale),
        kind=kind,
        as_printed=text[start:end],
        label=_label(text, match, start, end, kind, currency),
        sentence=block[1] if (block := stat_block(text, match)) else sentence_at(text, start),
        start=start,
        end=end,
        parts=parts,
        unit=_unit(match, currency),
        qualifier=qualifier.group("qualifier").lower() if qualifier else "",
    )


def _kind(match: re.Match[str], currency: re.Match[str] | None) -> str:
    if match.group("percent"):
        return PERCENTAGE
    if currency:
        return MONEY
    if match.group("time_unit"):
        return DURATION
    return COUNT


def _unit(match: re.Match[str], currency: re.Match[str] | None) -> str:
    if match.group("percent"):
        return "percent"
    if currency:
        return currency_code(currency.group("currency"))
    if match.group("time_unit"):
        return time_unit_of(match.group("time_unit").split()[0])
    return ""


def _is_year(text: str, match: re.Match[str], qualifier: re.Match[str] | None) -> bool:
    """A bare 19xx/20xx number is a year ("in 2021", "Day 2021 and", "Global 2030 Agenda", "the 2022, 300
    staff") unless it is bounded ("more than 2000"), directly counts a lower-case noun ("2000 migrants")
    or heads a stat block."""
    amount = match.group("amount")
    if not re.fullmatch(r"(?:19|20)\d\d", amount) or match.group("upper") or match.group("scale"):
        return False
    noun_after = noun_phrase(line_after(text, match.end()))
    counts_something = noun_after[:1].islower() or stat_block(text, match) is not None
    return not (qualifier or counts_something)


def _number(printed: str, scale: int = 1) -> int | float:
    """The value of a printed amount: thousands separators dropped, a decimal comma read as a point
    ("2,5 million" -> 2500000), an int when whole."""
    if NUMBER_GROUPS.fullmatch(printed):
        digits = re.sub(r"[ ,]", "", printed)
    else:
        digits = printed.replace(",", ".")
    value = Decimal(digits) * scale
    return int(value) if value == value.to_integral_value() else float(value)


def _breakdown(text: str, end: int) -> tuple[tuple[tuple[str, float], ...], int] | None:
    """The parts printed in brackets right after a figure, and where the brackets end; None if the
    brackets hold anything but a breakdown."""
    bracket = _BREAKDOWN.match(text, end)
    if not bracket:
        return None
    items = re.split(r"[/,;]\s*(?=\D)", bracket.group("body"))
    parts = []
    for item in items:
        found = _BREAKDOWN_ITEM.fullmatch(item)
        if not found:
            return None
        name = (found.group("code") or found.group("word")).lower()
        parts.append((_BREAKDOWN_NAMES.get(name, name), _number(found.group("number") or found.group("number_first"))))
    return (tuple(parts), bracket.end()) if len(parts) > 1 else None


def _label(text: str, match: re.Match[str], start: int, end: int, kind: str, currency: re.Match[str] | None) -> str:
    """What the figure counts: the stat-block label under it, else the noun phrase after it, else the
    words that introduce it; money without either is labelled by its currency.  A duration's label is
    its time unit as printed ("days", "years old")."""
    if kind == DURATION:
        return match.group("time_unit")
    if block := stat_block(text, match):
        return block[0]
    label = noun_phrase(line_after(text, end)) or introducing_label(text, start)
    return label or (_unit(match, currency) if currency else "")
