"""Settings from the environment: the server's process count."""

from __future__ import annotations

import pytest

from index.config import Settings, usable_cores
from index.errors import ArchiveError


def test_the_server_runs_a_process_per_core_unless_told(monkeypatch):
    monkeypatch.delenv("ARCHIVE_WORKERS", raising=False)
    assert Settings.from_env().workers == usable_cores() >= 1
    monkeypatch.setenv("ARCHIVE_WORKERS", "3")
    assert Settings.from_env().workers == 3


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_a_process_count_that_is_not_a_whole_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("ARCHIVE_WORKERS", value)
    with pytest.raises(ArchiveError, match="ARCHIVE_WORKERS must be a whole number of at least 1"):
        Settings.from_env()
