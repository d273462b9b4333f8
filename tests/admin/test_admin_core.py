"""The pure planning and checking of ``plexrate.admin`` on hand-made snapshots."""

from __future__ import annotations

import dataclasses

import pytest

from plexrate.admin import (
    LeftAlone,
    plan_reconstruct,
    plan_sync_tags,
    plan_undo,
    removal_refusal,
    run_rows,
    verify,
)
from plexrate.engine.config import EngineConfig, TwinRules
from plexrate.errors import UsageError
from plexrate.migration import summarise_migration
from plexrate.model import ItemType, LibrarySnapshot, OwnedItem, Phase
from plexrate.rekey import refind_orphans
from plexrate.state import (
    LegacyEntry,
    LegacyState,
    OriginalValue,
    RunInfo,
    RunStatus,
    UuidCheck,
    plan_migration,
)
from tests.support.library import Lib

TAG = "Rating_Inferred"
TWIN = "Twin"
CONFIG = EngineConfig(inferred_tag=TAG, twins=TwinRules(twin_tag=TWIN))


def library() -> Lib:
    """Artist 1 (album 10: tracks 100-104) and artist 2 (album 20: track 200)."""
    lib = Lib()
    lib.artist(1, "Alpha")
    lib.album(10, 1, "X")
    for n in range(5):
        lib.track(100 + n, 10, f"Song {n}", index=n + 1)
    lib.artist(2, "Beta", rating=8.0)
    lib.album(20, 2, "W")
    lib.track(200, 20, "Up", rating=6.0)
    return lib


def rated(lib: Lib, **ratings: float | None) -> LibrarySnapshot:
    """The library with ratings set by ``k<key>=value``."""
    for name, value in ratings.items():
        key = int(name[1:])
        for mapping in (lib.artists, lib.albums, lib.tracks):
            if key in mapping:
                mapping[key] = dataclasses.replace(mapping[key], rating=value)  # type: ignore[assignment]
    return lib.snapshot()


def claim(
    key: int, value: float, item_type: ItemType = ItemType.TRACK, *, twin: bool = False
) -> OwnedItem:
    return OwnedItem(key, item_type, value, guid=f"plex://{item_type.value}/{key}", twin=twin)


def original(
    key: int,
    *,
    before: float | None = None,
    last: float | None = 7.0,
    phase: str = "track-down",
    added: tuple[str, ...] = (TAG,),
    removed: tuple[str, ...] = (),
    own: bool | None = True,
    wrote: bool = True,
    superseded_by: int | None = None,
    twin: bool = False,
) -> OriginalValue:
    return OriginalValue(
        key=key,
        item_type=ItemType.TRACK,
        guid="",
        wrote_rating=wrote,
        before=before,
        last_written=last,
        tags_added=added,
        first_run_id=1,
        last_run_id=1,
        superseded_by=superseded_by,
        rating_phase=phase if wrote else "",
        rating_twin=twin,
        tags_removed=removed,
        own=own,
    )


# -- undo everything ---------------------------------------------------------------------------


def test_undo_everything_clears_owned_values_and_takes_the_tags_off() -> None:
    lib = library()
    lib.tag(TAG, 100, 101, 102, 10)
    lib.tag(TWIN, 101)
    snapshot = rated(lib, k100=7.0, k101=6.0, k102=4.0, k10=6.5)
    owned = {
        100: claim(100, 7.0),
        101: claim(101, 6.0, twin=True),
        102: claim(102, 5.0),  # the person changed it to 4.0
        10: claim(10, 6.5, ItemType.ALBUM),  # imported: no journal
        999: claim(999, 3.0),  # no longer in the library
    }
    originals = {100: original(100), 101: original(101, last=6.0), 102: original(102, last=5.0)}
    plan, report = plan_undo(snapshot, owned=owned, originals=originals, config=CONFIG)

    by_key = {c.key: c for c in plan.changes}
    assert [c.key for c in plan.changes] == [10, 100, 101, 102]  # albums before tracks
    for key in (10, 100, 101):
        change = by_key[key]
        assert (change.set_rating, change.after, change.own, change.phase) == (
            True,
            None,
            False,
            Phase.UNDO,
        )
    assert by_key[101].remove_tags == (TAG, TWIN)
    assert by_key[101].twin is True
    kept = by_key[102]
    assert (kept.set_rating, kept.after, kept.remove_tags, kept.own) == (False, 4.0, (TAG,), False)
    assert [(s.key, s.why, s.written, s.found) for s in report.left_alone] == [
        (102, LeftAlone.CHANGED, 5.0, 4.0),
        (999, LeftAlone.MISSING, 3.0, None),
    ]
    assert plan.stats["cleared"] == 3
    assert plan.stats["left_alone.changed"] == 1


