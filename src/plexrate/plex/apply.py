"""Write a plan to Plex in batched, paced, journaled requests.

Changes that would send identical edit parameters (same type, same rating, same tags) share one
multi-edit PUT of up to ``batch_size`` ids (plex-api.md §2); ratings can instead go one ``/:/rate``
per item. Before each request the journal records the intent; after the server answers it records
the confirmation (with values read back where sampled). A request whose outcome is unknown because
the server stopped answering stays an unconfirmed intent, which the next start reconciles by reading
the items back. Every edit sets absolute values, so a retried or repeated request is harmless.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

from plexrate.errors import PlexError, PlexUnreachable
from plexrate.model import Change, ItemType, ObservedItem, Phase, normalise_rating
from plexrate.plex.client import PlexClient
from plexrate.plex.readback import read_items
from plexrate.progress import NULL_PROGRESS, Progress, ProgressTask
from plexrate.settings import RatingWriteMode as WriteMode

log = logging.getLogger(__name__)

# Plex stores ratings as floats; a value read back within this distance is the value we sent.
SAME_VALUE = 0.005
# How many items of a rating request are read back to check that the server stored them.
VERIFY_SAMPLE = 20
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"
_NO_TASK = NULL_PROGRESS.task("")


class RatingsNotStored(PlexError):
    """The server answered rating writes in both forms but kept neither: stop the run.

    Going on would record ownership of values Plex does not hold. The chunk stays an unconfirmed
    intent, so the next start reads its items back instead of guessing what landed.
    """


class Journal(Protocol):
    """What the Applier needs from the StateStore."""

    def record_intents(self, run_id: int, changes: Sequence[Change]) -> list[int]: ...

    def confirm(
        self, entry_ids: Sequence[int], *, readback: dict[int, float | None] | None = None
    ) -> None: ...

    def fail(self, entry_ids: Sequence[int], *, error: str) -> None: ...


@dataclass(slots=True)
class ApplyReport:
    written: int = 0
    failed: int = 0
    pending: int = 0
    requests: int = 0
    stopped: bool = False
    mode: WriteMode = WriteMode.AUTO
    by_phase: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "written": self.written,
            "failed": self.failed,
            "pending": self.pending,
            "write_requests": self.requests,
            "stopped": self.stopped,
            "write_mode": self.mode.value,
            "by_phase": dict(self.by_phase),
            "errors": list(self.errors),
        }


_GroupKey = tuple[ItemType, bool, float | None, tuple[str, ...], tuple[str, ...], int | None]


def _group_key(change: Change) -> _GroupKey:
    rating = change.after if change.set_rating else None
    return (
        change.item_type,
        change.set_rating,
        rating,
        tuple(sorted(change.add_tags)),
        tuple(sorted(change.remove_tags)),
        change.year,
    )


def _sort_key(key: _GroupKey) -> tuple[object, ...]:
    item_type, set_rating, rating, add, remove, year = key
    return (
        item_type.value,
        not set_rating,
        -1.0 if rating is None else rating,
        add,
        remove,
        year or 0,
    )


def _value(rating: float) -> str:
    # plexapi sends str(float) ("8.0"); do the same so servers see what they are used to.
    return str(float(round(rating, 4)))


class Applier:
    """Writes changes for one connected section. One request in flight, always."""

    def __init__(
        self,
        client: PlexClient,
        *,
        journal: Journal,
        run_id: int,
        batch_size: int = 250,
        mode: WriteMode = WriteMode.AUTO,
        cooldown_batch: int = 25,
        cooldown_sleep: float = 5.0,
        progress: Progress = NULL_PROGRESS,
        checkpoint: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._client = client
        self._journal = journal
        self._run_id = run_id
        self._batch = batch_size
        self._mode = mode
        self._cooldown_batch = cooldown_batch
        self._cooldown_sleep = cooldown_sleep
        self._progress = progress
        self._checkpoint = checkpoint
        self._sleep = sleep
        self._since_pause = 0
        self._task: ProgressTask = _NO_TASK
        self._verified: set[ItemType] = set()
        self.report = ApplyReport(mode=mode)

    def apply(self, changes: Iterable[Change]) -> ApplyReport:
        """Write ``changes`` phase by phase; returns early (``stopped``) if the checkpoint says so.

        Raises ``PlexUnreachable`` when the server stops answering: what was confirmed is recorded,
        the request in flight stays an unconfirmed intent for the next start to reconcile. Raises
        ``RatingsNotStored`` (leaving the chunk unconfirmed the same way) when the server accepts
        ratings but stores them in neither write form.
        """
        by_phase: dict[Phase, list[Change]] = {}
        for change in changes:
            if change.writes_anything or change.own is not None:
                by_phase.setdefault(change.phase, []).append(change)
        for phase, phase_changes in by_phase.items():
            if not self._apply_phase(phase, phase_changes):
                self.report.stopped = True
                break
        return self.report

    def _apply_phase(self, phase: Phase, changes: list[Change]) -> bool:
        groups: dict[_GroupKey, list[Change]] = {}
        for change in changes:
            groups.setdefault(_group_key(change), []).append(change)
        label = phase.value.replace("-", " ").capitalize()
        with self._progress.task(f"{label}: writing", total=len(changes)) as task:
            self._task = task
            for key in sorted(groups, key=_sort_key):
                members = groups[key]
                for start in range(0, len(members), self._batch):
                    if self._checkpoint():
                        return False
                    chunk = members[start : start + self._batch]
                    self._write_chunk(key, chunk)
                    task.advance(len(chunk), label=chunk[-1].title)
        return True

    def _write_chunk(self, key: _GroupKey, chunk: list[Change]) -> None:
        entry_ids = self._journal.record_intents(self._run_id, chunk)
        _, set_rating, _, add, remove, year = key
        if not (set_rating or add or remove or year is not None):
            # Ownership-only changes (e.g. a bulk import handing items back to inference).
            self._journal.confirm(entry_ids)
            self.report.written += len(chunk)
            self.report.by_phase[chunk[0].phase.value] += len(chunk)
            return
        try:
            readback = self._send(key, chunk)
        except (PlexUnreachable, RatingsNotStored):
            self.report.pending += len(chunk)
            raise
        except PlexError as exc:
            self._journal.fail(entry_ids, error=str(exc))
            self.report.failed += len(chunk)
            self.report.errors.append(str(exc))
            log.warning("write refused: %s", exc)
            return
        self._journal.confirm(entry_ids, readback=readback)
        self.report.written += len(chunk)
        self.report.by_phase[chunk[0].phase.value] += len(chunk)

    def _send(self, key: _GroupKey, chunk: list[Change]) -> dict[int, float | None] | None:
        item_type, set_rating, rating, add, remove, year = key
        keys = [c.key for c in chunk]
        readback: dict[int, float | None] | None = None
        if remove:
            self._edit(item_type, keys, _tag_removal("mood", remove), kind="edit-tags")
        fields: dict[str, object] = {}
        if add:
            fields.update(_tag_addition("mood", add))
        if year is not None:
            fields["originallyAvailableAt.value"] = f"{year:04d}-01-01"
            fields["originallyAvailableAt.locked"] = 1
        if set_rating and self._mode is not WriteMode.RATE:
            fields["userRating.value"] = "" if rating is None else _value(rating)
            fields["userRating.locked"] = 1
        if fields:
            kind = "edit-rating" if "userRating.value" in fields else "edit-tags"
            self._edit(item_type, keys, fields, kind=kind)
        if set_rating and self._mode is WriteMode.RATE:
            self._rate(keys, rating)
        if set_rating and self._mode is WriteMode.AUTO and item_type not in self._verified:
            readback = self._verify(item_type, chunk, rating)
        return readback

    def _verify(
        self, item_type: ItemType, chunk: list[Change], rating: float | None
    ) -> dict[int, float | None]:
        """Read a sample back; if the server ignored the multi-edit form, switch to ``/:/rate``."""
        sample = [c.key for c in chunk[:VERIFY_SAMPLE]]
        seen = read_items(self._client, sample)
        if _stored(seen, sample, rating):
            self._verified.add(item_type)
            return {k: seen[k].rating for k in sample if k in seen}
        log.warning("Plex ignored userRating multi-edits for %ss; using /:/rate", item_type)
        self._mode = WriteMode.RATE
        self.report.mode = WriteMode.RATE
        self._rate([c.key for c in chunk], rating)
        seen = read_items(self._client, sample)
        if not _stored(seen, sample, rating):
            raise RatingsNotStored(
                "Plex accepted rating writes but did not store them (tried the edit form and "
                "/:/rate)",
                hint="check that the token's user may edit this library",
            )
        return {k: seen[k].rating for k in sample if k in seen}

    def _edit(
        self, item_type: ItemType, keys: list[int], fields: dict[str, object], *, kind: str
    ) -> None:
        args: dict[str, object] = {
            "id": ",".join(str(k) for k in keys),
            "type": item_type.plex_type,
            **fields,
        }
        self._pace()
        self._client.write(f"/library/sections/{self._client.section.id}/all", args, kind=kind)
        self.report.requests += 1
        self._since_pause += 1

    def _rate(self, keys: list[int], rating: float | None) -> None:
        value = "-1" if rating is None else _value(rating)
        for item_key in keys:
            args = {"key": item_key, "identifier": LIBRARY_IDENTIFIER, "rating": value}
            self._pace()
            self._client.write("/:/rate", args, kind="rate")
            self.report.requests += 1
            self._since_pause += 1

    def _pace(self) -> None:
        """Pause before a write once COOLDOWN_BATCH writes went out since the last pause.

        Counted per request, not per chunk: with ``/:/rate`` one chunk is hundreds of requests,
        which is exactly the burst the cooldown exists to break up.
        """
        if self._cooldown_batch <= 0 or self._cooldown_sleep <= 0:
            return
        if self._since_pause < self._cooldown_batch:
            return
        self._since_pause = 0
        self._task.status(f"cooling down {self._cooldown_sleep:g}s (COOLDOWN_SLEEP)")
        self._sleep(self._cooldown_sleep)
        self._task.status(None)


def _stored(seen: dict[int, ObservedItem], keys: list[int], rating: float | None) -> bool:
    # Read-back ratings are normalised (a stored 0 reads as unrated), so the value sent must be.
    rating = normalise_rating(rating)
    for key in keys:
        item = seen.get(key)
        if item is None:
            continue  # deleted meanwhile: says nothing about the write form
        if rating is None:
            if item.rating is not None:
                return False
        elif item.rating is None or abs(item.rating - rating) > SAME_VALUE:
            return False
    return True


def _tag_addition(field: str, tags: tuple[str, ...]) -> dict[str, object]:
    # In multi-edit mode Plex unions these with each item's existing tags (plex-api.md §2).
    args: dict[str, object] = {f"{field}[{i}].tag.tag": tag for i, tag in enumerate(tags)}
    args[f"{field}.locked"] = 1
    return args


def _tag_removal(field: str, tags: tuple[str, ...]) -> dict[str, object]:
    # plexapi quotes each name before joinArgs quotes the whole value again; servers expect that.
    return {
        f"{field}[].tag.tag-": ",".join(quote(tag) for tag in tags),
        f"{field}.locked": 1,
    }
