"""Paragraphs of a story -> passages sized for the embedding model.

all-MiniLM-L6-v2 reads at most 256 word pieces; English news text runs about 1.3 word pieces a word,
and the section title is read with each passage, so a passage holds at most MAX_WORDS words.
Paragraphs are the natural unit: a short one is merged with its neighbours until the passage
reaches MIN_WORDS, a long one is cut at sentence ends into near-equal pieces.  Boilerplate
(recurring) paragraphs are never merged with story text.
"""

from __future__ import annotations

import math
import re

from .sections import Paragraph

MIN_WORDS = 60
MAX_WORDS = 150
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")


def _words(text: str) -> int:
    return len(text.split())


def split_long(text: str) -> list[str]:
    """A paragraph over MAX_WORDS cut into pieces of near-equal length: between list items where it
    is a list, else at sentence ends, else (a run-on "sentence") between words."""
    if _words(text) <= MAX_WORDS:
        return [text]
    for separator, units in (("\n", text.split("\n")), (" ", _SENTENCE_END.split(text)), (" ", text.split())):
        if len(units) > 1:
            return [piece for packed in _pack(units, separator) for piece in split_long(packed)]
    return [text]


def _pack(units: list[str], separator: str) -> list[str]:
    """Consecutive units joined into pieces of about the same size, none over MAX_WORDS where a unit allows."""
    total = sum(_words(unit) for unit in units)
    target = total / math.ceil(total / MAX_WORDS)
    pieces: list[str] = []
    current: list[str] = []
    for unit in units:
        if current and _words(" ".join(current + [unit])) > MAX_WORDS:
            pieces.append(separator.join(current))
            current = []
        current.append(unit)
        if _words(" ".join(current)) >= target:
            pieces.append(separator.join(current))
            current = []
    if current:
        pieces.append(separator.join(current))
    return pieces


def size_passages(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Passages for one story, in reading order.  Story text and boilerplate are packed separately,
    so a contact block between two short paragraphs does not keep them apart."""
    units = [(index, Paragraph(piece, p.recurring)) for index, p in enumerate(paragraphs) for piece in split_long(p.text)]
    packed = _merge_short([u for u in units if not u[1].recurring]) + _merge_short([u for u in units if u[1].recurring])
    return [passage for _, passage in sorted(packed, key=lambda item: item[0])]


def _merge_short(units: list[tuple[int, Paragraph]]) -> list[tuple[int, Paragraph]]:
    """Neighbouring units merged while one of them is too short to stand alone; each passage keeps
    the reading position of its first unit."""
    merged: list[tuple[int, Paragraph]] = []
    for index, unit in units:
        if merged and _should_merge(merged[-1][1].text, unit.text):
            first, last = merged[-1]
            merged[-1] = (first, Paragraph(last.text + "\n\n" + unit.text, unit.recurring))
        else:
            merged.append((index, unit))
    return merged


def _should_merge(previous: str, following: str) -> bool:
    """Merge when the result fits and one side cannot stand alone: a short passage, or an
    introduction ending in a colon, joins what follows it; a short passage joins what precedes it
    unless it introduces what comes next."""
    if _words(previous) + _words(following) > MAX_WORDS:
        return False
    introduces = following.rstrip().endswith(":")
    return _words(previous) < MIN_WORDS or previous.rstrip().endswith(":") or (_words(following) < MIN_WORDS and not introduces)