def test_undo_everything_restores_the_before_of_a_first_write_that_was_not_inference() -> None:
    lib = library()
    snapshot = rated(lib, k103=9.0)
    owned = {103: claim(103, 9.0)}
    originals = {103: original(103, before=3.0, last=9.0, phase="import", added=())}
    plan, _ = plan_undo(snapshot, owned=owned, originals=originals, config=CONFIG)
    assert [(c.key, c.after, c.own) for c in plan.changes] == [(103, 3.0, False)]

    # Written over a value plexrate owned (imported from the old tool): back to unrated.
    originals = {103: original(103, before=8.0, last=9.0, phase="album-down")}
    plan, _ = plan_undo(snapshot, owned=owned, originals=originals, config=CONFIG)
    assert [(c.key, c.after) for c in plan.changes] == [(103, None)]


def test_undo_removes_a_journal_tag_the_snapshot_does_not_know() -> None:
    lib = library()
    snapshot = rated(lib, k100=7.0)
    owned = {100: claim(100, 7.0)}
    originals = {100: original(100, added=("Old_Inferred",))}
    plan, _ = plan_undo(snapshot, owned=owned, originals=originals, config=CONFIG)
    assert plan.changes[0].remove_tags == ("Old_Inferred",)


# -- undo one run ------------------------------------------------------------------------------


def test_undo_of_one_run_gives_rewritten_values_back_to_plexrate() -> None:
    lib = library()
    lib.tag(TAG, 100, 101)
    lib.tag(TWIN, 101)
    snapshot = rated(lib, k100=7.0, k101=6.0)
    owned = {100: claim(100, 7.0), 101: claim(101, 6.0, twin=True)}
    originals = {
        # run 5 rewrote a value an earlier run had written: plexrate's again at 5.0
        100: original(100, before=5.0, last=7.0, added=()),
        # run 5 wrote a new value and tagged it: cleared, untagged, not plexrate's
        101: original(101, before=None, last=6.0, added=(TAG, TWIN), phase="twins"),
    }
    plan, report = plan_undo(snapshot, owned=owned, originals=originals, config=CONFIG, run_id=5)
    assert [(c.key, c.after, c.own, c.remove_tags) for c in plan.changes] == [
        (100, 5.0, True, ()),
        (101, None, False, (TAG, TWIN)),
    ]
    assert plan.changes[0].reason == "back to 2.5★, its value before run 5"
    assert report.left_alone == []
    assert plan.stats["ownership_restored"] == 1


def test_undo_of_an_undo_run_restores_value_tags_ownership_and_twin_flag() -> None:
    lib = library()
    snapshot = rated(lib)  # the undo left everything unrated and untagged
    originals = {
        100: original(
            100,
            before=7.0,
            last=None,
            phase="undo",
            added=(),
            removed=(TAG, TWIN),
            own=False,
            twin=True,
        ),
    }
    plan, _ = plan_undo(snapshot, owned={}, originals=originals, config=CONFIG, run_id=9)
    change = plan.changes[0]
    assert (change.after, change.add_tags, change.own, change.twin) == (
        7.0,
        (TAG, TWIN),
        True,
        True,
    )


