"""How plexrate arrived at a hidden track's value: the line of evidence it followed.

Read from the structure of an ``Inference`` — which phase last set the track, and what kind of
value its album and artist hold — rather than from the reason texts, which are written for people
and may change wording.
"""

from __future__ import annotations

from enum import StrEnum

from plexrate.engine import ArtistEvidence, Inference
from plexrate.model import Phase


class FillPath(StrEnum):
    ALBUM_TRACKS = "album-tracks"
    """From its album's value, which Album-Up derived from the album's other manual tracks."""
    MANUAL_ALBUM = "manual-album"
    """From the album's manual rating, pulled toward μ by TRACK_INHERITANCE_GRAVITY."""
    ARTIST = "artist"
    """From its album's value, which Album-Down took from the artist: the artist's manual rating
    (with ALBUM_INHERITANCE_GRAVITY) or a value inferred from the artist's other albums."""
    PRIOR = "prior"
    """No evidence anywhere up the line: the album and artist hold only μ, or no value at all."""
    TWINS = "twins"
    """From other copies of the same recording (Twins): the mean of the manual copies, else of
    the copies' values."""
    KEPT = "kept"
    """From an album or artist value an earlier plexrate run wrote and this run did not
    recompute (possible only with FILL_WITHOUT_EVIDENCE off)."""
    UNFILLED = "unfilled"
    """No value: plexrate would leave the track unrated (FILL_WITHOUT_EVIDENCE off)."""


class PathFinder:
    """Classifies the hidden tracks of one inference; album and artist answers are cached."""

    def __init__(self, inference: Inference) -> None:
        self.inference = inference
        self._albums: dict[int, FillPath] = {}
        self._artists: dict[int, FillPath] = {}

    def track(self, key: int) -> FillPath:
        inference = self.inference
        assignment = inference.assignments.get(key)
        if assignment is None or key not in inference.values:
            return FillPath.UNFILLED
        if assignment.phase is Phase.TWINS:
            return FillPath.TWINS
        if assignment.phase is not Phase.TRACK_DOWN:
            return FillPath.KEPT
        album_key = inference.snapshot.tracks[key].album_key
        found = self._albums.get(album_key)
        if found is None:
            found = self._albums[album_key] = self._album(album_key)
        return found

    def _album(self, album_key: int) -> FillPath:
        inference = self.inference
        if album_key not in inference.values:
            # Track-Down filled in μ itself.
            return FillPath.PRIOR
        if inference.kind(album_key).is_manual:
            return FillPath.MANUAL_ALBUM
        assignment = inference.assignments.get(album_key)
        if assignment is None:
            return FillPath.KEPT
        if assignment.phase is Phase.ALBUM_UP:
            return FillPath.ALBUM_TRACKS
        album = inference.snapshot.albums.get(album_key)
        if album is None:
            return FillPath.KEPT
        found = self._artists.get(album.artist_key)
        if found is None:
            found = self._artists[album.artist_key] = self._artist(album.artist_key)
        return found

    def _artist(self, artist_key: int) -> FillPath:
        inference = self.inference
        if artist_key not in inference.values:
            # Album-Down filled in μ for want of an artist value.
            return FillPath.PRIOR
        if inference.kind(artist_key).is_manual:
            return FillPath.ARTIST
        if artist_key not in inference.assignments:
            return FillPath.KEPT
        return FillPath.ARTIST if self._artist_has_evidence(artist_key) else FillPath.PRIOR

    def _artist_has_evidence(self, artist_key: int) -> bool:
        """Artist-Up's rule: manual albums, plus (ARTIST_EVIDENCE derived) the albums Album-Up
        derived from their own manual tracks — exactly the albums it assigned."""
        inference = self.inference
        derived = inference.config.artist_evidence is ArtistEvidence.DERIVED
        for album_key in inference.index.albums_by_artist.get(artist_key, ()):
            if inference.kind(album_key).is_manual:
                return True
            if derived:
                assignment = inference.assignments.get(album_key)
                if assignment is not None and assignment.phase is Phase.ALBUM_UP:
                    return True
        return False
