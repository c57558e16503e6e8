"""Sentence ends in running text: the one splitter that passage sizing, caption trimming and the
benchmark's synthetic archives share."""

from __future__ import annotations

import re

# A full stop, question or exclamation mark, then space, then what can open a sentence (a Latin or
# Cyrillic capital, an opening quotation mark or bracket).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁ“\"(«])")


def split_sentences(text: str) -> list[str]:
    """`text` cut after each sentence end; the pieces keep their punctuation."""
    return SENTENCE_END.split(text)