def test_undo_of_one_run_leaves_superseded_changed_and_given_back_items() -> None:
    lib = library()
    snapshot = rated(lib, k100=8.0, k101=None, k102=9.0, k103=7.0)
    owned = {100: claim(100, 8.0), 102: claim(102, 7.0)}
    originals = {
        100: original(100, superseded_by=7),  # run 7 wrote 8.0 over it
        101: original(101, superseded_by=7),  # ... and an undo took it back to unrated
        102: original(102),  # the person changed 7.0 to 9.0
        103: original(103),  # a bulk import handed it to the person since
        104: original(104, wrote=False, own=False, added=(), removed=(TAG,)),  # a hijack
    }
    plan, report = plan_undo(snapshot, owned=owned, originals=originals, config=CONFIG, run_id=3)
    assert [(s.key, s.why, s.run) for s in report.left_alone] == [
        (100, LeftAlone.SUPERSEDED, 7),
        (102, LeftAlone.CHANGED, None),
        (103, LeftAlone.YOURS, None),
        (104, LeftAlone.YOURS, None),
    ]
    assert report.already_undone == 1
    # The changed item loses its claim (no tag to take off here); nothing else is written.
    assert [(c.key, c.set_rating, c.own) for c in plan.changes] == [(102, False, False)]
    assert plan.stats["left_alone.undone"] == 1


def test_undo_of_a_tag_only_run_reverses_its_tags() -> None:
    lib = library()
    lib.tag(TAG, 100)
    snapshot = rated(lib, k100=7.0, k101=5.0)
    originals = {
        100: original(100, wrote=False, own=None, added=(TAG,)),
        101: original(101, wrote=False, own=None, added=(), removed=(TAG,)),
    }
    plan, _ = plan_undo(snapshot, owned={}, originals=originals, config=CONFIG, run_id=2)
    assert [(c.key, c.set_rating, c.add_tags, c.remove_tags, c.own) for c in plan.changes] == [
        (100, False, (), (TAG,), None),
        (101, False, (TAG,), (), None),
    ]


# -- verify ------------------------------------------------------------------------------------


def test_verify_finds_each_kind_of_disagreement() -> None:
    lib = library()
    lib.tag(TAG, 100, 101, 200)
    lib.tag(TWIN, 100, 102)
    snapshot = rated(lib, k100=7.0, k101=3.0, k102=5.0)
    owned = {
        100: claim(100, 7.0),  # carries the twin tag, but is not a twin
        101: claim(101, 6.0),  # override: 6.0 written, 3.0 found
        102: claim(102, 5.0, twin=True),  # owned twin without the inferred tag
        500: claim(500, 4.0),  # orphan
    }
    report = verify(snapshot, owned=owned, config=CONFIG, pending=2)
    assert [(o.key, o.expected, o.found) for o in report.overrides] == [(101, 6.0, 3.0)]
    assert [(o.key, o.new_key) for o in report.orphans] == [(500, None)]
    assert [m.key for m in report.missing_tag] == [102]
    assert [m.key for m in report.unowned_tag] == [200]
    assert [m.key for m in report.twin_missing] == []
    assert [m.key for m in report.twin_unowned] == [100]
    assert report.counts()["pending"] == 2
    assert report.consistent is False


def test_verify_tolerates_what_the_hijack_rule_tolerates() -> None:
    lib = library()
    lib.tag(TAG, 100)
    snapshot = rated(lib, k100=7.005)
    report = verify(snapshot, owned={100: claim(100, 7.0)}, config=CONFIG)
    assert report.consistent is True
    assert report.counts() == dict.fromkeys(report.counts(), 0)


def test_verify_names_the_hijack_rule_like_the_engine() -> None:
    lib = library()
    lib.tag(TAG, 100, 101, 102)
    snapshot = rated(lib, k100=8.0, k101=6.3, k102=6.3)
    lib.tracks[102] = dataclasses.replace(lib.tracks[102], rated_at=500)
    snapshot = lib.snapshot()
    owned = {k: dataclasses.replace(claim(k, 7.0), written_at=100.0) for k in (100, 101, 102)}
    strict = dataclasses.replace(CONFIG, hijack_integer_only=True)
    rules = {o.key: o.rule for o in verify(snapshot, owned=owned, config=strict).overrides}
    assert rules == {100: "whole-number", 101: "drift", 102: "rated-since"}
    plain = {o.key: o.rule for o in verify(snapshot, owned=owned, config=CONFIG).overrides}
    assert plain == dict.fromkeys((100, 101, 102), "any-change")


