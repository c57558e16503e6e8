"""Paragraphs of a story -> passages sized for the embedding model.

The embedding model reads a limited number of word pieces (all-MiniLM-L6-v2: 256, less two special
tokens), the story title included (it is read with every passage); what lies beyond is not seen.
Word counts only approximate word pieces (names, quotes and figures cost more), so a passage must
both stay within MAX_WORDS and, counted with the tokenizer of the model that will embed it, within
that model's limit.

A passage in a language the model does not read (Russian, for the English-only all-MiniLM-L6-v2,
whose word pieces cut Cyrillic words into letters: some 5 pieces a word, so 45 words would fill
it) is sized by words alone: the model sees nothing of it to lose, and keyword search and reading want
whole paragraphs.

Paragraphs are the natural unit: a short one is merged with its neighbours until the passage
reaches MIN_WORDS, a long one is cut at list items or sentence ends into near-equal pieces.
Boilerplate (recurring) paragraphs are never merged with story text.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from index.config import EmbeddingSettings
from index.embed.models import load_word_pieces
from index.embed.protocol import WordPieces
from index.ingest.stories import Paragraph
from index.text.languages import language_of
from index.text.sentences import split_sentences

MIN_WORDS = 60
MAX_WORDS = 200


@functools.cache
def default_word_pieces() -> WordPieces:
    """The packaged model's tokenizer: what sizes passages when no other model is named."""
    return load_word_pieces(EmbeddingSettings())


def _words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class _Fit:
    """Whether a text fits in one passage of the story `title`: `fit(text)`.

    `sizes` lets a run of units be measured as it grows without reading it again for each unit
    added (which made a long line quadratic): the model's tokenizer cuts text into words at spaces
    and punctuation before cutting words into pieces, so units joined by a space or a line break
    take the sum of their pieces, and "title. text" the pieces of "title." and of the text.
    """

    title: str
    pieces: WordPieces

    def __call__(self, text: str) -> bool:
        if _words(text) > MAX_WORDS:
            return False
        return not self.pieces.reads(language_of(text)) or self.pieces.count(f"{self.title}. {text}") <= self.pieces.limit

    @functools.cached_property
    def room(self) -> int:
        """The word pieces a passage's text may take beside its story title."""
        return self.pieces.limit - self.pieces.count(f"{self.title}.")

    def sizes(self, units: list[str]) -> list[tuple[int, int]]:
        """(words, word pieces) of each unit; no pieces counted in a language the model does not read."""
        return [(_words(unit), self.pieces.count(unit) if self.pieces.reads(language_of(unit)) else 0)
                for unit in units]


def split_long(text: str, fits: _Fit) -> list[str]:
    """`text` cut into pieces that each fit, of near-equal length: between list items where it is a
    list, else at sentence ends, else (a run-on "sentence") between words, else (one endless word)
    every so many characters, so that no passage is ever longer than a passage can be."""
    if fits(text):
        return [text]
    for separator, units in (("\n", text.split("\n")), (" ", split_sentences(text)), (" ", text.split())):
        if len(units) > 1:
            return [piece for packed in _pack(units, separator, fits) for piece in split_long(packed, fits)]
    return _cut(text, fits)


def _cut(word: str, fits: _Fit) -> list[str]:
    """One endless word (nowhere to cut it) cut every so many characters, read once: a character is
    at most one word piece, so each piece fits beside the story title."""
    step = max(fits.room, MIN_WORDS)
    return [word[start:start + step] for start in range(0, len(word), step)]


def _pack(units: list[str], separator: str, fits: _Fit) -> list[str]:
    """Consecutive units joined into pieces, at least two, of about the same number of words; each
    unit measured once (_Fit.sizes)."""
    sizes = fits.sizes(units)
    total = sum(words for words, _ in sizes)
    target = total / max(2, math.ceil(total / MAX_WORDS))
    pieces: list[str] = []
    current: list[str] = []
    words = count = 0
    for unit, (unit_words, unit_pieces) in zip(units, sizes):
        if current and not (words + unit_words <= MAX_WORDS and count + unit_pieces <= fits.room):
            pieces.append(separator.join(current))
            current, words, count = [], 0, 0
        current.append(unit)
        words, count = words + unit_words, count + unit_pieces
        if words >= target:
            pieces.append(separator.join(current))
            current, words, count = [], 0, 0
    if current:
        pieces.append(separator.join(current))
    return pieces


def size_passages(paragraphs: list[Paragraph], title: str, pieces: WordPieces) -> list[Paragraph]:
    """Passages for the story `title`, in reading order, each within what `pieces` (the embedding
    model's tokenizer) allows.  Story text and boilerplate are packed separately, so a contact block
    between two short paragraphs does not keep them apart."""
    fits = _Fit(title, pieces)
    units = [(index, Paragraph(piece, p.recurring, p.page))
             for index, p in enumerate(paragraphs) for piece in split_long(p.text, fits)]
    packed = (_merge_short([u for u in units if not u[1].recurring], fits)
              + _merge_short([u for u in units if u[1].recurring], fits))
    return [passage for _, passage in sorted(packed, key=lambda item: item[0])]


def _merge_short(units: list[tuple[int, Paragraph]], fits: _Fit) -> list[tuple[int, Paragraph]]:
    """Neighbouring units merged while one of them cannot stand alone; each passage keeps the
    reading position of its first unit."""
    merged: list[tuple[int, Paragraph]] = []
    for index, unit in units:
        joined = merged[-1][1].text + "\n\n" + unit.text if merged else ""
        if merged and _needs_merge(merged[-1][1].text, unit.text) and fits(joined):
            merged[-1] = (merged[-1][0], Paragraph(joined, unit.recurring, merged[-1][1].page))
        else:
            merged.append((index, unit))
    return merged


def _needs_merge(previous: str, following: str) -> bool:
    """One side cannot stand alone: a short passage, or an introduction ending in a colon, joins
    what follows it; a short passage joins what precedes it unless it introduces what comes next."""
    introduces = following.rstrip().endswith(":")
    return _words(previous) < MIN_WORDS or previous.rstrip().endswith(":") or (_words(following) < MIN_WORDS and not introduces)
