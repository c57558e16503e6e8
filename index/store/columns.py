"""Columns on disk: records stored field by field, memory-mapped when a generation is opened.

A generation of 100,000 passages stored as JSON took seconds to open: most of it went into building
100,000 Python objects that a search never looks at.  Here each field is one file: numbers as a
`.npy` array, strings as one UTF-8 blob (`<field>.utf8.npy`) with the end offset of each
(`<field>.ends.npy`).  Opening maps the files (np.load with mmap_mode), which costs a few system
calls; a record is built when it is asked for, from the bytes of its row.  Mapped pages are the
operating system's page cache, so every server process reading one generation shares one copy.

    write_records(directory, passages, Passage)      # one file (or two) per field
    table = Records.open(directory, Passage)          # a Sequence[Passage], each built on access
    table.column("recurring")                         # a field as a numpy array, or as Strings

How a field is stored follows its annotation: `str` as Strings, `int`, `float` and `bool` as arrays,
anything else (tuples, optional values) as the JSON of each value, a list read back as a tuple.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")

ARRAY_TYPES = {"int": np.int64, "float": np.float64, "bool": np.bool_}


def write_array(path: Path, array: np.ndarray) -> None:
    """`array` into `path`, a file of a generation being built (never one another generation holds:
    index.store.reuse copies what it takes over)."""
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def open_array(path: Path) -> np.ndarray:
    """The array in `path`, mapped read-only (no copy is read until its pages are touched).  A plain
    ndarray over the mapping, not np.memmap, whose indexing costs some microseconds more a call."""
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


class Strings(Sequence[str]):
    """Strings stored as one UTF-8 blob and the end offset of each; a string is decoded when read."""

    def __init__(self, blob: np.ndarray, ends: np.ndarray):
        self._blob = blob
        self._ends = ends

    @classmethod
    def of(cls, values: Sequence[str]) -> Strings:
        """`values` encoded in memory."""
        encoded = [value.encode("utf-8") for value in values]
        ends = np.cumsum([len(data) for data in encoded], dtype=np.int64) if encoded else np.zeros(0, np.int64)
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), ends)

    @staticmethod
    def write(directory: Path, name: str, values: Sequence[str]) -> None:
        Strings.of(values).save(directory, name)

    def save(self, directory: Path, name: str) -> None:
        write_array(directory / f"{name}.utf8.npy", self._blob)
        write_array(directory / f"{name}.ends.npy", self._ends)

    def concat(self, other: Strings) -> Strings:
        """These strings, then `other`'s."""
        ends = np.concatenate([self._ends, other._ends + (int(self._ends[-1]) if len(self._ends) else 0)])
        return Strings(np.concatenate([self._blob, other._blob]), ends)

    def take(self, rows: np.ndarray) -> Strings:
        """The strings at `rows`, in that order (their bytes copied, none decoded)."""
        starts = np.concatenate([[0], self._ends[:-1]]).astype(np.int64)
        data = self._blob.tobytes()
        pieces = [data[start:end] for start, end in zip(starts[rows].tolist(), self._ends[rows].tolist())]
        ends = np.cumsum([len(piece) for piece in pieces], dtype=np.int64) if pieces else np.zeros(0, np.int64)
        return Strings(np.frombuffer(b"".join(pieces), dtype=np.uint8), ends)

    @classmethod
    def open(cls, directory: Path, name: str) -> Strings:
        return cls(open_array(directory / f"{name}.utf8.npy"), open_array(directory / f"{name}.ends.npy"))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        if index < 0:
            index += len(self._ends)
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        start = int(self._ends[index - 1]) if index else 0
        return self._blob[start:int(self._ends[index])].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        data = self._blob.tobytes()
        start = 0
        for end in self._ends.tolist():
            yield data[start:end].decode("utf-8")
            start = end

    def check(self, what: str) -> None:
        """ValueError unless the offsets fit the blob (a damaged file that kept its checksum cannot get here,
        but a generation written by other code can)."""
        if len(self._ends) and (int(self._ends[-1]) != len(self._blob) or np.any(np.diff(self._ends) < 0)):
            raise ValueError(f"{what}: string offsets do not fit the stored text")


def _kind(annotation) -> str:
    """How a field of this annotation is stored: "str", one of ARRAY_TYPES, or "json"."""
    annotation = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return annotation if annotation == "str" or annotation in ARRAY_TYPES else "json"


Columns = dict[str, "Strings | np.ndarray"]  # a record type's fields, by name, in memory or mapped


