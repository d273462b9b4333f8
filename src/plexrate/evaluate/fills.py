"""What each method would fill the tracks the person did not rate from, and what held-out error
cannot see.

Cross-validation scores tracks the person rated. Most of what plexrate writes is the rest: tracks
on albums the person rated nothing of, often by artists they rated nothing of. This counts, over
the whole library, which of the person's ratings each method would lean on for every unrated
track: plexrate (with the settings given), and the baselines of ``plexrate evaluate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plexrate.engine import EngineConfig, Evidence, Inference, LibraryIndex, infer
from plexrate.evaluate.baselines import Baseline
from plexrate.model import LibrarySnapshot, OwnedItem

UNFILLED = "unfilled"
LEVELS: tuple[str, ...] = (*(e.value for e in Evidence), UNFILLED)
"""The columns, nearest evidence first: copies, album, artist, none, and left unrated."""


@dataclass(frozen=True, slots=True)
class Fills:
    unrated: int
    """Tracks without a rating of the person's (plexrate's own values count as unrated)."""
    on_unrated_albums: int
    """Of those, the tracks whose album has no rating of the person's at all."""
    methods: Mapping[str, Mapping[str, int]]
    """``"plexrate"`` and each ``Baseline`` value → level (``LEVELS``) → tracks."""


def fills(
    snapshot: LibrarySnapshot,
    *,
    owned: Mapping[int, OwnedItem],
    config: EngineConfig,
    index: LibraryIndex | None = None,
) -> Fills:
    inference = infer(snapshot, owned=owned, config=config, index=index)
    return fills_of(inference)


def fills_of(inference: Inference) -> Fills:
    """``fills`` for an inference already computed with nothing hidden."""
    snapshot = inference.snapshot
    rated_tracks_by_album: set[int] = set()
    rated_tracks_by_artist: set[int] = set()
    unrated: list[int] = []
    for key, track in snapshot.tracks.items():
        if inference.kind(key).is_manual:
            rated_tracks_by_album.add(track.album_key)
            rated_tracks_by_artist.add(track.artist_key)
        else:
            unrated.append(key)
    counts: dict[str, dict[str, int]] = {
        name: dict.fromkeys(LEVELS, 0) for name in ("plexrate", *(b.value for b in Baseline))
    }
    on_unrated_albums = 0
    for key in unrated:
        track = snapshot.tracks[key]
        level = inference.evidence(key)
        if track.album_key not in inference.rated_albums:
            on_unrated_albums += 1
        filled = key in inference.values
        counts["plexrate"][level.value if filled else UNFILLED] += 1
        # The baselines use track ratings only (the album mean its album's, the artist mean all
        # the artist's) and fall back to the library mean: nothing of the track's own.
        counts[Baseline.LIBRARY_MEAN.value][Evidence.NONE.value] += 1
        album = Evidence.ALBUM if track.album_key in rated_tracks_by_album else Evidence.NONE
        counts[Baseline.ALBUM_MEAN.value][album.value] += 1
        artist = Evidence.ARTIST if track.artist_key in rated_tracks_by_artist else Evidence.NONE
        counts[Baseline.ARTIST_MEAN.value][artist.value] += 1
    return Fills(unrated=len(unrated), on_unrated_albums=on_unrated_albums, methods=counts)
