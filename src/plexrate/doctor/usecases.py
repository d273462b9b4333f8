"""``plexrate config check``: doctor's lighter sibling, connecting once and counting the library.

``run_doctor`` (this package) is ``plexrate doctor``'s use case; this one only proves the
settings reach the library, and tells whether doctor has checked this server yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plexrate.errors import PlexrateError
from plexrate.model import ItemType
from plexrate.plex import connect_with
from plexrate.settings import Settings
from plexrate.state import StateStore
from plexrate.state.profile import load_profile


@dataclass(kw_only=True)
class ConnectionCheck:
    document: dict[str, Any]
    """The server, its URL, the library and its item counts (``config check --json``)."""
    counts: dict[str, int]
    settings: Settings
    machine_id: str

    def doctor_ran(self) -> bool:
        """Whether the state file remembers a doctor check of this server (read-only; a missing
        or unreadable state file only means the hint is shown)."""
        return _doctor_ran(self.settings, self.document["library"]["uuid"], self.machine_id)


def check_connection(settings: Settings) -> ConnectionCheck:
    """Connect to the configured library and count its items by type."""
    client = connect_with(settings)
    counts = {item_type.plural: client.count(item_type) for item_type in ItemType}
    document: dict[str, Any] = {
        "server": {"name": client.server_name, "version": client.server_version},
        "url": client.url,
        "library": {
            "title": client.section.title,
            "uuid": client.section.uuid,
            "section_id": client.section.id,
        },
        "counts": counts,
    }
    return ConnectionCheck(
        document=document,
        counts=counts,
        settings=settings,
        machine_id=client.machine_id,
    )


def _doctor_ran(settings: Settings, library_uuid: str, machine_id: str) -> bool:
    if not settings.state_path.is_file():
        return False
    try:
        with StateStore(settings.state_path, library_uuid=library_uuid, readonly=True) as store:
            return load_profile(store, machine_id) is not None
    except (PlexrateError, OSError):
        return False
