"""What a build may take from earlier builds instead of computing it again.

Vectors come from the content-keyed vector cache (index.embed.models), or from the served generation
for passages whose text did not change.  Besides them:

- a parsed file, from the parse cache: keyed by the file's name and bytes, its catalog entry, the
  model whose tokenizer sizes passages, and the code that parses (PARSING_SOURCE), so editing a file,
  its catalog entry or the parser parses it again, and changing how an index is stored does not.  An
  entry is JSON (data, never code: whoever can write the cache cannot run anything in the next build)
  headed by the sha256 of the rest, and one that does not match it is parsed again;
- from the generation being served, when it was built by the same code and its files still match
  their checksums (`served_for`):
  - with the same documents (documents.json and every issue, section and passage column, byte for
    byte), its keyword index and its figures whole;
  - with other documents, its keyword index, updated passage by passage, and its figures, taken for
    every passage whose text did not change (index.store.increments);
  figures and vectors only when it used the same model and embedding backend.
  Files are copied, not linked, so that damage to one generation's file can never reach the other
  kept generation, and each copy is checked against the checksum its source generation recorded
  while it is written, else nothing is taken over.

"The same code" is one hash over the source that shapes an index (`code_digest`: the records, text
analysis, reading files, figure extraction and series, the keyword schema and writer, the stored
formats, and the model card reader that tells passage sizing which languages the model reads; not the
code that only searches them), so editing the web app, evaluation or the benchmark keeps what was
built; any change to that source makes every output be computed again, the conservative side of
being wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.ingest.catalog import Catalog
from index.records import Corpus, ParsedIssue
from index.search.keyword import LAYOUT_FILES
from index.store.documents import DOCUMENT_DIRS, DOCUMENTS_FILE, corpus_from_json, corpus_to_json
from index.store.figure_files import FIGURE_VECTORS_FILE, FIGURES_DIR
from index.store.generations import CHECKSUMMED_NAME, changed_files, file_sha256, files_sha256, generation_files

KEYWORD_DIR = "keyword"

LIBRARY = Path(__file__).resolve().parent.parent
SHAPING_SOURCE = ("records.py", "text", "ingest", "figures/extract.py", "figures/records.py", "figures/series.py",
                  "figures/tables.py", "search/schema.py", "search/keyword.py", "search/bm25.py",
                  "search/filters.py", "store/generations.py", "store/build.py", "store/columns.py",
                  "store/documents.py", "store/figure_files.py", "store/increments.py", "embed/card.py")


# What a parsed file depends on: the records, reading and sizing (the tokenizer's wrapper) and text analysis.
PARSING_SOURCE = ("records.py", "text", "ingest", "embed")


@lru_cache(maxsize=2)
def code_digest(sources: tuple[str, ...] = SHAPING_SOURCE) -> str:
    """One hash over the source that shapes an index (SHAPING_SOURCE, files and packages of `index`), or
    over `sources`."""
    digest = hashlib.sha256()
    for name in sources:
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
        parts = (code_digest(PARSING_SOURCE), self.sizing_model, path.name, file_sha256(path),
                 catalog.newsletter_title, repr(catalog.author), repr(catalog.entry(path.name)))
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


@dataclass(frozen=True)
class Served:
    """The served generation, as a build may start from it: built by the same code, and the files
    a build reads or links (`names`) match their checksums.  `same_model`: its vectors and figures
    were computed by the model and backend this build uses."""

    path: Path
    manifest: dict
    names: tuple[str, ...]
    same_model: bool

    def named(self, folder: str) -> list[str]:
        return [name for name in self.names if name.startswith(f"{folder}/")]

    def checksums(self, names: list[str]) -> dict[str, str]:
        return {name: self.manifest["checksums"][name] for name in names}


def served_for(previous: Path | None, previous_manifest: dict | None, manifest: dict) -> Served | None:
    """What of `previous` (the served generation) a build writing `manifest` may start from; None when
    nothing: another code, a keyword index it does not name, or a file that does not match its checksum."""
    if previous is None or previous_manifest is None or previous_manifest.get("code_digest") != manifest["code_digest"]:
        return None
    checksums = previous_manifest.get("checksums")
    if not isinstance(checksums, dict):
        return None
    # The files its manifest names, not those on disk: a lost segment must stop the take-over.
    names = [name for name in checksums if isinstance(name, str) and CHECKSUMMED_NAME.fullmatch(name)]
    same_model = all(previous_manifest.get(key) == manifest[key] for key in ("model", "embedding_backend"))
    wanted = (KEYWORD_DIR, *DOCUMENT_DIRS, FIGURES_DIR) if same_model else (KEYWORD_DIR, *DOCUMENT_DIRS)
    taken = [name for name in names if name.split("/")[0] in wanted]
    taken += [DOCUMENTS_FILE] + ([FIGURE_VECTORS_FILE, "vectors.npy"] if same_model else [])
    if not any(name.startswith(f"{KEYWORD_DIR}/") for name in taken) or changed_files(previous, previous_manifest, taken):
        return None
    return Served(previous, previous_manifest, tuple(taken), same_model)


def same_documents(served: Served, building: Path) -> dict[str, str] | None:
    """The checksums of the documents written into `building` (issues, sections and passages: figure
    series depend on the issues' dates too) when they are those of `served`, byte for byte, else None."""
    names = [name for name in generation_files(building) if _is_document(name)]
    checksums = dict(zip(names, files_sha256(building / name for name in names)))
    earlier = {name: served.manifest["checksums"].get(name) for name in served.names if _is_document(name)}
    return checksums if checksums == earlier else None


def _is_document(name: str) -> bool:
    return name == DOCUMENTS_FILE or name.split("/")[0] in DOCUMENT_DIRS


def keyword_files_to_update(served: Served) -> list[str]:
    """The keyword files a build links before updating the index: all but its layout, which is written anew."""
    return [name for name in served.named(KEYWORD_DIR) if name.split("/")[1] not in LAYOUT_FILES]


def figure_files(served: Served) -> list[str]:
    return served.named(FIGURES_DIR) + [FIGURE_VECTORS_FILE]


def take_over(source: Path, checksums: Mapping[str, str], building: Path, names: list[str]) -> bool:
    """Copy `names` of `source` (a generation) into `building`, each hashed as it is copied: True when
    every copy matches its checksum in `checksums` (the source's manifest), else False, and no copy (nor
    a folder made for one) is left.  Copies, not hard links, so that damage to one generation's file
    never reaches another."""
    made = [folder for folder in {(building / name).parent for name in names} if not folder.exists()]
    for name in names:
        if copy_checked(source / name, building / name) != checksums.get(name):
            for copied in names:
                (building / copied).unlink(missing_ok=True)
            for folder in made:
                shutil.rmtree(folder, ignore_errors=True)
            return False
    return True


def copy_checked(source: Path, target: Path) -> str:
    """Copy `source` to `target` and return the sha256 of the bytes copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with source.open("rb") as reading, target.open("wb") as writing:
        while chunk := reading.read(1 << 20):
            digest.update(chunk)
            writing.write(chunk)
    return digest.hexdigest()
