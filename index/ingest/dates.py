"""Dates as the newsletter writes them, and the issue date they add up to.

A newsletter issue's date is printed in its header (`ISSUE 9, 24/12/2020`, `Issue №3, 10 July 2020`,
`ISSUE 11 | 30 NOVEMBER 2023`; in Russian `ВЫПУСК 4, 14.05.2021`, `Выпуск №5, 14 июня 2021 г.`; numeric
dates are day first) or not at all.  Where it is not, the
latest dated event in the stories places the issue, at month precision.  Only dates that carry a
year count as events: "December 10" in a sentence about an annual campaign says nothing about the
year of the newsletter issue.
"""

from __future__ import annotations

import re
from datetime import date

from index.records import IssueDate
from index.text.months import MONTH_NUMBERS, MONTH_PATTERN

MONTH = MONTH_PATTERN
YEAR = r"(?:19|20)\d\d"
DAY = r"\d{1,2}"
DASH = r"\s*[-–—]\s*"

# "24 December 2020", "23-25 August 2022", "12–13 мая 2021" -> the (last) day, the month, the year
_DAY_MONTH_YEAR = re.compile(rf"\b(?:{DAY}{DASH})?(?P<day>{DAY})\s+(?P<month>{MONTH}),?\s+(?P<year>{YEAR})\b", re.I)
# "August 22, 2022", "November 23-26, 2020"
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<month>{MONTH})\s+(?:{DAY}{DASH})?(?P<day>{DAY}),\s*(?P<year>{YEAR})\b", re.I)
# "In November 2020", "May-July 2022" (the last month of a range), "в мае 2021 года"
_MONTH_YEAR = re.compile(rf"\b(?:{MONTH}{DASH})?(?P<month>{MONTH})\s+(?P<year>{YEAR})\b", re.I)
# "24/12/2020", "12.06.2020"
_NUMERIC = re.compile(rf"\b(?P<day>{DAY})[./](?P<month>\d{{1,2}})[./](?P<year>{YEAR})\b")

# The parts of a header are set apart by a comma, a bar, a bullet, a dash or a line break.
_HEADER = re.compile(
    rf"\b(?:issue|выпуск)\s*(?:№|no\.?|#|n°)?\s*(?P<number>\d{{1,3}})(?:\s*[,|•·–—-]\s*|\s*\n\s*)(?P<date>"
    rf"{DAY}[./]\d{{1,2}}[./]{YEAR}|(?:{DAY}{DASH})?{DAY}\s+{MONTH},?\s+{YEAR}|{MONTH}\s+{DAY},\s*{YEAR})",
    re.I,
)
# What else a header may print: the newsletter's name, in English or Russian, and the Russian word for
# "year" after the date ("14 мая 2021 г.", "2021 года").
_HEADER_WORDS = re.compile(r"(iom\s*)?(central asia\s*)?regional response report|"
                           r"региональный\s+отч[её]т(\s+мом)?(\s+в\s+центральной\s+азии)?|\bг\.|\bгода\b")


def _valid(year: str, month: int, day: int | None) -> date | None:
    try:
        return date(int(year), month, day or 1)
    except ValueError:
        return None


def _dates_with_day(text: str) -> list[date]:
    found = []
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for m in pattern.finditer(text):
            found.append(_valid(m["year"], MONTH_NUMBERS[m["month"].lower()], int(m["day"])))
    for m in _NUMERIC.finditer(text):
        found.append(_valid(m["year"], int(m["month"]), int(m["day"])))
    return [d for d in found if d]


def _months(text: str) -> list[date]:
    return [d for m in _MONTH_YEAR.finditer(text) if (d := _valid(m["year"], MONTH_NUMBERS[m["month"].lower()], None))]


def parse_date(text: str) -> IssueDate | None:
    """The first full date in `text` at day precision, else the first month-and-year at month precision."""
    days = _dates_with_day(text)
    if days:
        return IssueDate(days[0].isoformat(), "day")
    months = _months(text)
    if months:
        return IssueDate(months[0].strftime("%Y-%m"), "month")
    return None


def read_header(text: str) -> tuple[int, IssueDate] | None:
    """The issue number and date printed in a header line such as `Issue №3, 10 July 2020`."""
    m = _HEADER.search(text)
    if not m:
        return None
    printed = parse_date(m["date"])
    return (int(m["number"]), printed) if printed else None


def is_header(text: str) -> bool:
    """True when `text` is nothing but a running header: newsletter name, issue number, date, ornaments."""
    m = _HEADER.search(text)
    if not m:
        return False
    rest = (text[: m.start()] + text[m.end():]).lower()
    rest = re.sub(r"[\s●◆•·,.:|*#–—-]", "", _HEADER_WORDS.sub("", rest))
    return rest == ""


def latest_event_month(text: str) -> IssueDate | None:
    """The month of the latest dated event (a date that names its year) in `text`, if any."""
    events = _dates_with_day(text) + _months(text)
    if not events:
        return None
    return IssueDate(max(events).strftime("%Y-%m"), "month")
