"""Numbers as the newsletter prints them, and their one normal form.

The same figure is printed `7801`, `7,801`, `7 801` or `330, 528` (a thousands group broken by a
space).  Search and figure extraction treat these as one number, so a number split into thousands
groups is recognised here and joined into plain digits.
"""

from __future__ import annotations

import re

# One to three leading digits, then groups of exactly three separated by a comma, a comma and one
# space, or one space.  The lookarounds keep it from starting or ending inside a longer number or word,
# so years in "2019 100" or decimals in "2,5 million" are left alone.
NUMBER_GROUPS = re.compile(r"(?<![\w.,])\d{1,3}(?:(?:, ?| )\d{3})+(?![\w]|[.,]\d)")
GROUP_SEPARATORS = re.compile(r"[ ,]")


def join_number_groups(text: str) -> str:
    """Rewrite every thousands-grouped number in `text` as plain digits: "7,801" -> "7801"."""
    return NUMBER_GROUPS.sub(lambda match: GROUP_SEPARATORS.sub("", match.group()), text)
