"""Libraries for the evaluation tests: hand-made snapshots (the shared builder), and the
generator's libraries as snapshots without a server (the same records ``plexrate.plex.snapshot``
reads over HTTP)."""

from __future__ import annotations

from plexrate.emulator import generate_library
from plexrate.emulator.offline import snapshot_of
from plexrate.model import LibrarySnapshot
from tests.support.library import Lib


def evaluate_lib() -> Lib:
    """A library as the evaluation tests make them: no guids, and untitled tracks numbered."""
    return Lib(library_uuid="evaluate-test", guids=False, numbered_songs=True)


def generated(tracks: int, seed: int) -> LibrarySnapshot:
    return snapshot_of(generate_library(tracks=tracks, seed=seed))
