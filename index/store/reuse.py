"""What a build may take from earlier builds instead of computing it again.

Vectors come from the content-keyed vector cache (index.embed.models).  Besides them:

- a parsed file, from the parse cache: keyed by the file's name and bytes, its catalog entry, the
  model whose tokenizer sizes passages, and the code, so editing a file, its catalog entry or the
  parser parses it again.  An entry is JSON (data, never code: whoever can write the cache cannot
  run anything in the next build) headed by the sha256 of the rest, and one that does not match it
  is parsed again;
- the keyword index and the figure index, from the generation being served: taken over when that
  generation was built by the same code from the same documents.json (and, for figures, with the
  same model and embedding backend).  They are copied, not linked, so that damage to one
  generation's file can never reach the other kept generation, and each copy must match the
  checksum its source generation recorded, else nothing is taken over.

"The same code" is one hash over the source that shapes an index (`code_digest`: the records, text
analysis, reading files, figure extraction, the keyword schema and writer, and the model card reader
that tells passage sizing which languages the model reads), so editing the web app, evaluation or the
benchmark keeps what was built; any change to that source makes every output
be computed again, the conservative side of being wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

from index.figures.figure_index import FIGURE_VECTORS_FILE, FIGURES_FILE
from index.ingest.catalog import Catalog
from index.records import Corpus, ParsedIssue
from index.store.generations import CHECKSUMMED_NAME, corpus_from_json, corpus_to_json, file_sha256, verify_files

FIGURE_OUTPUTS = (FIGURES_FILE, FIGURE_VECTORS_FILE)


LIBRARY = Path(__file__).resolve().parent.parent
SHAPING_SOURCE = ("records.py", "text", "ingest", "figures", "search/schema.py", "search/keyword.py",
                  "store/generations.py", "store/build.py", "embed/card.py")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """One hash over the source that shapes an index (SHAPING_SOURCE, files and packages of `index`)."""
    digest = hashlib.sha256()
    for name in SHAPING_SOURCE:
        path = LIBRARY / name
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(source.relative_to(LIBRARY)).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


class ParseCache:
    """Parsed files by what their parse depends on, as checksummed JSON under `directory`.

    An entry that cannot be read back (damaged, changed, written by other code) is parsed again,
    never an error.
    """

    def __init__(self, directory: Path, sizing_model: str) -> None:
        self.directory = directory
        self.sizing_model = sizing_model  # the model whose tokenizer sizes passages
        self.used: set[str] = set()

    def key(self, path: Path, catalog: Catalog) -> str:
        parts = (code_digest(), self.sizing_model, path.name, file_sha256(path), catalog.newsletter_title,
                 repr(catalog.author), repr(catalog.entry(path.name)))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def get(self, key: str) -> ParsedIssue | None:
        self.used.add(key)
        try:
            checksum, _, payload = (self.directory / f"{key}.json").read_bytes().partition(b"\n")
            if hashlib.sha256(payload).hexdigest().encode() != checksum:
                return None
            corpus = corpus_from_json(json.loads(payload))
            [issue] = corpus.issues
        except Exception:  # noqa: BLE001 - any unreadable entry is a miss
            return None
        return ParsedIssue(issue, corpus.sections, corpus.passages)

    def put(self, key: str, parsed: ParsedIssue) -> None:
        self.used.add(key)
        payload = json.dumps(corpus_to_json(Corpus((parsed.issue,), parsed.sections, parsed.passages)),
                             ensure_ascii=False).encode()
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.directory / f".{key}.{os.getpid()}.tmp"
        temporary.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        os.replace(temporary, self.directory / f"{key}.json")

    def forget_unused(self) -> None:
        """Remove the entries this build did not use (files removed from the archive or changed), and
        entries of the pickle format this cache once had.  Best effort: a cache left over costs only disk."""
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            if path.name.endswith(".pickle") or (path.name.endswith(".json") and path.stem not in self.used):
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass


def reusable_outputs(previous: Path | None, previous_manifest: dict | None, manifest: dict,
                     documents_sha256: str) -> list[str]:
    """The files of `previous` (the served generation) that a build writing `manifest` may take over.

    Nothing when it was built by other code or from other documents; the figure files only when it
    used the same model and backend too.  Files whose checksum no longer matches are not taken.
    """
    if previous is None or previous_manifest is None:
        return []
    if (previous_manifest.get("code_digest") != manifest["code_digest"]
            or previous_manifest.get("checksums", {}).get("documents.json") != documents_sha256):
        return []
    checksums = previous_manifest.get("checksums")
    # The keyword files its manifest names, not those on disk: a lost segment must stop the take-over.
    names = [name for name in checksums if name.startswith("keyword/") and CHECKSUMMED_NAME.fullmatch(name)] \
        if isinstance(checksums, dict) else []
    if not names:
        return []
    if all(previous_manifest.get(key) == manifest[key] for key in ("model", "embedding_backend")):
        names += FIGURE_OUTPUTS
    return names if verify_files(previous, previous_manifest, names) else []


def take_over(previous: Path, previous_manifest: dict, building: Path, names: list[str]) -> list[str]:
    """Copy `names` of `previous` into `building`; the names taken over: all of them when every copy
    matches the checksum `previous_manifest` records, else none (and no copy is left)."""
    for name in names:
        target = building / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(previous / name, target)
    if verify_files(building, previous_manifest, names):
        return names
    for name in names:
        (building / name).unlink(missing_ok=True)
    return []