def test_refind_orphans_needs_a_unique_unowned_match() -> None:
    lib = library()
    snapshot = lib.snapshot()
    guids = {
        900: "plex://track/100",  # re-matched as 100
        901: "plex://track/101",  # 101 is owned already: not a safe match
        902: "plex://track/nowhere",
        903: "",
        100: "plex://track/100",  # present: not an orphan
    }
    assert refind_orphans(snapshot, guids, owned_keys={101, 900, 901, 902, 903, 100}) == {}
    assert refind_orphans(snapshot, guids, owned_keys={101, 900, 901, 902, 903}) == {900: 100}
    shared = dataclasses.replace(snapshot.tracks[102], guid="plex://track/100")
    lib.tracks[102] = shared
    assert refind_orphans(lib.snapshot(), guids, owned_keys={101}) == {}  # 100 is ambiguous now


# -- reconstruct and sync-tags -----------------------------------------------------------------


def test_reconstruct_owns_tagged_rated_items_of_every_type() -> None:
    lib = library()
    lib.tag(TAG, 1, 10, 100, 101, 102)
    lib.tag(TWIN, 101, 103)
    snapshot = rated(lib, k1=6.0, k10=6.5, k100=7.0, k101=5.0, k103=4.0)
    result = plan_reconstruct(snapshot, owned={100: claim(100, 9.0)}, config=CONFIG)
    assert [(c.key, c.item_type, c.value, c.twin, c.phase) for c in result.claims] == [
        (1, ItemType.ARTIST, 6.0, False, "reconstruct"),
        (10, ItemType.ALBUM, 6.5, False, "reconstruct"),
        (101, ItemType.TRACK, 5.0, True, "reconstruct"),
    ]
    assert result.already_owned == (100,)
    assert [i.key for i in result.tagged_unrated] == [102]
    assert result.counts()["claims.artist"] == 1
    with pytest.raises(UsageError, match="INFERRED_TAG is empty"):
        plan_reconstruct(snapshot, owned={}, config=EngineConfig(inferred_tag=""))


def test_sync_tags_plans_tag_only_changes_and_refuses_removals_without_a_record() -> None:
    lib = library()
    lib.tag(TAG, 101, 200)
    lib.tag(TWIN, 101)
    snapshot = rated(lib, k100=7.0, k101=5.0, k102=2.0)
    owned = {100: claim(100, 7.0, twin=True), 101: claim(101, 5.0), 102: claim(102, 6.0)}
    plan = plan_sync_tags(snapshot, owned=owned, config=CONFIG)
    assert [(c.key, c.add_tags, c.remove_tags, c.set_rating) for c in plan.changes] == [
        (100, (TAG, TWIN), (), False),
        (101, (), (TWIN,), False),
        (200, (), (TAG,), False),
    ]
    assert plan.stats["hijacked"] == 1  # 102: written 6.0, now 2.0
    assert removal_refusal(plan, owned_count=3, ownership_built=True) is None
    never = removal_refusal(plan, owned_count=3, ownership_built=False)
    assert never is not None and "never built" in never.message
    empty = removal_refusal(plan, owned_count=0, ownership_built=True)
    assert empty is not None and "is empty" in empty.message
    adds_only = plan_sync_tags(snapshot, owned={100: claim(100, 7.0)}, config=CONFIG)
    adds_only.changes = [c for c in adds_only.changes if not c.remove_tags]
    assert removal_refusal(adds_only, owned_count=0, ownership_built=False) is None


# -- runs and legacy import preview ------------------------------------------------------------


def test_run_rows_are_oldest_first_with_items_changed() -> None:
    runs = [
        RunInfo(
            2, "admin undo", {"run": None}, False, RunStatus.INTERRUPTED, 200.0, None, 5, 3, 0, 2
        ),
        RunInfo(1, "run", {}, False, RunStatus.COMPLETED, 100.0, 150.0, 9, 8, 1, 0),
    ]
    rows = run_rows(runs)
    assert [(r["id"], r["changed"], r["failed"], r["pending"]) for r in rows] == [
        (1, 8, 1, 0),
        (2, 3, 0, 2),
    ]
    assert rows[1]["finished"] is None
    assert rows[0]["started"] is not None and rows[0]["started"].startswith("1970-01-01")


