"""CSV exports that are safe to open in a spreadsheet.

A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` (after any spaces), or with a tab,
a carriage return or a NUL, as a formula: `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` in a story
would run on the reader's machine.  OWASP's advice is followed: such a text cell is given a leading
`'`, which the spreadsheet takes as "this is text" (a plain CSV reader sees the `'`, and the value
after it unchanged).  Numbers are left as they are: a negative number is not a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TextIO

FORMULA_START = re.compile(r"[\t\r\0]|\s*[=+\-@]")


def spreadsheet_cell(value: object) -> object:
    """`value`, with a leading `'` when it is text a spreadsheet would read as a formula."""
    return f"'{value}" if isinstance(value, str) and FORMULA_START.match(value) else value


def write_csv(out: TextIO, rows: Iterable[Iterable[object]]) -> None:
    """`rows` written to `out` as CSV, every cell made safe by `spreadsheet_cell`."""
    csv.writer(out).writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
