"""Helpers for tests that handle state files as files."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def copy_state(source: Path, target: Path) -> None:
    """A consistent copy of a closed state file (the SQLite backup API, never a raw file copy, so
    what the write-ahead log holds comes along)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