def test_migration_sorts_every_entry_by_one_rule() -> None:
    lib = library()
    lib.tag(TAG, 10, 100, 103)  # the old tool tagged what it wrote
    snapshot = rated(lib, k100=7.0, k101=5.0, k102=5.0, k103=6.0, k104=8.0, k10=6.9)
    legacy = LegacyState(
        library_uuid=None,
        entries={
            100: LegacyEntry(7.0),  # still what the old tool wrote: plexrate's
            101: LegacyEntry(0.0),  # 0 is unrated in Plex
            102: LegacyEntry(5.0),  # plexrate owns it already
            103: LegacyEntry(6.0, twin=True, cluster_manual=True),  # t 2, tagged: changed by v1.4
            104: LegacyEntry(8.0, twin=True, cluster_manual=True),  # t 2, untagged: an anchor
            200: LegacyEntry(6.0, twin=True, manual=True),  # v1.5 m: the person's
            10: LegacyEntry(6.89122807017544),  # full precision; Plex holds 6.9
            7: LegacyEntry(3.0),  # not in the library
        },
    )
    migration = plan_migration(legacy, snapshot, inferred_tag=TAG, owned={102})
    assert {o.key: o.value for o in migration.owned} == {10: 6.9, 100: 7.0, 103: 6.0}
    assert migration.anchors == (104, 200)
    assert migration.already_owned == (102,)
    assert migration.unrated == (101,)
    assert migration.not_in_library == (7,)
    # with no tag configured there is nothing to tell a changed member by: t 2 is the person's
    untagged = plan_migration(legacy, snapshot, inferred_tag="", owned={102})
    assert {o.key for o in untagged.owned} == {10, 100}
    assert untagged.anchors == (103, 104, 200)
    # a value the person moved since (Plex 5.0, file 7.0 for 100) is reported, never owned
    moved = plan_migration(legacy, rated(lib, k100=5.0), inferred_tag=TAG)
    assert 100 in moved.changed
    assert 100 not in {o.key for o in moved.owned}
    # where the old tool's tag is on other entries, an entry without it is the person's
    lib.tags[TAG].discard(100)
    untagged_entry = plan_migration(legacy, rated(lib, k100=7.0), inferred_tag=TAG, owned={102})
    assert untagged_entry.anchors == (100, 104, 200)
    assert 100 not in {o.key for o in untagged_entry.owned}
    # a file whose items carry no tag at all (the old tool ran with INFERRED_TAG "") tells
    # nothing by the tag: its entries are owned as before
    lib.tags[TAG].clear()
    no_tags = plan_migration(legacy, rated(lib, k100=7.0), inferred_tag=TAG, owned={102})
    assert {o.key for o in no_tags.owned} == {10, 100}


def test_migration_summary_counts_and_the_filler_rule_difference() -> None:
    lib = library()
    lib.tracks[101] = dataclasses.replace(
        lib.tracks[101], title="Introduction", duration_ms=200_000
    )
    lib.tracks[102] = dataclasses.replace(lib.tracks[102], title="Intro", duration_ms=200_000)
    snapshot = rated(lib, k100=7.0)
    legacy = LegacyState(library_uuid=None, entries={100: LegacyEntry(7.0), 7: LegacyEntry(2.0)})
    config = EngineConfig()
    summary = summarise_migration(
        legacy, snapshot, inferred_tag=TAG, filler=config.filler, uuid_check=UuidCheck.UNSTAMPED
    )
    document = summary.document()
    assert document["outcomes"]["owned"] == 1
    assert document["outcomes"]["not-in-library"] == 1
    assert document["undo_would"] == {"restore_unrated": 1, "leave_alone": 0}
    # "Intro" is filler under both rules; only "Introduction" differs
    assert document["filler_keywords"] == {
        "match": "word",
        "differ": 1,
        "examples": ["Introduction"],
    }
    text = "\n".join(summary.lines(dry=True))
    assert "Would migrate" in text
    assert "'Introduction'" in text
    assert 'UPWARD_EXCLUSION_RULES.MATCH to "substring"' in text
