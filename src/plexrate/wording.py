"""How numbers and ratings read in messages for people: plurals and star labels.

One home for these, so a count or a rating reads the same in every command, table and note.
Plain text only (no rich markup): the core's messages use it as much as the CLI's.
"""

from __future__ import annotations


def count(n: int, noun: str) -> str:
    """``1 item``, ``2 items``, ``1,234 items``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
