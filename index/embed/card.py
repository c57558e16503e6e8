"""The languages a model reads, as its model card says.

A sentence-transformers model directory carries its model card, README.md, whose YAML front matter
names the languages it was trained on: `language: en` for all-MiniLM-L6-v2, a list of codes for a
multilingual model.  The archive goes by it: passages in a language the model does not read are not
sized for its tokenizer, and fusion does not let it rank them or queries written in such a language
(index.search.fusion).  Only the `language` key is read, so no YAML library is needed.
"""

from __future__ import annotations

import re
from pathlib import Path

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def card_languages(directory: Path) -> tuple[str, ...]:
    """The language codes the model card in `directory` names; () when there is no card, no `language`
    key, or it names no code (e.g. "multilingual"): the languages are then not known."""
    try:
        text = (directory / "README.md").read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return ()
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return ()
    front = lines[1:lines.index("---", 1)] if "---" in lines[1:] else []
    values: list[str] = []
    for number, line in enumerate(front):
        if line.startswith("language:"):
            inline = line.removeprefix("language:").strip()
            values = [inline] if inline else [item.strip().removeprefix("-").strip() for item in front[number + 1:]
                                                if item.startswith((" ", "-")) and item.strip().startswith("-")]
            break
    codes = [value.strip("'\"").lower() for value in values]
    return tuple(code for code in codes if _LANGUAGE_CODE.fullmatch(code))
