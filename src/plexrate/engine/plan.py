"""Turn an ``Inference`` into the ``Plan`` of writes: the difference between it and Plex."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set

from plexrate.engine.config import EngineConfig
from plexrate.engine.gc_pause import paused_gc
from plexrate.engine.infer import (
    Hijack,
    HijackRule,
    Inference,
    RatingKind,
    infer,
    selected_phases,
)
from plexrate.engine.text import before_letter, normalise_start_letter
from plexrate.model import (
    INFERENCE_PHASES,
    Album,
    Artist,
    Change,
    Item,
    ItemType,
    LibrarySnapshot,
    OwnedItem,
    Phase,
    Plan,
    Track,
    label,
    stars,
)

_HIJACK_RULE_TEXT = {
    HijackRule.ANY_CHANGE: "any change is yours",
    HijackRule.WHOLE_NUMBER: "HIJACK_INTEGER_ONLY: a whole-number value",
    HijackRule.RATED_SINCE: "HIJACK_INTEGER_ONLY: rated in Plex after plexrate's write",
    HijackRule.RATED_AGAIN: "rated in Plex again, at the value plexrate held",
}
_PHASE_RANK = {Phase.HIJACK: 0, **{p: i + 1 for i, p in enumerate(INFERENCE_PHASES)}}
_PHASE_TYPE = {
    Phase.ALBUM_UP: ItemType.ALBUM,
    Phase.ARTIST_UP: ItemType.ARTIST,
    Phase.ALBUM_DOWN: ItemType.ALBUM,
    Phase.TRACK_DOWN: ItemType.TRACK,
    Phase.TWINS: ItemType.TRACK,
}

_SortKey = tuple[int, int, int, int, int, int]


def tag_members(snapshot: LibrarySnapshot, tag: str) -> frozenset[int]:
    """The keys carrying ``tag`` (compared case-insensitively, as Plex does); none for ""."""
    if not tag:
        return frozenset()
    folded = tag.casefold()
    members: set[int] = set()
    for name, keys in snapshot.tagged.items():
        if name.casefold() == folded:
            members.update(keys)
    return frozenset(members)


def build_plan(
    snapshot: LibrarySnapshot,
    *,
    owned: Mapping[int, OwnedItem],
    config: EngineConfig,
    phases: Sequence[Phase] = INFERENCE_PHASES,
    start_letter: str | None = None,
    inference: Inference | None = None,
    only: Set[int] | None = None,
) -> Plan:
    """The writes that bring Plex to what ``infer`` arrived at, in a stable order.

    Hijacks come first (they are resolved whatever phases run), then the phases in run order;
    within a phase, library order: artist sort title, album, disc, track number, key.
    ``start_letter`` leaves out the first selected phase's changes for artists that sort before
    it (resuming an interrupted run); the values later phases see are computed in full anyway.

    ``Plan.stats`` holds: ``items`` (N), ``prior`` (μ), ``prior_tracks``, ``epsilon``,
    ``changes``, ``rating_writes``, ``tag_only``, ``unchanged`` (owned values within ε, not
    rewritten), ``hijacks``, ``cleared``, ``without_value`` (and ``without_value.<type>``),
    ``no_evidence`` (values written that rest on none of the person's ratings, and
    ``no_evidence.<type>``), ``skipped_start_letter``, ``manual_tracks`` (the person's track
    ratings, filler included), and ``changes.<phase>.<type>`` counts.

    ``only`` plans those items and what their values depend on (``scope_closure``): exactly the
    whole plan's changes of those items, in its order, with ``stats`` counting them alone (and
    no ``manual_tracks``). An ``inference`` given was limited (or not) by ``infer``'s ``only``.
    """
    chosen = selected_phases(phases)
    if inference is None:
        inference = infer(snapshot, owned=owned, config=config, phases=chosen, only=only)
    elif inference.snapshot is not snapshot or inference.config != config:
        raise ValueError("the inference was computed for another snapshot or configuration")
    elif inference.phases != chosen:
        raise ValueError("the inference was computed for other phases")
    elif only is not None:
        raise ValueError("an inference given is limited (or not) by infer's own only=")
    if inference.hidden:
        # Hidden manual ratings look unrated to the engine; a plan from such an inference would
        # overwrite them.
        raise ValueError("cannot plan writes from an inference with hidden ratings")
    letter = normalise_start_letter(start_letter) if start_letter else None
    with paused_gc():
        plan = _Planner(snapshot, config, inference, letter).build()
    # The person's track ratings, filler included: beside ``prior_tracks`` (filler left out)
    # it lets a summary say why the prior rests on fewer ratings than a report counts.
    if inference.only is None:
        plan.stats["manual_tracks"] = sum(
            1
            for key, track in snapshot.tracks.items()
            if track.rating is not None and key not in owned
        )
    return plan


class _Planner:
    def __init__(
        self,
        snapshot: LibrarySnapshot,
        config: EngineConfig,
        inference: Inference,
        letter: str | None,
    ) -> None:
        self.snapshot = snapshot
        self.inference = inference
        self.index = inference.index
        self.letter = letter
        self.first_phase = inference.phases[0] if inference.phases else None
        self.inferred_tag = config.inferred_tag
        twin_tag = config.twins.twin_tag
        self.twin_tag = "" if twin_tag.casefold() == config.inferred_tag.casefold() else twin_tag
        self.inferred_members = tag_members(snapshot, self.inferred_tag)
        self.twin_members = tag_members(snapshot, self.twin_tag)
        self.entries: list[tuple[_SortKey, Change]] = []
        self.stats: dict[str, float | int] = {}
        self.skipped = 0
        self.maps: dict[ItemType, Mapping[int, Item]] = {
            ItemType.ARTIST: snapshot.artists,
            ItemType.ALBUM: snapshot.albums,
            ItemType.TRACK: snapshot.tracks,
        }

    def build(self) -> Plan:
        inference = self.inference
        only = inference.only
        for hijack in inference.hijacks:
            if only is None or hijack.key in only:
                self.hijack(hijack)
        self.assignments()
        self.entries.sort(key=lambda entry: entry[0])
        changes = [change for _, change in self.entries]

        stats = self.stats
        per_kind: dict[tuple[Phase, ItemType], int] = {}
        for change in changes:
            kind = (change.phase, change.item_type)
            per_kind[kind] = per_kind.get(kind, 0) + 1
        counts = {f"changes.{p.value}.{t.value}": n for (p, t), n in per_kind.items()}
        stats.update(
            items=self.snapshot.size,
            prior=inference.prior,
            prior_tracks=inference.prior_tracks,
            epsilon=inference.epsilon,
            changes=len(changes),
            rating_writes=sum(1 for c in changes if c.set_rating),
            hijacks=len(inference.hijacks),
            cleared=len(inference.cleared),
            skipped_start_letter=self.skipped,
        )
        if inference.drifted:
            stats["drifted"] = len(inference.drifted)
        without = 0
        for item_type in ItemType:
            keys: Iterable[int] = self.snapshot.items(item_type)
            if only is not None:
                keys = [k for k in keys if k in only]
            missing = sum(1 for k in keys if k not in inference.values)
            stats[f"without_value.{item_type.value}"] = missing
            without += missing
        stats["without_value"] = without
        # Values written that rest on none of the person's ratings (Inference.no_evidence).
        no_evidence = inference.no_evidence
        guessed = dict.fromkeys(ItemType, 0)
        for change in changes:
            if change.set_rating and change.key in no_evidence:
                guessed[change.item_type] += 1
        stats["no_evidence"] = sum(guessed.values())
        for item_type, n in guessed.items():
            stats[f"no_evidence.{item_type.value}"] = n
        stats.update(sorted(counts.items()))

        notes: list[str] = []
        if self.letter is not None and self.first_phase is not None:
            notes.append(
                f"start letter {self.letter.upper()}: left out {self.skipped} "
                f"{self.first_phase.value} changes for artists before it"
            )
        return Plan(changes=changes, stats=stats, notes=notes)

    def item(self, key: int, item_type: ItemType) -> Item:
        return self.maps[item_type][key]

    def sort_key(self, phase: Phase, item: Item) -> _SortKey:
        rank = _PHASE_RANK[phase]
        index = self.index
        if type(item) is Track:
            album = index.album_rank.get(item.album_key, len(index.album_rank))
            artist = index.artist_rank[item.artist_key]
            return (rank, artist, album, item.disc or 0, item.index or 0, item.key)
        if type(item) is Album:
            return (rank, index.artist_rank[item.artist_key], index.album_rank[item.key], 0, 0, 0)
        return (rank, index.artist_rank[item.key], -1, 0, 0, 0)

    def artist_form(self, item: Item) -> str:
        if type(item) is Artist:
            return self.index.artist_form[item.key]
        return self.index.artist_form[item.artist_key]  # type: ignore[union-attr]

    def hijack(self, hijack: Hijack) -> None:
        key, item_type = hijack.key, hijack.item_type
        item = self.item(key, item_type)
        rule = _HIJACK_RULE_TEXT[hijack.rule]
        self.stats[f"hijacks.{hijack.rule.value}"] = (
            int(self.stats.get(f"hijacks.{hijack.rule.value}", 0)) + 1
        )
        remove = tuple(
            tag
            for tag, members in (
                (self.inferred_tag, self.inferred_members),
                (self.twin_tag, self.twin_members),
            )
            if tag and key in members
        )
        change = Change(
            key=key,
            item_type=item_type,
            title=label(item),
            phase=Phase.HIJACK,
            reason=(
                f"changed in Plex from {stars(hijack.owned_value)} to {stars(hijack.current)}: "
                f"now manual ({rule})"
            ),
            before=hijack.current,
            after=hijack.current,
            set_rating=False,
            remove_tags=remove,
            own=False,
            guid=item.guid,
        )
        self.entries.append((self.sort_key(Phase.HIJACK, item), change))

    def assignments(self) -> None:
        inference = self.inference
        letter = self.letter
        first_phase = self.first_phase
        inferred_tag, twin_tag = self.inferred_tag, self.twin_tag
        inferred_members, twin_members = self.inferred_members, self.twin_members
        kinds = inference.kinds
        entries = self.entries
        sort_key = self.sort_key
        twins_phase = Phase.TWINS
        inferred_kind = RatingKind.INFERRED
        phase_maps = {phase: self.maps[item_type] for phase, item_type in _PHASE_TYPE.items()}
        unchanged_count = tag_only = 0
        for key, assignment in inference.assignments.items():
            phase = assignment.phase
            item = phase_maps[phase][key]
            twin = phase is twins_phase
            kind = kinds.get(key)
            current = item.rating if kind is inferred_kind else None

            add: tuple[str, ...] = ()
            if inferred_tag and key not in inferred_members:
                add = (inferred_tag,)
            if twin and twin_tag and key not in twin_members:
                add = (*add, twin_tag)
            # Every item a phase sets is plexrate's once the plan lands (manual ones are never
            # set), so a twin tag left from an earlier run comes off. The inferred tag is only
            # ever added here: on an item plexrate does not own it may be the last record of
            # what plexrate once wrote (defect 13).
            remove: tuple[str, ...] = ()
            if not twin and twin_tag and key in twin_members:
                remove = (twin_tag,)

            unchanged = current is not None and assignment.value == current
            if unchanged and not add and not remove:
                unchanged_count += 1
                continue
            if (
                letter is not None
                and phase is first_phase
                and before_letter(self.artist_form(item), letter)
            ):
                self.skipped += 1
                continue
            if unchanged:
                unchanged_count += 1
                tag_only += 1
            change = Change(
                key,
                _PHASE_TYPE[phase],
                label(item),
                phase,
                assignment.reason,
                current,
                current if unchanged else assignment.value,
                not unchanged,
                add,
                remove,
                None if unchanged else True,
                twin,
                item.guid,
            )
            entries.append((sort_key(phase, item), change))
        self.stats["unchanged"] = unchanged_count
        self.stats["tag_only"] = tag_only
