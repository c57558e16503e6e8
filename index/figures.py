"""Numbers as the newsletter prints them, and their one normal form.

The same figure is printed `7801`, `7,801`, `7 801` or `330, 528` (a thousands group broken by a
space).  Search has to treat these as one token, so a number split into thousands groups is
recognised here and joined into plain digits.
"""

from __future__ import annotations

import re

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
