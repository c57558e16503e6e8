"""Month names as the newsletter writes them (English), for reading dates and for showing them."""

from __future__ import annotations

import calendar

MONTH_NAMES = tuple(calendar.month_name)[1:]  # "January" .. "December" (the C locale's, always English)
MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
MONTH_PATTERN = "(?:" + "|".join(MONTH_NAMES) + ")"
