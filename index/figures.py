"""Numbers as the newsletter prints them, and their one normal form.

The same figure is printed `7801`, `7,801`, `7 801` or `330, 528` (a thousands group broken by a
space).  Search has to treat these as one token, so a number split into thousands groups is
recognised here and joined into plain digits.

`extract_figures` goes further for journalists: it turns every figure mention of a passage into a
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
from bisect import bisect_right
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache

# One to three leading digits, then groups of exactly three separated by a comma, a comma and one
# space, or one space.  The lookarounds keep it from starting or ending inside a longer number or word,
# so years in "2019 100" or decimals in "2,5 million" are left alone.
NUMBER_GROUPS = re.compile(r"(?<![\w.,])\d{1,3}(?:(?:, ?| )\d{3})+(?![\w]|[.,]\d)")


def join_number_groups(text: str) -> str:
    """Rewrite every thousands-grouped number in `text` as plain digits: "7,801" -> "7801"."""
    return NUMBER_GROUPS.sub(lambda match: re.sub(r"[ ,]", "", match.group()), text)


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

# Each pattern marks text whose digits are not figures; the scan for figures never looks inside it.
# They are applied one by one, so that overlapping ones ("ISSUE 9, 24/12/2020") all take effect.
# An address is matched only from the start of its run of address characters (the lookbehinds), so a
# long run of them is not scanned again from each of its characters.
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
    # Year ranges name a period, not a quantity: "2020-2022", "(2014-2019)", "2020/21".
    rf"\b{_YEAR_NUMBER}\s*[-–/]\s*(?:{_YEAR_NUMBER}|\d\d(?!\d))",
    # Numbers that name a thing rather than count it: "Issue №3", "ISSUE 9", "Targets 10.7 and 17.16",
    # "Objective 19", "Decree No. 45", "Article 5".
    r"\b(?:issue|objective|target|goal|sdg|article|decree|resolution|law|protocol|annex|chapter)s?\.?"
    r"\s*(?:№|#|No\.)?\s*\d+(?:\.\d+)*(?:\s*(?:,|and|&)\s*\d+(?:\.\d+)*)*",
    r"(?:№|\bNo\.)\s*\d+",
    # The disease's name, also printed without its hyphen in headings ("COVID 19 OUTBREAK").
    r"\bCOVID[- ]?19\b",
    # Digits inside e-mail addresses, web addresses and footnote marks.
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    r"(?:https?://|www\.)\S+",
    r"(?<![\w.-])\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|int|ru|kz|kg|tj|uz|tm)/\S*",
    r"<sup>\s*\d+\s*</sup>|\[\d+\]",
    # Ordinals: "1st", "23rd", and list markers "1." / "2)" that open a line.
    r"\b\d+(?:st|nd|rd|th)\b",
    r"^[ \t]*\d{1,2}[.)](?=\s)",
])

# --- Contacts ------------------------------------------------------------------------------------------

_PHONE_WORDS = re.compile(r"\b(?:hotlines?|helplines?|phones?|telephone|tel|calls?|cell|mobile|whatsapp|viber)\b",
                          re.IGNORECASE)
# An international number is a contact wherever it stands: "+992900800800", "+7 701 123 4567".
_INTERNATIONAL_NUMBER = re.compile(r"(?<![\w+])(?P<number>\+\d[\d ()-]{5,}\d)(?!\d)")
# A short number alone in brackets is a hotline when its sentence speaks of phones:
# "Kazakhstan's (11616) and Kyrgyzstan's national hotline (1899)".
_BRACKETED_NUMBER = re.compile(r"\((?P<number>\d{3,6})\)")
# A number printed right after a phone word, not glued to it: "hotline 1899", "tel.: 8 800 080 8000"
# (but "Hotline1899" is the name of a page).
_NUMBER_AFTER_PHONE_WORD = re.compile(
    r"\b(?:hotline|helpline|phone|tel\.?|call)(?:\s*:\s*|\s+)(?P<number>\d(?:[ -]?\d){2,})(?!\d)", re.IGNORECASE)

# --- Figures -----------------------------------------------------------------------------------------

# Thousands groups ("7,801", "330, 528", "7 801") before plain and decimal numbers ("2,5", "6.3").
# Spaces are written \x20 so that the pattern means the same inside a verbose pattern.
_AMOUNT = r"\d{1,3}(?:(?:,\x20?|\x20)\d{3})+(?!\d)|\d+(?:[.,]\d+)?"
_SCALES = {"thousand": 10**3, "million": 10**6, "mln": 10**6, "billion": 10**9, "bln": 10**9, "bn": 10**9}
_TIME_UNITS = {"minute": "minute", "min": "minute", "hour": "hour", "hr": "hour", "day": "day",
               "week": "week", "month": "month", "year": "year"}

# A figure starts at a digit that is not glued to a word, a number or a hyphenated name ("COVID-19",
# "m691", "Hotline1899").  Its upper end of range, scale, percent sign and time unit come with it.
_FIGURE = re.compile(rf"""
    (?<![\w.,+])(?<!\w-)
    (?P<amount>{_AMOUNT})(?![\w]|[.,]\d)
    (?:\s*[-–]\s*(?P<upper>{_AMOUNT})(?![\w]|[.,]\d))?
    (?:\s+(?P<scale>{"|".join(_SCALES)})\b)?
    (?:\s*(?P<percent>%|per\s?cent\b))?
    (?:\s*-?\s*(?P<time_unit>(?:minute|min|hour|hr|day|week|month|year)s?\b(?:\s+old\b)?))?