def record_columns(records: Sequence, record_type: type) -> Columns:
    """Every field of `records` (instances of the dataclass `record_type`) as a column, in memory."""
    columns: Columns = {}
    for field in fields(record_type):
        values = [getattr(record, field.name) for record in records]
        kind = _kind(field.type)
        if kind == "str":
            columns[field.name] = Strings.of(values)
        elif kind == "json":
            columns[field.name] = Strings.of([json.dumps(value, ensure_ascii=False) for value in values])
        else:
            columns[field.name] = np.array(values, dtype=ARRAY_TYPES[kind])
    return columns


def concat_columns(first: Columns, second: Columns) -> Columns:
    """The rows of `first`, then those of `second` (the same fields)."""
    return {name: column.concat(second[name]) if isinstance(column, Strings) else np.concatenate([column, second[name]])
            for name, column in first.items()}


def take_columns(columns: Columns, rows: np.ndarray) -> Columns:
    """The rows `rows` of `columns`, in that order."""
    return {name: column.take(rows) if isinstance(column, Strings) else np.asarray(column)[rows]
            for name, column in columns.items()}


def save_columns(directory: Path, columns: Columns) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, column in columns.items():
        if isinstance(column, Strings):
            column.save(directory, name)
        else:
            write_array(directory / f"{name}.npy", column)


def write_records(directory: Path, records: Sequence, record_type: type) -> None:
    """Every field of `records` (instances of the dataclass `record_type`) as a column in `directory`."""
    save_columns(directory, record_columns(records, record_type))


class Records(Sequence[T], Generic[T]):
    """Records of one dataclass read from columns: `table[i]` builds record i from its row."""

    def __init__(self, record_type: type, columns: dict[str, Strings | np.ndarray], kinds: dict[str, str]):
        self._type = record_type
        self._columns = columns
        self._kinds = kinds
        self._length = len(next(iter(columns.values()))) if columns else 0
        if any(len(column) != self._length for column in columns.values()):
            raise ValueError(f"{record_type.__name__} columns differ in length")

    @classmethod
    def of_columns(cls, record_type: type, columns: Columns) -> Records:
        return cls(record_type, columns, {field.name: _kind(field.type) for field in fields(record_type)})

    @classmethod
    def open(cls, directory: Path, record_type: type) -> Records:
        columns: dict[str, Strings | np.ndarray] = {}
        kinds = {}
        for field in fields(record_type):
            kinds[field.name] = kind = _kind(field.type)
            if kind in ("str", "json"):
                strings = Strings.open(directory, field.name)
                strings.check(f"{directory.name}/{field.name}")
                columns[field.name] = strings
            else:
                columns[field.name] = open_array(directory / f"{field.name}.npy")
        return cls(record_type, columns, kinds)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> T:  # type: ignore[override]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return self._type(**{name: self._value(name, index) for name in self._columns})

    def _value(self, name: str, index: int):
        kind = self._kinds[name]
        value = self._columns[name][index]
        if kind == "json":
            value = _tuples(json.loads(value))
        elif kind != "str":
            value = value.item()
        return value

    def column(self, name: str) -> Strings | np.ndarray:
        """The field `name` of every record: a (read-only) numpy array, or Strings."""
        return self._columns[name]

    @property
    def columns(self) -> Columns:
        return dict(self._columns)


def _tuples(value):
    """JSON lists back as the tuples records hold."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


class SortedLookup:
    """Where each string of a Strings column is, by binary search over an order stored beside it
    (`<name>.order.npy`): a passage's ordinal from its id without a dictionary of every id."""

    def __init__(self, strings: Strings, order: np.ndarray):
        self._strings = strings
        self._order = order

    @staticmethod
    def write(directory: Path, name: str, values: Sequence[str]) -> None:
        write_array(directory / f"{name}.order.npy",
                    np.array(sorted(range(len(values)), key=values.__getitem__), dtype=np.int64))

    @classmethod
    def open(cls, directory: Path, name: str, strings: Strings) -> SortedLookup:
        order = open_array(directory / f"{name}.order.npy")
        if len(order) != len(strings):
            raise ValueError(f"{directory.name}/{name}: the lookup order does not fit the strings")
        return cls(strings, order)

    def find(self, value: str) -> int | None:
        """The row holding `value`, or None."""
        order, strings = self._order, self._strings
        at = bisect.bisect_left(range(len(order)), value, key=lambda i: strings[int(order[i])])
        if at < len(order) and strings[int(order[at])] == value:
            return int(order[at])
        return None
