"""The use cases of ``plexrate run`` and the phase commands (and of every ``watch`` cycle)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plexrate.engine.index import LibraryIndex
from plexrate.engine.infer import infer
from plexrate.engine.plan import build_plan
from plexrate.model import INFERENCE_PHASES, OwnedItem, Phase, Plan
from plexrate.session import Session, StagedPlan, plan_whole_run
from plexrate.usecase import PlanResult


@dataclass(frozen=True, kw_only=True)
class PhaseOptions:
    command: str
    """The command's name, part of a full run's fingerprint (``session.plan_whole_run``)."""
    phases: tuple[Phase, ...] = INFERENCE_PHASES
    start_letter: str | None = None
    """Skip the first phase's artists sorting before this letter (already checked)."""

    @property
    def whole(self) -> bool:
        """Every phase over every artist: only such a run proves ownership covers the library."""
        return self.phases == INFERENCE_PHASES and not self.start_letter


def plan_phases(session: Session, options: PhaseOptions) -> PlanResult:
    """The plan of ``options.phases`` against the session's library."""
    return PlanResult(
        plan=inference_plan(
            session,
            command=options.command,
            phases=options.phases,
            start_letter=options.start_letter,
        )
    )


STAGED_MIN = 1000
"""A cycle writes what new ratings reach first when that is at most this many items or a
twentieth of the library: planning it apart costs a second pass over every item's rating (about
0.3 s at 300,000 tracks), worth it for a few albums, not for a day of catching up."""


def reach(index: LibraryIndex, rated: Iterable[int]) -> frozenset[int]:
    """What new ratings reach: each rated item, its album and artist, and the tracks of those
    albums (of all the artist's albums, for an artist rated). Keys the library does not hold
    reach nothing."""
    snapshot = index.snapshot
    keys: set[int] = set()
    albums: set[int] = set()
    for key in rated:
        if key in snapshot.artists:
            keys.add(key)
            albums.update(index.albums_by_artist.get(key, ()))
        elif (album := snapshot.albums.get(key)) is not None:
            albums.add(key)
            keys.add(album.artist_key)
        elif (track := snapshot.tracks.get(key)) is not None:
            albums.add(track.album_key)
            keys.update((key, track.artist_key))
    keys.update(albums)
    for album_key in albums:
        keys.update(index.tracks_by_album.get(album_key, ()))
    return frozenset(keys)


def cycle_plan(session: Session, *, command: str, rated: Iterable[int]) -> Plan | StagedPlan:
    """A full run's plan (``inference_plan``) for a ``watch`` cycle that found ``rated`` newly
    rated: in two steps when what they reach is small enough (``StagedPlan``), first the changes
    of those items and what their values depend on, then the whole plan. The first part is
    planned with the same ownership and settings, so it holds exactly the whole plan's changes
    of those items."""
    rated = frozenset(rated)
    if not rated:
        # A cycle for plays, or for ratings plexrate wrote itself: nothing to put first, and no
        # index to build for it (inference builds its own).
        return inference_plan(session, command=command)
    snapshot = session.snapshot
    config = session.settings.engine_config()
    index = LibraryIndex.build(snapshot, config)
    scope = reach(index, rated)
    if not scope or len(scope) > max(STAGED_MIN, snapshot.size // 20):
        return inference_plan(session, command=command)
    # Read once: the whole plan is made after the first part's writes are recorded, and must
    # not take plexrate's claims on them for what the library held when it was read.
    owned = session.owned()
    stamp = session.store.owned_stamp()
    limited = infer(snapshot, owned=owned, config=config, index=index, only=scope)
    assert limited.only is not None
    first = build_plan(snapshot, owned=owned, config=config, inference=limited)

    def build(owned: dict[int, OwnedItem]) -> Plan:
        # The model fitted for the first part is the whole plan's too (same inputs).
        whole = infer(snapshot, owned=owned, config=config, index=index, reuse=limited)
        return build_plan(snapshot, owned=owned, config=config, inference=whole)

    return StagedPlan(
        first=first,
        keys=limited.only,
        make_whole=lambda: plan_whole_run(
            session, {"command": command}, build, owned=owned, stamp=stamp
        ),
    )


def inference_plan(
    session: Session,
    *,
    command: str,
    phases: tuple[Phase, ...] = INFERENCE_PHASES,
    start_letter: str | None = None,
) -> Plan:
    """The plan of ``phases`` against the session's library: a full run's goes through
    ``plan_whole_run`` (the remembered empty plan when nothing is new)."""

    def build(owned: dict[int, OwnedItem]) -> Plan:
        return build_plan(
            session.snapshot,
            owned=owned,
            config=session.settings.engine_config(),
            phases=phases,
            start_letter=start_letter,
        )

    if phases == INFERENCE_PHASES and not start_letter:
        return plan_whole_run(session, {"command": command}, build)
    return build(session.owned())