""", re.VERBOSE | re.IGNORECASE)

_CURRENCY_BEFORE = re.compile(r"(?P<currency>USD|US\$|EUR|GBP|CHF|KZT|KGS|TJS|UZS|TMT|RUB|\$|€|£|₸|₽)\s?$")
_CURRENCY_BEFORE_CHARS = 4  # "US$ ": the most _CURRENCY_BEFORE reads before a figure
_CURRENCY_AFTER = re.compile(
    r"\s*(?P<currency>USD|EUR|GBP|CHF|KZT|KGS|TJS|UZS|TMT|RUB|US dollars|dollars|euros?|pounds|"
    r"tenge|somoni|soms?|sums?|soums?|manats?|roubles|rubles|francs)\b", re.IGNORECASE)
_CURRENCY_CODES = {"$": "USD", "us$": "USD", "us dollars": "USD", "dollars": "USD", "€": "EUR", "euro": "EUR",
                   "euros": "EUR", "£": "GBP", "pounds": "GBP", "₸": "KZT", "tenge": "KZT", "som": "KGS",
                   "soms": "KGS", "somoni": "TJS", "sum": "UZS", "sums": "UZS", "soum": "UZS", "soums": "UZS",
                   "manat": "TMT", "manats": "TMT", "₽": "RUB", "roubles": "RUB", "rubles": "RUB",
                   "francs": "CHF"}

_QUALIFIERS = ("more than", "less than", "fewer than", "over", "under", "around", "about", "nearly", "almost",
               "approximately", "up to", "at least", "some", "roughly", "close to")
_QUALIFIER_BEFORE = re.compile(rf"\b(?P<qualifier>{'|'.join(_QUALIFIERS)})\s+$", re.IGNORECASE)
_QUALIFIER_CHARS = max(map(len, _QUALIFIERS))

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
            if _PHONE_WORDS.search(_sentence_at(text, span[0])) and not _overlaps(span, found):
                found[span] = match.group("number")
    return [FigureMention(value=int(re.sub(r"\D", "", printed)), kind=CONTACT, as_printed=printed,
                          label=_label_before(text, start), sentence=_sentence_at(text, start), start=start, end=end)
            for (start, end), printed in found.items()]


def _overlaps(span: tuple[int, int], spans: dict[tuple[int, int], str]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def _figure(text: str, match: re.Match[str]) -> FigureMention | None:
    """The mention for one number found by _FIGURE, or None for a year standing alone."""
    start, end = match.start(), match.end()
    currency = _CURRENCY_BEFORE.search(text, max(0, start - _CURRENCY_BEFORE_CHARS), start)
    if currency:
        start = currency.start()
    elif currency := _CURRENCY_AFTER.match(text, end):
        end = currency.end()
    parts: tuple[tuple[str, float], ...] = ()
    if match.group("upper"):
        parts = (("from", _number(match.group("amount"))), ("to", _number(match.group("upper"))))
    elif breakdown := _breakdown(text, end):
        parts, end = breakdown
    qualifier = _qualifier_before(text, start)
    kind = _kind(match, currency)
    if kind == COUNT and _is_year(text, match, qualifier):
        return None
    scale = _SCALES[match.group("scale").lower()] if match.group("scale") else 1
    return FigureMention(
        value=_number(match.group("amount"), scale),
        kind=kind,
        as_printed=text[start:end],
        label=_label(text, match, start, end, kind, currency),
        sentence=stat_block[1] if (stat_block := _stat_block(text, match)) else _sentence_at(text, start),
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
        printed = currency.group("currency")
        return _CURRENCY_CODES.get(printed.lower(), printed.upper())
    if match.group("time_unit"):
        return _TIME_UNITS[match.group("time_unit").lower().split()[0].removesuffix("s")]
    return ""


def _is_year(text: str, match: re.Match[str], qualifier: re.Match[str] | None) -> bool:
    """A bare 19xx/20xx number is a year ("in 2021", "Day 2021 and", "Global 2030 Agenda", "the 2022, 300
    staff") unless it is bounded ("more than 2000"), directly counts a lower-case noun ("2000 migrants")
    or heads a stat block."""
    amount = match.group("amount")
    if not re.fullmatch(r"(?:19|20)\d\d", amount) or match.group("upper") or match.group("scale"):
        return False
    noun_after = _noun_phrase(_line_after(text, match.end()))
    counts_something = noun_after[:1].islower() or _stat_block(text, match) is not None
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


# --- Labels: what a figure counts ---------------------------------------------------------------------

_LABEL_WORDS = 6
# How far from a figure its label is looked for, so that a long line costs no more than a short one:
# ample for _LABEL_WORDS words and the linking words and numbers between them and the figure.
_NEAR_CHARS = 160
_NEAR_WORDS = 3 * _LABEL_WORDS
_WORD = re.compile(r"[^\W\d_][\w’'-]*|\d[\d.,]*|[^\s*]")
# Words that end the noun phrase after a figure: prepositions, verbs and clause words.
# ("of" and "and" do not: "7,801 victims of trafficking and vulnerable migrants".)
_ENDS_PHRASE = frozenset("""
    to in on at by for from with into through during under over across back about among between since until
    within without per via as than after before against towards toward upon amid including each
    is are was were be been being has have had will would can could may might must shall should do does did
    that which who whom whose where when while but or so if because
""".split())
# Words that end a label read backwards from a figure ("Kyrgyzstan's national hotline (1899)").
_ENDS_PHRASE_BACKWARDS = frozenset("and or but as than that which who is are was were has have had will".split())
# What may stand between a label and the figure it introduces: "Total ... covered is: 1131", "a grant of $500".
_LINKING = frozenset(": ( = - – is are was were reached totalled totaled of".split())
_FUNCTION_WORDS = frozenset("the a an of and or in on at to for by with".split())
_PLURAL_WITHOUT_S = frozenset("people staff children women men personnel police youth".split())


def _label(text: str, match: re.Match[str], start: int, end: int, kind: str, currency: re.Match[str] | None) -> str:
    """What the figure counts: the stat-block label under it, else the noun phrase after it, else the
    words that introduce it; money without either is labelled by its currency.  A duration's label is
    its time unit as printed ("days", "years old")."""
    if kind == DURATION:
        return match.group("time_unit")
    if stat_block := _stat_block(text, match):
        return stat_block[0]
    label = _noun_phrase(_line_after(text, end)) or _introducing_label(text, start)
    return label or (_unit(match, currency) if currency else "")


def _noun_phrase(words: list[str]) -> str:
    """The noun phrase a figure counts, read from the words after it: it ends at punctuation, a
    preposition or verb, after the first plural noun unless "of"/"and" goes on ("victims of
    trafficking and vulnerable migrants"), or after six words.  "N of M things" (a part of a whole,
    "700,000 of Kyrgyzstan's 6.3 million citizens") reads through the "of" and the second number."""
    if words[:1] == ["of"]:
        words = [word for word in words[1:] if not word[0].isdigit() and word.lower() not in _SCALES]
    phrase: list[str] = []
    for position, word in enumerate(words):
        if not word[0].isalpha() or word.lower() in _ENDS_PHRASE or (not phrase and word.lower() in _FUNCTION_WORDS):
            break
        phrase.append(word)
        following = words[position + 1].lower() if position + 1 < len(words) else ""
        if len(phrase) == _LABEL_WORDS or (_is_plural(word) and following not in ("of", "and")):
            break
    return _trim(phrase)


def _introducing_label(text: str, start: int) -> str:
    """The words that introduce a figure through a colon, "is", "of" or a bracket ("Total number of
    people covered is: 1131", "a grant of $500,000"); "" where the words before do not name what the
    figure counts ("Remittances fell by 45 percent")."""
    words = _words_before(text, start)
    return _phrase_before(words) if words[:1] and words[0].lower() in _LINKING else ""


def _label_before(text: str, start: int) -> str:
    """The words before a figure, back to the clause's start, linking words dropped:
    "Kyrgyzstan's national hotline (1899)" -> "Kyrgyzstan's national hotline"."""
    return _phrase_before(_words_before(text, start))


def _phrase_before(words: list[str]) -> str:
    """_label_before of the words before a figure, nearest first."""
    while words and words[0].lower() in _LINKING:
        words.pop(0)
    phrase: list[str] = []
    for word in words:
        if not word[0].isalpha() or word.lower() in _ENDS_PHRASE_BACKWARDS or len(phrase) == _LABEL_WORDS:
            break
        phrase.append(word)
    return _trim(phrase[::-1])


def _qualifier_before(text: str, start: int) -> re.Match[str] | None:
    """The qualifier ("more than") printed right before `start`: only the few characters it can take
    are searched, not all the text before it."""
    words_end = start
    while words_end > 0 and text[words_end - 1].isspace():
        words_end -= 1
    return _QUALIFIER_BEFORE.search(text, max(0, words_end - _QUALIFIER_CHARS), start)


def _words_before(text: str, start: int) -> list[str]:
    """The words of the figure's line before it, nearest first, its qualifier ("more than") left out.
    Only the last _NEAR_CHARS characters of the line are read (a word they cut is left out), so a
    long line costs no more than a short one."""
    window_start = max(0, start - _NEAR_CHARS)
    newline = text.rfind("\n", window_start, start)
    before = text[newline + 1 if newline >= 0 else window_start:start]
    qualifier = _qualifier_before(before, len(before))
    words = _WORD.findall(before[:qualifier.start()] if qualifier else before)[::-1]
    return words[:-1] if newline < 0 and window_start > 0 else words


def _trim(words: list[str]) -> str:
    """The words joined, without function words dangling at either end."""
    while words and words[-1].lower() in _FUNCTION_WORDS:
        words = words[:-1]
    while words and words[0].lower() in _FUNCTION_WORDS:
        words = words[1:]
    return " ".join(words)


def _is_plural(word: str) -> bool:
    lower = word.lower()
    if lower in _PLURAL_WITHOUT_S:
        return True
    return len(lower) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is", "'s", "’s"))


def _line_after(text: str, end: int) -> list[str]:
    """The first _NEAR_WORDS words of the figure's line after it (no label reads further)."""
    words, position = [], end
    for word in _WORD.finditer(text, end):
        if len(words) == _NEAR_WORDS or "\n" in text[position:word.start()]:
            break
        words.append(word.group())
        position = word.end()
    return words


# --- Stat blocks: a number on its own line over its label -------------------------------------------

_MARKUP = re.compile(r"<sup>(?:(?!</?sup>).)*</sup>|[*#]")  # a scan stops at the next <sup>: no rescans
_STAT_LABEL_WORDS = 4
_HEADING_WORDS = 8


def _stat_block(text: str, match: re.Match[str]) -> tuple[str, str] | None:
    """For a figure alone on its line over a short label line ("76,698" over "Registered"): its label,
    prefixed by the block's heading ("COVID-19 overview in Central Asia: Registered"), and its
    "sentence", the two lines ("76,698 Registered").  None for a figure inside prose."""
    lines = _lines(text)
    index = bisect_right(lines.starts, match.start()) - 1
    if index < 0 or not match.start() < lines.ends[index] or lines.text[index] != match.group() \
            or index + 1 >= len(lines.text):
        return None
    line, label = lines.text[index], lines.text[index + 1]
    if not _is_stat_label(label):
        return None
    heading = lines.headings_above[index]
    return (f"{heading}: {label}" if heading else label), f"{line} {label}"


@dataclass(frozen=True)
class _Lines:
    """The non-blank lines of a text: where each starts and ends, its text without markup, and the
    stat-block heading above it (`_stat_block_heading` of the lines before it)."""

    starts: list[int]
    ends: list[int]
    text: list[str]
    headings_above: list[str]


@lru_cache(maxsize=2)
def _lines(text: str) -> _Lines:
    """The lines of `text`, worked out once per text: every figure of it asks (a text's hash is
    kept by the string, so looking it up again costs nothing)."""
    starts, ends, lines, start = [], [], [], 0
    for line in text.split("\n"):
        clean = _MARKUP.sub("", line).strip()
        if clean:
            starts.append(start)
            ends.append(start + len(line))
            lines.append(clean)
        start += len(line) + 1
    return _Lines(starts, ends, lines, _stat_block_headings(lines))


def _is_stat_label(line: str) -> bool:
    return len(line.split()) <= _STAT_LABEL_WORDS and not any(ch.isdigit() for ch in line)


def _is_number_line(line: str) -> bool:
    return bool(re.fullmatch(_AMOUNT, line))


def _stat_block_headings(lines: list[str]) -> list[str]:
    """For each line, the heading of a stat block that would start below the line before it: the
    nearest line above that is neither a figure nor a figure's label nor a bracketed aside like
    "(Kazakhstan, Kyrgyzstan, ...)", if it is short and not a sentence.  One pass over the lines."""
    headings, heading = [], ""
    for position, line in enumerate(lines):
        headings.append(heading)
        is_label_of_figure = position > 0 and _is_number_line(lines[position - 1])
        if not (_is_number_line(line) or is_label_of_figure or (line.startswith("(") and line.endswith(")"))):
            heading = line if len(line.split()) <= _HEADING_WORDS and not line.endswith((".", "!", "?")) else ""
    return headings


# --- Sentences -----------------------------------------------------------------------------------------

# A sentence ends at a line break, or at ". ", "! ", "? " before something that is not lower case.
_SENTENCE_END = re.compile(r"\s*\n\s*|(?<=[.!?])[\"”’)]*\s+(?=[^a-z\s])")


def _sentence_at(text: str, position: int) -> str:
    """The sentence of `text` that holds `position`, stripped."""
    starts, ends = _sentence_boundaries(text)
    index = bisect_right(starts, position)  # the first boundary that starts after `position`
    start = ends[index - 1] if index else 0
    return text[start:starts[index] if index < len(starts) else len(text)].strip(" *")


@lru_cache(maxsize=2)
def _sentence_boundaries(text: str) -> tuple[list[int], list[int]]:
    """Where the sentence ends of `text` start and end, found once per text (see _lines)."""
    boundaries = [boundary.span() for boundary in _SENTENCE_END.finditer(text)]
    return [start for start, _ in boundaries], [end for _, end in boundaries]
