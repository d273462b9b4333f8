"""Write a plan to Plex in batched, paced, journaled requests.

Changes that would send identical edit parameters (same type, same rating, same tags) share one
multi-edit PUT of up to ``batch_size`` ids (plex-api.md §2); ratings can instead go one ``/:/rate``
per item. Before each request the journal records the intent; after the server answers it records
the confirmation (with values read back where sampled). A request whose outcome is unknown because
the server stopped answering stays an unconfirmed intent, which the next start reconciles by reading
the items back. Every edit sets absolute values, so a retried or repeated request is harmless.

Values are rounded to Plex's one decimal before they are journaled and sent (``plex_rating``):
Plex would round them anyway, and plexrate must own the value Plex holds, not the one it meant
(docs/real-servers.md, "Ratings keep one decimal"). An item deleted in Plex while the run goes on
makes its multi-edit answer 404 and apply nothing; the chunk is read back, the items that are gone
are journaled as vanished and the rest is sent again, so a changing library never aborts a run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import quote

from plexapi.exceptions import NotFound

from plexrate.errors import EditNotAllowed, PlexError, PlexUnreachable
from plexrate.model import (
    Change,
    ItemType,
    Phase,
    plex_rating,
    same_rating,
    stars,
)
from plexrate.plex.client import PlexClient
from plexrate.plex.pacing import FixedPacing, Pacing
from plexrate.plex.precheck import CHANGED_NOTE, Baseline, drift
from plexrate.plex.readback import ReadBack, read_items
from plexrate.progress import NULL_PROGRESS, Progress, ProgressTask
from plexrate.settings import RatingWriteMode as WriteMode

log = logging.getLogger(__name__)

# How many items of a rating request are read back to check that the server stored them.
VERIFY_SAMPLE = 20
VANISHED_NOTE = "vanished: the item no longer exists in Plex"
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"
_NO_TASK = NULL_PROGRESS.task("")


class RatingsNotStored(PlexError):
    """The server answered rating writes in both forms but kept neither: stop the run.

    Going on would record ownership of values Plex does not hold. The chunk stays an unconfirmed
    intent, so the next start reads its items back instead of guessing what landed.
    """


# After this many write requests in a row whose check read Plex refused, stop: each would be
# refused again (after its retries), and nothing may be written unchecked.
CHECKS_REFUSED_LIMIT = 3


class ChecksRefused(PlexError):
    """Plex keeps refusing the reads that check items before writing them: stop writing.

    What landed stays recorded (confirmed, or pending for the next start to read back); the
    requests not sent stay in the plan for the next run.
    """


class _ReadBackFailed(Exception):
    """Reading written items back failed after the write request itself succeeded."""


class Journal(Protocol):
    """What the Applier needs from the StateStore."""

    def record_intents(self, run_id: int, changes: Sequence[Change]) -> list[int]: ...

    def confirm(
        self, entry_ids: Sequence[int], *, readback: dict[int, float | None] | None = None
    ) -> None: ...

    def fail(self, entry_ids: Sequence[int], *, error: str) -> None: ...

    def record_locks(self, locks: Sequence[tuple[int, str, bool]]) -> None:
        """Remember, per (item, field) a write is about to lock, whether the lock was already
        there; only the first observation of a pair counts."""
        ...

    def forget_locks(self, keys: Sequence[int]) -> None:
        """Drop the lock records of items whose locks plexrate released."""
        ...


@dataclass(slots=True)
class ApplyReport:
    written: int = 0
    failed: int = 0
    pending: int = 0
    vanished: int = 0
    """Items deleted in Plex while the run went on: journaled as vanished, left out."""
    changed: int = 0
    """Items the person changed in Plex after the snapshot, found by the check before write:
    journaled with what Plex held, left to the person."""
    changed_notes: list[str] = field(default_factory=list)
    """The first few of those, as "title: what changed", for the summary."""
    checks: int = 0
    """Items read by the checks before write."""
    rated_meanwhile: int | None = None
    """Items rated in Plex while the run went on that plexrate did not write: the person's, left
    alone (None: not known, e.g. the server sends no ``lastRatedAt``)."""
    touched: set[int] = field(default_factory=set)
    """Keys of every item a write request of this run named (not in ``as_dict``)."""
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
            "vanished": self.vanished,
            "changed_in_plex": self.changed,
            "checked": self.checks,
            "rated_in_plex_during_run": self.rated_meanwhile,
            "write_requests": self.requests,
            "stopped": self.stopped,
            "write_mode": self.mode.value,
            "by_phase": dict(self.by_phase),
            "errors": list(self.errors),
        }


_GroupKey = tuple[
    ItemType, bool, float | None, tuple[str, ...], tuple[str, ...], int | None, tuple[str, ...]
]
# With /:/rate (one request per item) the items are checked this many at a time: one check read
# per this many rate requests, the window between a check and the last write it covers.
RATE_CHECK_EVERY = 10
# How many changed items the report names; the journal has every one.
_NOTES_KEPT = 20


def _group_key(change: Change) -> _GroupKey:
    rating = change.after if change.set_rating else None
    return (
        change.item_type,
        change.set_rating,
        rating,
        tuple(sorted(change.add_tags)),
        tuple(sorted(change.remove_tags)),
        change.year,
        tuple(sorted(change.unlock)),
    )


def estimated_requests(changes: Iterable[Change], *, batch_size: int) -> int:
    """Write requests the Applier would send for ``changes`` in edit form: one per chunk of
    ``batch_size`` items sharing a phase and a group (same type, value and tags)."""
    sizes: Counter[tuple[object, ...]] = Counter(
        (c.phase, *_group_key(c)) for c in changes if c.writes_anything
    )
    return sum(-(-n // batch_size) for n in sizes.values())


def _sort_key(key: _GroupKey) -> tuple[object, ...]:
    item_type, set_rating, rating, add, remove, year, unlock = key
    return (
        item_type.value,
        not set_rating,
        -1.0 if rating is None else rating,
        add,
        remove,
        year or 0,
        unlock,
    )


def _value(rating: float) -> str:
    # plexapi sends str(float) ("8.0"); do the same so servers see what they are used to.
    return str(plex_rating(rating))


def at_plex_precision(change: Change) -> Change:
    """``change`` with the rating Plex will store: one decimal, and a rounded 0 as unrated.

    Plex reads a stored 0 as "unrated" (and so does plexrate), so a value that rounds to 0 is
    written as a clear rather than as a 0 that would read back as something else.
    """
    if not change.set_rating or change.after is None:
        return change
    stored: float | None = plex_rating(change.after)
    if stored is not None and stored <= 0:
        stored = None
    return change if stored == change.after else replace(change, after=stored)


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
        cooldown_sleep_single: float = 0.0,
        progress: Progress = NULL_PROGRESS,
        checkpoint: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
        pacing: Pacing | None = None,
        baseline: Baseline | None = None,
    ) -> None:
        """``baseline`` is what the plan was made from: with it, every request's items are read
        just before the request and those the person changed meanwhile are left out (see
        ``plex.precheck``). Without it (tests of the write path alone) nothing is checked."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._client = client
        self._journal = journal
        self._run_id = run_id
        self._batch = batch_size
        self._mode = mode
        self.pacing: Pacing = pacing or FixedPacing(batch=cooldown_batch, sleep=cooldown_sleep)
        self._cooldown_single = cooldown_sleep_single
        self._rated = 0
        self._progress = progress
        self._checkpoint = checkpoint
        self._sleep = sleep
        self._task: ProgressTask = _NO_TASK
        self._verified: set[ItemType] = set()
        self._baseline = baseline
        self._checks_refused = 0
        self.report = ApplyReport(mode=mode)

    def knows_form(self, item_type: ItemType) -> bool:
        """Whether a read-back already showed that the edit form stores ``item_type`` ratings
        (until then, a value-setting chunk of that type is read back once written)."""
        return item_type in self._verified

    def apply(self, changes: Iterable[Change]) -> ApplyReport:
        """Write ``changes`` phase by phase; returns early (``stopped``) if the checkpoint says so.

        Raises ``PlexUnreachable`` when the server stops answering: what was confirmed is recorded,
        the request in flight stays an unconfirmed intent for the next start to reconcile. Raises
        ``RatingsNotStored`` (leaving the chunk unconfirmed the same way) when the server accepts
        ratings but stores them in neither write form. Raises ``EditNotAllowed`` when the token
        may not edit and ``/:/rate`` cannot do the job instead (see ``_rate_instead``).

        Called again on the same Applier (``session.execute`` of a ``StagedPlan``), it goes on
        with the same run, report and pacing.
        """
        by_phase: dict[Phase, list[Change]] = {}
        for change in changes:
            if change.writes_anything or change.own is not None:
                by_phase.setdefault(change.phase, []).append(at_plex_precision(change))
        for phase, phase_changes in by_phase.items():
            if not self._apply_phase(phase, phase_changes):
                self.report.stopped = True
                return self.report
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
                start = 0
                while start < len(members):
                    # Pause here, before the checkpoint, so that quitting during a pause sends
                    # nothing more (the pause in ``_edit`` then finds nothing left to wait for).
                    self._pace()
                    if self._checkpoint():
                        return False
                    chunk = members[start : start + self._chunk_size(key)]
                    self._write_chunk(key, chunk)
                    task.advance(len(chunk), label=chunk[-1].title)
                    start += len(chunk)
        return True

    def _chunk_size(self, key: _GroupKey) -> int:
        """Items per journaled chunk: ``batch_size``, or fewer where ratings go one ``/:/rate``
        each, so that the check before write stays a few requests ahead of the writes it
        covers instead of hundreds."""
        if self._baseline is not None and key[1] and self._mode is WriteMode.RATE:
            return min(self._batch, RATE_CHECK_EVERY)
        return self._batch

    def _write_chunk(self, key: _GroupKey, chunk: list[Change]) -> None:
        entry_ids = self._journal.record_intents(self._run_id, chunk)
        _, set_rating, _, add, remove, year, unlock = key
        live = list(zip(chunk, entry_ids, strict=True))
        sends = bool(set_rating or add or remove or year is not None or unlock)
        if self._baseline is not None and (sends or any(c.own for c in chunk)):
            try:
                live = self._check(key, live)
            except PlexUnreachable:
                # Nothing was sent: the intents stay pending and the next start finds them
                # not landed.
                self.report.pending += len(live)
                raise
            if not live:
                return
        if not sends:
            # Ownership-only changes (e.g. a bulk import handing items back to inference).
            self._journal.confirm([i for _, i in live])
            self._count_written([c for c, _ in live])
            return
        try:
            while True:
                try:
                    readback, vanished = self._send(key, [c for c, _ in live])
                except EditNotAllowed as exc:
                    if not self._rate_instead(key, exc):
                        # Nothing was applied (Plex refuses the whole edit): not pending.
                        self._refused(live, str(exc))
                        raise
                    continue
                except NotFound as exc:
                    # Plex refuses a whole multi-edit when one id is gone, and applies nothing.
                    live = self._without_vanished(live, exc)
                    if not live:
                        return
                    continue
                live = self._vanish(live, vanished)
                break
        except (PlexUnreachable, RatingsNotStored):
            self.report.pending += len(live)
            raise
        except EditNotAllowed:
            raise
        except PlexError as exc:
            self._refused(live, str(exc))
            return
        except _ReadBackFailed as exc:
            # The write itself succeeded; only reading it back failed. Its entries stay
            # pending, and the next start reads them back (issue 17: a refused read-back must
            # never turn a landed write into a failed one and lose its ownership record).
            self._landed([c for c, _ in live])
            self.report.pending += len(live)
            log.warning("could not read %d written items back: %s", len(live), exc)
            return
        self._journal.confirm([i for _, i in live], readback=readback)
        self._landed([c for c, _ in live])
        self._count_written([c for c, _ in live])
        if unlock:
            # Released: a later write that locks the field again finds it unlocked, as it was
            # before plexrate's first write.
            self._journal.forget_locks([c.key for c, _ in live])

    def _landed(self, changes: list[Change]) -> None:
        if self._baseline is not None:
            self._baseline.wrote(changes)

    def _check(self, key: _GroupKey, live: list[tuple[Change, int]]) -> list[tuple[Change, int]]:
        """Read the request's items just before it goes out; leave out those the person changed.

        Items gone are journaled as vanished; items that could not be read are not written (the
        person may have changed them); items whose rating or managed tag differs from what the
        plan was made from are journaled with what Plex held and left to the person.
        """
        assert self._baseline is not None
        try:
            seen = read_items(
                self._client, [c.key for c, _ in live], chunk_size=self._batch, kind="check"
            )
        except PlexUnreachable:
            raise
        except PlexError as exc:
            self._refused(live, f"not written: Plex refused the read that checks them first: {exc}")
            self._checks_refused += 1
            if self._checks_refused >= CHECKS_REFUSED_LIMIT:
                raise ChecksRefused(
                    f"Plex refused the reads that check items before they are written "
                    f"{self._checks_refused} times in a row ({exc}); nothing more is written",
                    hint="plexrate never writes an item it could not check; fix what refuses "
                    "/library/metadata reads (a proxy, the token's rights), then rerun: what "
                    "landed is kept",
                ) from exc
            return []
        self._checks_refused = 0
        self.report.checks += len(live)
        live = self._vanish(live, seen.gone)
        self._refused(
            [(c, i) for c, i in live if c.key in seen.unknown],
            "not written: the item could not be read to check it first",
        )
        keep: list[tuple[Change, int]] = []
        changed: dict[str, list[int]] = {}
        for change, entry in live:
            item = seen.get(change.key)
            if item is None:
                continue
            what = drift(self._baseline.expected(change), item)
            if what is None:
                keep.append((change, entry))
                continue
            changed.setdefault(what, []).append(entry)
            self.report.changed += 1
            if len(self.report.changed_notes) < _NOTES_KEPT:
                detail = what.removeprefix(f"{CHANGED_NOTE}: ").removesuffix("; left to you")
                self.report.changed_notes.append(f"{change.title}: {detail}")
        for note, entries in changed.items():
            self._journal.fail(entries, error=note)
        if changed:
            left = sum(len(entries) for entries in changed.values())
            log.info("%d items changed in Plex during the run; left alone", left)
        self._note_locks(key, keep, seen)
        return keep

    def _note_locks(self, key: _GroupKey, live: list[tuple[Change, int]], seen: ReadBack) -> None:
        """Record, before the write, which of the locks it sets were there already (plex-api.md
        §7.6: locks stick until an edit clears them), so ``admin undo`` releases only its own."""
        _, set_rating, _, add, remove, year, unlock = key
        fields: list[str] = []
        if set_rating and self._mode is not WriteMode.RATE:
            fields.append("userRating")
        if add or remove:
            fields.append("mood")
        if year is not None:
            fields.append("originallyAvailableAt")
        fields = [f for f in fields if f not in unlock]
        if not fields:
            return
        rows: list[tuple[int, str, bool]] = []
        for change, _ in live:
            item = seen.get(change.key)
            if item is not None:
                rows.extend((change.key, name, name in item.locked) for name in fields)
        if rows:
            self._journal.record_locks(rows)

    def _rate_instead(self, key: _GroupKey, refused: EditNotAllowed) -> bool:
        """After Plex refused an edit because the token's account may not edit (a shared or
        managed user's token, docs/real-servers.md "Tokens and accounts"): switch to ``/:/rate``
        when that can do the chunk's whole job, else say why not (``refused`` is re-raised).

        ``/:/rate`` sets one rating per request and nothing else, so it can stand in for a chunk
        that only sets ratings, in ``auto`` mode. Tags (INFERRED_TAG) and release years are edits
        only the owner may make; writing the ratings without their tag would leave ownership
        that ``admin reconstruct`` could not rebuild, so the run stops instead and says how to
        run without tags.
        """
        _, set_rating, _, add, remove, year, unlock = key
        if (
            set_rating
            and not add
            and not remove
            and year is None
            and not unlock
            and self._mode is WriteMode.AUTO
        ):
            log.warning("Plex refused an edit with this token (%s); using /:/rate", refused)
            self._mode = WriteMode.RATE
            self.report.mode = WriteMode.RATE
            return True
        if add or remove:
            refused.hint = (
                "use the server owner's token, or set INFERRED_TAG (and TWIN_LOGIC.TWIN_TAG) to "
                '"" and rerun to write ratings alone, one /:/rate each (`plexrate doctor` '
                "shows whose token it is)"
            )
        elif set_rating:
            refused.hint = (
                "use the server owner's token, or set RATING_WRITE_MODE to auto or rate "
                "(`plexrate doctor` shows whose token it is)"
            )
        return False

    def _count_written(self, changes: list[Change]) -> None:
        if changes:
            self.report.written += len(changes)
            self.report.by_phase[changes[0].phase.value] += len(changes)

    def _refused(self, entries: list[tuple[Change, int]], error: str) -> None:
        if entries:
            self._journal.fail([i for _, i in entries], error=error)
            self.report.failed += len(entries)
            self.report.errors.append(error)
            log.warning("write refused: %s", error)

    def _without_vanished(
        self, live: list[tuple[Change, int]], error: NotFound
    ) -> list[tuple[Change, int]]:
        """After a 404 on a write (which applied nothing): journal the items Plex no longer has
        and return the others, to be sent again.

        An item whose fate cannot be read is not sent again and its entry fails (the refused
        request wrote nothing), so the next run plans it afresh. A 404 with every item still
        present is not about the items, and is an error.
        """
        seen = read_items(self._client, [c.key for c, _ in live])
        if not seen.gone and not seen.unknown:
            raise PlexError(
                f"Plex answered a write with 404 although its {len(live)} items exist: "
                f"{str(error).split(';', 1)[0]}"
            )
        self._refused(
            [(c, i) for c, i in live if c.key in seen.unknown],
            "not written: Plex answered 404 and the item could not be read back",
        )
        return self._vanish([(c, i) for c, i in live if c.key not in seen.unknown], seen.gone)

    def _vanish(self, live: list[tuple[Change, int]], gone: set[int]) -> list[tuple[Change, int]]:
        """Journal the entries of items Plex no longer has as vanished; return the others."""
        if not gone:
            return live
        dead = [i for c, i in live if c.key in gone]
        if dead:
            self._journal.fail(dead, error=VANISHED_NOTE)
            self.report.vanished += len(dead)
            log.info("%d items vanished from Plex during the run", len(dead))
        return [(c, i) for c, i in live if c.key not in gone]

    def _send(
        self, key: _GroupKey, chunk: list[Change]
    ) -> tuple[dict[int, float | None] | None, set[int]]:
        """Send one chunk; returns what was read back (when checked) and the keys found gone."""
        item_type, set_rating, rating, add, remove, year, unlock = key
        keys = [c.key for c in chunk]
        # Before sending: a request whose answer is lost may still have landed.
        self.report.touched.update(keys)
        readback: dict[int, float | None] | None = None
        vanished: set[int] = set()
        fields: dict[str, object] = {}
        if remove and add:
            # Adding and removing moods in one request would leave the result to the server's
            # order of evaluation; removals go first, alone.
            self._edit(item_type, keys, _tag_removal("mood", remove), kind="edit-tags")
        elif remove:
            # A removal shares its request with the other fields, as plexapi's batch edits do.
            fields.update(_tag_removal("mood", remove))
        if add:
            fields.update(_tag_addition("mood", add))
        if year is not None:
            fields["originallyAvailableAt.value"] = f"{year:04d}-01-01"
            fields["originallyAvailableAt.locked"] = 1
        if set_rating and self._mode is not WriteMode.RATE:
            fields["userRating.value"] = "" if rating is None else _value(rating)
            fields["userRating.locked"] = 1
        for name in unlock:
            # plexapi's editField(..., locked=False) form: the lock goes, the value stays.
            fields[f"{name}.locked"] = 0
        if fields:
            kind = "edit-rating" if "userRating.value" in fields else "edit-tags"
            self._edit(item_type, keys, fields, kind=kind)
        if set_rating and self._mode is WriteMode.RATE:
            vanished = self._rate(keys, rating)
        if (
            set_rating
            and rating is not None
            and self._mode is WriteMode.AUTO
            and item_type not in self._verified
        ):
            # Only a chunk that sets a value can tell whether the edit form stores ratings: a
            # clear reads back as "unrated" whether or not the server took it.
            readback, vanished = self._verify(item_type, chunk, rating)
        return readback, vanished

    def _verify(
        self, item_type: ItemType, chunk: list[Change], rating: float
    ) -> tuple[dict[int, float | None] | None, set[int]]:
        """Read a sample back; if the server ignored the multi-edit form, switch to ``/:/rate``.

        Compared at Plex's precision (one decimal). When no item of the sample could be read
        (all deleted meanwhile), nothing is learned and the next chunk is checked instead.
        """
        sample = chunk[:VERIFY_SAMPLE]
        seen = self._read_back([c.key for c in sample])
        # An item holding neither the value sent nor the one before was changed by someone
        # between the write and this read: it tells nothing about the write form, and its
        # value is theirs, so it is not recorded as what plexrate wrote.
        moved = {c.key for c in sample if _moved_by_someone(seen, c, rating)}
        evidence = [c for c in sample if c.key not in moved]
        wrong = _not_stored(seen, evidence, rating)
        if wrong is None:
            if any(c.key in seen.found for c in evidence):
                self._verified.add(item_type)
            return _ratings(seen, without=moved), seen.gone
        log.warning(
            "Plex did not store userRating multi-edits for %ss (%s); using /:/rate",
            item_type,
            wrong,
        )
        self._mode = WriteMode.RATE
        self.report.mode = WriteMode.RATE
        # The /:/rate requests are new writes: check the chunk again first and send them only
        # to the items that still hold their value before the write (the form stored nothing);
        # the person may have rated any of the others meanwhile.
        check = self._read_back([c.key for c in chunk])
        unchanged = [c.key for c in chunk if self._untouched(check, c)]
        vanished = self._rate(unchanged, rating) | check.gone
        rated = set(unchanged) - vanished
        sample = [c for c in evidence if c.key in rated]
        seen = self._read_back([c.key for c in sample])
        still = _not_stored(seen, sample, rating)
        if still is not None:
            raise RatingsNotStored(
                f"Plex accepted rating writes but did not store them: {len(chunk)} "
                f"{item_type.plural} were sent {_value(rating)} ({stars(rating)}) by the edit "
                f"form and by /:/rate, and {still}",
                hint="check that the token's account may edit this library "
                "(`plexrate doctor` tells), then rerun: nothing unconfirmed is lost",
            )
        return _ratings(seen), vanished | seen.gone

    def _untouched(self, seen: ReadBack, change: Change) -> bool:
        """Whether Plex still holds ``change``'s value before the write and nobody rated the
        item since the plan was made (a rating set back to what it was is still the person's)."""
        item = seen.get(change.key)
        if item is None or not same_rating(item.rating, change.before):
            return False
        if self._baseline is None:
            return True
        # Tags are left out: the edit that did not store the rating may have added them.
        expected = replace(self._baseline.expected(change), tags={})
        return drift(expected, item) is None

    def _read_back(self, keys: list[int]) -> ReadBack:
        """Read items back after a write that succeeded; a refused or unreadable answer raises
        ``_ReadBackFailed`` so that nothing marks the landed write failed."""
        try:
            return read_items(self._client, keys)
        except PlexUnreachable:
            raise
        except PlexError as exc:
            raise _ReadBackFailed(str(exc)) from exc

    def _edit(
        self, item_type: ItemType, keys: list[int], fields: dict[str, object], *, kind: str
    ) -> None:
        args: dict[str, object] = {
            "id": ",".join(str(k) for k in keys),
            "type": item_type.plex_type,
            **fields,
        }
        self._pace()
        started = time.perf_counter()
        self._client.write(f"/library/sections/{self._client.section.id}/all", args, kind=kind)
        self.pacing.after_write(time.perf_counter() - started, items=len(keys))
        self.report.requests += 1

    def _rate(self, keys: list[int], rating: float | None) -> set[int]:
        """One ``/:/rate`` per item; returns the keys Plex answered 404 for (items deleted)."""
        value = "-1" if rating is None else _value(rating)
        gone: set[int] = set()
        for item_key in keys:
            args = {"key": item_key, "identifier": LIBRARY_IDENTIFIER, "rating": value}
            self._pace()
            if self._rated and self._cooldown_single > 0:
                # COOLDOWN_SLEEP_SINGLE (the old tool v1.5): a short pause between one-item
                # writes, so hundreds of /:/rate requests do not arrive back to back.
                self._sleep(self._cooldown_single)
            self._rated += 1
            started = time.perf_counter()
            try:
                self._client.write("/:/rate", args, kind="rate")
            except NotFound:
                # The spec gives /:/rate a 404 for an unknown item (docs/real-servers.md).
                gone.add(item_key)
            self.pacing.after_write(time.perf_counter() - started, items=1)
            self.report.requests += 1
        return gone

    def _pace(self) -> None:
        """Pause before a write when the pacing says so (``plex/pacing.py``).

        Asked before every request, not per chunk: with ``/:/rate`` one chunk is hundreds of
        requests, which is exactly the burst pacing exists to break up.
        """
        pause = self.pacing.before_write()
        if pause is None:
            return
        self._task.status(pause.why)
        self._sleep(pause.seconds)
        self._task.status(None)


def _not_stored(seen: ReadBack, sample: list[Change], rating: float) -> str | None:
    """None when every sampled item Plex still has holds ``rating`` at Plex's precision; else
    what came back instead, for the person to read."""
    for change in sample:
        item = seen.get(change.key)
        if item is None:
            continue  # deleted or unreadable meanwhile: says nothing about the write form
        if not same_rating(item.rating, rating):
            got = "no rating" if item.rating is None else f"{item.rating:g}"
            was = "" if change.before is None else f", {change.before:g} before the write"
            what = f"the {change.item_type.value} {change.title!r}"
            return f"Plex holds {got} for {what} (item {change.key}{was})"
    return None


def _moved_by_someone(seen: ReadBack, change: Change, rating: float) -> bool:
    item = seen.get(change.key)
    if item is None:
        return False
    return not same_rating(item.rating, rating) and not same_rating(item.rating, change.before)


def _ratings(seen: ReadBack, *, without: Set[int] = frozenset()) -> dict[int, float | None]:
    return {key: item.rating for key, item in seen.found.items() if key not in without}


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
