"""Paragraphs of a story -> passages sized for the embedding model.

all-MiniLM-L6-v2 reads at most 256 word pieces, the story title included (it is read with every
passage); what lies beyond is not seen.  Word counts only approximate word pieces (names, quotes
and figures cost more), so a passage must both stay within MAX_WORDS and, counted with the
model's own tokenizer, within MAX_WORD_PIECES.

Paragraphs are the natural unit: a short one is merged with its neighbours until the passage
reaches MIN_WORDS, a long one is cut at list items or sentence ends into near-equal pieces.
Boilerplate (recurring) paragraphs are never merged with story text.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from functools import cached_property

from .sections import Paragraph

MIN_WORDS = 60
MAX_WORDS = 200
MAX_WORD_PIECES = 254  # the model's 256, less its two special tokens
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")


@functools.lru_cache(maxsize=1)
def _tokenizer():
    """The packaged model's tokenizer (a fast Rust tokenizer: no torch, milliseconds to load)."""
    from tokenizers import Tokenizer

    from .config import default_model

    tokenizer = Tokenizer.from_file(f"{default_model()}/tokenizer.json")
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def word_pieces(text: str) -> int:
    """How many word pieces the embedding model reads for `text`, special tokens excluded."""
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


def _words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class _Fit:
    """Whether a text fits in one passage of the story `title`: `fit(text)`.

    `holds` and `each` let a run of units be measured as it grows without reading it again for each
    unit added: the model's tokenizer cuts text into words at spaces before cutting words into pieces,
    so units joined by a space or a line break take the sum of their pieces.
    """

    title: str

    def __call__(self, text: str) -> bool:
        return _words(text) <= MAX_WORDS and word_pieces(f"{self.title}. {text}") <= MAX_WORD_PIECES

    @cached_property
    def room(self) -> int:
        """The word pieces a passage's text may take beside its story title."""
        return MAX_WORD_PIECES - word_pieces(f"{self.title}.")

    def holds(self, words: int, pieces: int) -> bool:
        """Whether text of so many words and word pieces fits."""
        return words <= MAX_WORDS and pieces <= self.room

    @staticmethod
    def each(units: list[str]) -> list[int]:
        """The word pieces of each unit."""
        return [len(encoding.ids) for encoding in _tokenizer().encode_batch(units, add_special_tokens=False)]


def split_long(text: str, fits: _Fit) -> list[str]:
    """`text` cut into pieces that each fit, of near-equal length: between list items where it is a
    list, else at sentence ends, else (a run-on "sentence") between words, else (one endless word)
    every so many characters: a character is at most one word piece.  So no passage is ever longer
    than a passage can be, and the work done on each passage later is bounded too."""
    if fits(text):
        return [text]
    for separator, units in (("\n", text.split("\n")), (" ", _SENTENCE_END.split(text)), (" ", text.split())):
        if len(units) > 1:
            return [piece for packed in _pack(units, separator, fits) for piece in split_long(packed, fits)]
    step = max(fits.room, MIN_WORDS)
    return [text[start:start + step] for start in range(0, len(text), step)]


def _pack(units: list[str], separator: str, fits: _Fit) -> list[str]:
    """Consecutive units joined into pieces, at least two, of about the same number of words.
    Each unit is read once (see _Fit), so a paragraph of many units costs no more than a short one."""
    words_of = [_words(unit) for unit in units]
    total = sum(words_of)
    target = total / max(2, math.ceil(total / MAX_WORDS))
    pieces: list[str] = []
    current: list[str] = []
    words = used = 0
    for unit, unit_words, unit_pieces in zip(units, words_of, fits.each(units)):
        if current and not fits.holds(words + unit_words, used + unit_pieces):
            pieces.append(separator.join(current))
            current, words, used = [], 0, 0
        current.append(unit)
        words, used = words + unit_words, used + unit_pieces
        if words >= target:
            pieces.append(separator.join(current))
            current, words, used = [], 0, 0
    if current:
        pieces.append(separator.join(current))
    return pieces


def size_passages(paragraphs: list[Paragraph], title: str) -> list[Paragraph]:
    """Passages for the story `title`, in reading order.  Story text and boilerplate are packed
    separately, so a contact block between two short paragraphs does not keep them apart."""
    fits = _Fit(title)
    units = [(index, Paragraph(piece, p.recurring))
             for index, p in enumerate(paragraphs) for piece in split_long(p.text, fits)]
    packed = (_merge_short([u for u in units if not u[1].recurring], fits)
              + _merge_short([u for u in units if u[1].recurring], fits))
    return [passage for _, passage in sorted(packed, key=lambda item: item[0])]


def _merge_short(units: list[tuple[int, Paragraph]], fits: _Fit) -> list[tuple[int, Paragraph]]:
    """Neighbouring units merged while one of them cannot stand alone; each passage keeps the
    reading position of its first unit.  Each unit is measured once (see _Fit)."""
    merged: list[tuple[int, Paragraph]] = []
    size: tuple[int, int] = (0, 0)  # words and word pieces of the last passage merged
    for (index, unit), pieces in zip(units, fits.each([unit.text for _, unit in units])):
        words = _words(unit.text)
        if merged and _needs_merge(merged[-1][1].text, unit.text) and fits.holds(size[0] + words, size[1] + pieces):
            merged[-1] = (merged[-1][0], Paragraph(merged[-1][1].text + "\n\n" + unit.text, unit.recurring))
            size = (size[0] + words, size[1] + pieces)
        else:
            merged.append((index, unit))
            size = (words, pieces)
    return merged


def _needs_merge(previous: str, following: str) -> bool:
    """One side cannot stand alone: a short passage, or an introduction ending in a colon, joins
    what follows it; a short passage joins what precedes it unless it introduces what comes next."""
    introduces = following.rstrip().endswith(":")
    return _words(previous) < MIN_WORDS or previous.rstrip().endswith(":") or (_words(following) < MIN_WORDS and not introduces)
