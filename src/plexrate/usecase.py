"""What a use case hands back to the command that called it.

Each feature package has one module of use cases (``admin/usecases.py``, ``bulk/usecases.py``,
``phases/usecases.py``): functions that take a ``Session`` (or, for the commands that work
without Plex, the settings) and typed options, and return a typed result. A result that plans
writes is a ``PlanResult``: the plan, the notes people are told about it, and the keys of its own
that ``--json`` adds to the document. The CLI renders a result; nothing comes back any other way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plexrate.model import LibrarySnapshot, Plan

SCALE_NOTE = "ratings are on Plex's 0-10 scale (stars x 2)"
"""In every ``--json`` document that carries ratings, so no reader takes them for stars."""


@dataclass(kw_only=True)
class PlanResult:
    """A plan a use case made, with the command's own ``--json`` keys (``document``)."""

    plan: Plan
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        return self.plan.notes


def library_of(snapshot: LibrarySnapshot) -> dict[str, str]:
    """The library a document is about, as every ``--json`` document names it."""
    return {"title": snapshot.section_title, "uuid": snapshot.library_uuid}
