"""Read the library whole, or only what changed since the copy kept from the last run (issue 23).

``read_library`` decides which: a change read needs a cached copy of this library from this server
with these managed tags, a section Plex has not re-scanned since, a whole read within
``WHOLE_READ_HOURS``, and every plexrate write since that copy confirmed (they are laid over it,
since an edit-form write may leave no trace a listing could find). Anything else is a whole read,
and ``ReadInfo.why`` says which condition asked for it. ``plex/changes.py`` falls back to reading
the tracks whole itself when its counts do not add up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from plexrate.model import LibrarySnapshot, Marks, Plan, normalise_rating
from plexrate.plex import PlexClient
from plexrate.plex.changes import LibraryRead, read_changes, read_whole
from plexrate.progress import NULL_PROGRESS, Progress
from plexrate.settings import Settings
from plexrate.state import EntryStatus, JournalEntry, StateStore
from plexrate.state.snapcache import CachedSnapshot, CacheHeader, SnapshotCache, cache_path


@dataclass(frozen=True, slots=True)
class ReadInfo:
    """How a session read the library."""

    whole: bool
    why: str
    """Why it was read whole, or what the change read found."""
    requests: int
    seconds: float
    changed_tracks: int = 0
    since: float | None = None
    """Local time of the read the changes were counted from (change reads only)."""
    nothing_new: bool = False
    """A change read that found the library exactly as the cached copy, with no plexrate write
    since: a plan made from it equals the last one."""
    settled: str = ""
    """With ``nothing_new``: the fingerprint of a full run that planned nothing from the copy."""
    settled_plan: Mapping[str, Any] = field(default_factory=dict)
    rerated: frozenset[int] = frozenset()
    """Change reads: the items whose rating the read found changed since the last one by anyone
    but plexrate (``rerated``); what a ``watch`` cycle writes the consequences of first."""

    def as_dict(self) -> dict[str, object]:
        return {
            "whole": self.whole,
            "why": self.why,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "changed_tracks": self.changed_tracks,
            "since": self.since,
            "nothing_new": self.nothing_new,
        }


def _same_tags(a: Sequence[str], b: Sequence[str]) -> bool:
    return [t.casefold() for t in a] == [t.casefold() for t in b]


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"


def why_whole(
    cached: CachedSnapshot | None,
    *,
    settings: Settings,
    client: PlexClient,
    store: StateStore,
    tags: Sequence[str],
    now: float,
) -> str | None:
    """Why the library must be read whole this time, or None when a change read will do."""
    if settings.whole_read_hours == 0:
        return "WHOLE_READ_HOURS is 0"
    if cached is None:
        return "no copy of the library from an earlier run"
    header = cached.header
    if header.server_id != client.machine_id or header.section_id != client.section.id:
        return "the copy from the last run is of another server or section"
    if not _same_tags(header.tags, tags):
        return "the tags plexrate manages changed since the last run"
    if header.rejected:
        return "the last read left out items with values Plex should not send"
    scanned = client.section.scanned_at
    if header.scanned_at is not None and scanned is not None and scanned != header.scanned_at:
        return "Plex scanned the library since the last run"
    age = now - header.whole_read_at
    if age > settings.whole_read_hours * 3600 or age < 0:
        return f"the last whole read was {_hours(max(age, 0))} ago (WHOLE_READ_HOURS)"
    if header.run_mark > store.journal_mark()[1]:
        # Run ids are never reused: a file without the copy's last run is an older one (a
        # backup put back, a refused damaged file replaced), whose journal cannot say what
        # plexrate wrote since the copy was read.
        return "the state file is older than the copy of the library (restored from a backup?)"
    if _compacted_since(store, header.run_mark):
        return "the journal of runs since the last read was compacted"
    return None


def _compacted_since(store: StateStore, run_mark: int) -> bool:
    """Whether a run after ``run_mark`` had its journal compacted (its writes are no longer
    listed one by one)."""
    return bool(store.compacted_runs() & set(range(run_mark + 1, store.journal_mark()[1] + 1)))


def rerated(base: LibrarySnapshot, snapshot: LibrarySnapshot) -> frozenset[int]:
    """The items of ``snapshot`` whose rating differs from ``base`` (the last read with
    plexrate's writes since laid over it, ``overlay``), new items included: what the person, or
    another tool, rated or cleared since. A record the change read did not bring in is the very
    object of the last read, so only the ones it brought are compared."""
    found: set[int] = set()
    for before, after in (
        (base.artists, snapshot.artists),
        (base.albums, snapshot.albums),
        (base.tracks, snapshot.tracks),
    ):
        for key, record in after.items():
            old = before.get(key)
            if old is not record and (old is None or old.rating != record.rating):
                found.add(key)
    return frozenset(found)


def overlay(
    snapshot: LibrarySnapshot, entries: Sequence[JournalEntry]
) -> tuple[LibrarySnapshot | None, str]:
    """``snapshot`` with plexrate's writes in ``entries`` applied, or None and why it cannot be
    (a write whose outcome is not known)."""
    if not entries:
        return snapshot, ""
    unsure = [e for e in entries if e.status is not EntryStatus.CONFIRMED]
    if unsure:
        pending = sum(1 for e in unsure if e.status is EntryStatus.PENDING)
        what = "unconfirmed" if pending else "failed and may have landed"
        return None, f"{len(unsure):,} writes since the last read are {what}"
    artists, albums, tracks = dict(snapshot.artists), dict(snapshot.albums), dict(snapshot.tracks)
    tagged = {name: set(keys) for name, keys in snapshot.tagged.items()}
    by_fold = {name.casefold(): name for name in tagged}
    for entry in entries:
        key = entry.key
        if entry.set_rating:
            value = normalise_rating(entry.written_value)
            if key in tracks:
                tracks[key] = replace(tracks[key], rating=value)
            elif key in albums:
                albums[key] = replace(albums[key], rating=value)
            elif key in artists:
                artists[key] = replace(artists[key], rating=value)
        for tag in entry.add_tags:
            name = by_fold.get(tag.casefold())
            if name is not None:
                tagged[name].add(key)
        for tag in entry.remove_tags:
            name = by_fold.get(tag.casefold())
            if name is not None:
                tagged[name].discard(key)
    return (
        replace(
            snapshot,
            artists=MappingProxyType(artists),
            albums=MappingProxyType(albums),
            tracks=MappingProxyType(tracks),
            tagged=MappingProxyType({k: frozenset(v) for k, v in tagged.items()}),
        ),
        "",
    )


# How much later than its own write's stamp Plex may date an item plexrate wrote before the date
# is taken for someone else's rating. Plex stamps a write while answering it and plexrate notes the
# answer's time, so the gap between the two is the answer's delay: seconds, a minute at worst.
RERATED_SLACK = 60.0
# Fewer ratings written than this give no trustworthy median of the two clocks' offset.
MIN_OFFSET_SAMPLES = 5


def rated_again(
    previous: LibrarySnapshot, snapshot: LibrarySnapshot, entries: Sequence[JournalEntry]
) -> frozenset[int]:
    """Items Plex dates as rated since ``previous`` was read by someone other than plexrate;
    ``entries`` are plexrate's journal entries since then.

    A person who rates an item plexrate inferred at exactly the value plexrate wrote changes
    nothing but its ``lastRatedAt``; without that date, plexrate would take the item for its own
    and move it on the next drift. An item plexrate did not write since is compared with the date
    ``previous`` saw (both Plex's clock). One plexrate rated since is compared with the moment
    plexrate's write was answered, carried to Plex's clock by the median offset between Plex's
    dates and plexrate's over everything it rated since (a person re-rates few of those); a date
    more than ``RERATED_SLACK`` later is someone else's. With too few of plexrate's ratings to
    measure the offset, those items are left as plexrate's.
    """
    resolved: dict[int, float] = {}
    unknown: set[int] = set()
    for entry in entries:
        if not entry.set_rating:
            if entry.own is not None:
                # Claimed or let go since (a bulk import handing an item back, a hijack): who
                # owns it was decided after that date, so the date says nothing more.
                unknown.add(entry.key)
            continue  # moving a tag dates no rating
        if entry.resolved_at is None:
            unknown.add(entry.key)  # may have landed at any time
        else:
            resolved[entry.key] = max(entry.resolved_at, resolved.get(entry.key, 0.0))
    found: set[int] = set()
    # plexrate's own ratings since: did Plex date them (their dates moved)? A server that dates
    # edit-form ratings moves nearly all of them; one that does not, nearly none.
    moved: dict[int, float] = {}
    kept = 0
    for key, at in resolved.items():
        item = snapshot.item(key)
        before = previous.item(key)
        if item is None or before is None:
            continue
        stamp = item.rated_at
        if stamp is not None and (before.rated_at is None or stamp > before.rated_at):
            moved[key] = stamp - at
        else:
            kept += 1
    if len(moved) + kept >= MIN_OFFSET_SAMPLES:
        if len(moved) <= kept:
            found.update(moved)  # Plex did not date plexrate's writes: a date is someone's
        else:
            offsets = sorted(moved.values())
            offset = offsets[len(offsets) // 2]
            found.update(k for k, gap in moved.items() if gap > offset + RERATED_SLACK)
    for now in (snapshot.artists, snapshot.albums, snapshot.tracks):
        for key, item in now.items():
            stamp = item.rated_at
            if stamp is None or key in unknown or key in resolved:
                continue
            before = previous.item(key)
            if before is None:
                continue
            if before.rated_at is None or stamp > before.rated_at:
                found.add(key)
    return frozenset(found)


def read_library(
    settings: Settings,
    client: PlexClient,
    store: StateStore,
    *,
    tags: Sequence[str],
    keep: bool,
    progress: Progress = NULL_PROGRESS,
    clock: Callable[[], float] = time.time,
    whole_because: str | None = None,
    upper_hint: Collection[int] | None = None,
) -> tuple[LibrarySnapshot, ReadInfo]:
    """The library now, read whole or by its changes; with ``keep`` the copy for the next run is
    written (a write session; dry runs and reports use the copy but change nothing).

    ``whole_because`` forces a whole read and is the reason given: for the commands that audit or
    repair tags, which a change read can miss when the person moves a tag from one track to
    another (the tag's count stays the same; docs/run.md, "Reading only what changed").
    ``upper_hint`` (``plex.changes.read_changes``) takes artists and albums from the copy but for
    those keys, when a change read will do."""
    started = time.monotonic()
    now = clock()
    cache = SnapshotCache(cache_path(settings.state_path))
    entry_mark, run_mark = store.journal_mark()
    cached = cache.load(client.section.uuid)
    why = whole_because or why_whole(
        cached, settings=settings, client=client, store=store, tags=tags, now=now
    )
    # The last read can date what was rated since (rated_again) when it is of this section and
    # the journal still holds every write plexrate made since, whether or not it is read whole.
    comparable = (
        cached is not None
        and cached.header.server_id == client.machine_id
        and cached.header.section_id == client.section.id
        and not _compacted_since(store, cached.header.run_mark)
    )
    # plexrate's writes since the copy, read once: laid over it, and told from others' ratings.
    entries = (
        store.journal_after(cached.header.journal_mark)
        if cached is not None and (comparable or why is None)
        else []
    )
    base: LibrarySnapshot | None = None
    since_entries = 0
    if why is None and cached is not None:
        since_entries = len(entries)
        base, why = overlay(cached.snapshot, entries)
    result: LibraryRead
    if base is not None and cached is not None:
        result = read_changes(
            client,
            base,
            cached.header.marks,
            tags=tags,
            page_size=client.page_size,
            progress=progress,
            upper_hint=upper_hint,
        )
    else:
        result = read_whole(
            client, tags=tags, page_size=client.page_size, progress=progress, why=why or ""
        )
    snapshot = result.snapshot
    if cached is not None and comparable:
        written = {e.key for e in entries if e.set_rating or e.own is not None}
        found = rated_again(cached.snapshot, snapshot, entries) | (
            set(cached.header.rated_again) - written
        )
        if found:
            # Only what plexrate owns can be taken for its own; the rest is the person's anyway.
            found &= store.owned_keys()
        snapshot = replace(snapshot, rated_again=frozenset(found))
    unchanged: set[str] = set()
    if cached is not None and base is not None and not result.whole:
        previous = cached.snapshot
        unchanged = {
            part
            for part, same in (
                ("artists", previous.artists == snapshot.artists),
                ("albums", previous.albums == snapshot.albums),
                ("tracks", previous.tracks == snapshot.tracks),
                ("tagged", previous.tagged == snapshot.tagged),
            )
            if same
        }
    nothing_new = (
        cached is not None
        and len(unchanged) == 4
        and since_entries == 0
        and not snapshot.rejected
        and not snapshot.rated_again
    )
    settled = cached.header.settled if nothing_new and cached is not None else ""
    settled_plan = cached.header.settled_plan if nothing_new and cached is not None else {}
    if keep:
        whole_at = now if result.whole or cached is None else cached.header.whole_read_at
        header = CacheHeader(
            library_uuid=client.section.uuid,
            server_id=client.machine_id,
            section_id=client.section.id,
            tags=tuple(tags),
            scanned_at=client.section.scanned_at,
            marks=result.marks if result.marks is not None else Marks(),
            journal_mark=entry_mark,
            run_mark=run_mark,
            read_at=now,
            whole_read_at=whole_at,
            rejected=len(snapshot.rejected),
            settled=settled,
            settled_plan=settled_plan,
            rated_again=tuple(sorted(snapshot.rated_again)),
        )
        cache.save(header, snapshot, unchanged=unchanged)
    info = ReadInfo(
        whole=result.whole,
        why=result.why,
        requests=result.requests,
        seconds=time.monotonic() - started,
        changed_tracks=result.changed_tracks,
        since=None if result.whole or cached is None else cached.header.read_at,
        nothing_new=nothing_new,
        settled=settled,
        settled_plan=settled_plan,
        rerated=frozenset() if base is None or result.whole else rerated(base, snapshot),
    )
    return snapshot, info


def settle(settings: Settings, library_uuid: str, fingerprint: str, plan: Plan) -> None:
    """Note that a full run planned nothing from the copy just kept (see ``ReadInfo.settled``)."""
    SnapshotCache(cache_path(settings.state_path)).settle(
        library_uuid, fingerprint, {"stats": dict(plan.stats), "notes": list(plan.notes)}
    )


def settled_plan(read: ReadInfo | None, fingerprint: str) -> Plan | None:
    """The plan a full run would make, without making it: the empty one noted last time, when
    nothing changed since and it was made with the same settings and ownership."""
    if read is None or not read.nothing_new or not read.settled or read.settled != fingerprint:
        return None
    stats = read.settled_plan.get("stats") or {}
    notes = read.settled_plan.get("notes") or []
    return Plan(changes=[], stats=dict(stats), notes=[str(n) for n in notes])
