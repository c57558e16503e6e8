"""Configuration from environment variables, with defaults that need no configuration at all.

`Settings.from_env` is the one place the library and its scripts read the environment; the README's
table lists every variable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import ArchiveError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "newsletter-archive"

# How the model is run (see index.embed): ONNX Runtime with int8 weights by default, ONNX float32, or
# sentence-transformers on PyTorch ("torch", float32).  Recorded in the manifest and in the cache keys.
EMBEDDING_BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_EMBEDDING_BACKEND = "onnx-int8"


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which model embeds passages and queries, and how it runs."""

    model: str | None = None  # a sentence-transformers path or name; None: the packaged all-MiniLM-L6-v2
    backend: str = DEFAULT_EMBEDDING_BACKEND
    threads: int | None = None  # None: every core
    export_dir: Path = DEFAULT_CACHE_DIR / "onnx"  # where ONNX exports of the model are kept


@dataclass(frozen=True)
class Settings:
    archive_dir: Path
    index_dir: Path
    model: str | None  # None: the packaged default, resolved when the model is first needed
    cache_dir: Path = DEFAULT_CACHE_DIR  # benchmark indexes and the model's ONNX export, outside the repository
    embedding_backend: str = DEFAULT_EMBEDDING_BACKEND
    embedding_threads: int | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8  # request threads of each server process
    workers: int = 1  # server processes (scripts/run); from the environment: one per core unless set
    public_url: str | None = None  # where the site is public; every absolute link is built from it (webapp.hosts)
    allowed_hosts: tuple[str, ...] = ()  # Host names, besides loopback ones, that links may be built from

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            archive_dir=Path(env.get("ARCHIVE_DIR", ROOT / "archive")),
            index_dir=Path(env.get("ARCHIVE_INDEX_DIR", ROOT / "var" / "index")),
            model=env.get("ARCHIVE_MODEL") or None,
            cache_dir=Path(env.get("ARCHIVE_CACHE_DIR", DEFAULT_CACHE_DIR)),
            embedding_backend=_choice(env, "ARCHIVE_EMBEDDING_BACKEND", EMBEDDING_BACKENDS, DEFAULT_EMBEDDING_BACKEND),
            embedding_threads=_positive(env, "ARCHIVE_EMBEDDING_THREADS", None),
            host=env.get("ARCHIVE_HOST", "127.0.0.1"),
            port=_positive(env, "ARCHIVE_PORT", 8000),
            threads=_positive(env, "ARCHIVE_THREADS", 8),
            workers=_positive(env, "ARCHIVE_WORKERS", None) or usable_cores(),
            public_url=env.get("ARCHIVE_PUBLIC_URL", "").strip() or None,
            allowed_hosts=tuple(name.lower() for name in re.split(r"[\s,]+", env.get("ARCHIVE_ALLOWED_HOSTS", "")) if name),
        )

    @property
    def embedding(self) -> EmbeddingSettings:
        return EmbeddingSettings(self.model, self.embedding_backend, self.embedding_threads, self.cache_dir / "onnx")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _choice(env: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip() or default
    if value not in choices:
        raise ArchiveError(f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}")
    return value


def _positive(env: dict, name: str, default: int | None) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ArchiveError(f"{name} must be a whole number of at least 1, not {value[:40]!r}")
    return int(value)
