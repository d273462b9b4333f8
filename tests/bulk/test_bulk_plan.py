"""Import planning on hand-made snapshots: each row's meaning, library checks, stale rows."""

from __future__ import annotations

import pytest

from plexrate.bulk import BulkInputError, ImportPlan, plan_import, read_bulk_csv
from plexrate.model import Change, ItemType, Phase
from tests.bulk.bulk_helpers import ALBUM_HEADER, TAG, TRACK_HEADER, TWIN, bulk_lib, csv_text
from tests.support.library import Lib


def library() -> Lib:
    lib = bulk_lib()
    lib.artist(100, "The Testers")
    lib.album(200, 100, "First Light", rating=7.0, year=1999, rated_at=1000)
    lib.album(201, 100, "No Year")
    lib.track(301, 200, "Mine", rating=8.0, rated_at=1000)  # manual
    lib.track(302, 200, "Theirs", rating=6.0, rated_at=1000)  # inferred, tagged
    lib.own(302, 6.0)
    lib.tag(TAG, 302)
    lib.track(303, 200, "Twin", rating=7.0, rated_at=1000)  # inferred twin, both tags
    lib.own(303, 7.0)
    lib.tag(TAG, 303)
    lib.tag(TWIN, 303)
    lib.track(304, 200, "Hijacked", rating=9.0, rated_at=1000)  # owned at 5.0, now 9.0
    lib.own(304, 5.0)
    lib.tag(TAG, 304)
    lib.track(305, 200, "Unrated")
    return lib


def plan(
    *rows: str,
    lib: Lib | None = None,
    header: str = TRACK_HEADER,
    item_type: ItemType = ItemType.TRACK,
    **kw: object,
) -> ImportPlan:
    lib = lib or library()
    parsed = read_bulk_csv(csv_text(header, *rows).encode(), item_type=item_type)
    return plan_import(
        parsed,
        lib.snapshot(),
        owned=lib.owned,
        inferred_tag=TAG,
        twin_tag=TWIN,
        max_year=2030,
        **kw,  # type: ignore[arg-type]
    )


def track(key: int, stars: str, kind: str = "") -> str:
    return f"{key},t,a,b,c,{stars},{kind}"


def only(result: ImportPlan) -> Change:
    assert len(result.plan.changes) == 1, result.plan.changes
    return result.plan.changes[0]


def test_unedited_rows_plan_nothing() -> None:
    result = plan(
        track(301, "4", "manual"),
        track(302, "3", "inferred"),
        track(303, "3.5", "inferred"),
        track(304, "4.5", "manual"),
        track(305, "", ""),
    )
    assert result.plan.changes == []
    assert result.plan.stats["unchanged_rows"] == 5
    assert result.warnings == ()


def test_a_changed_rating_becomes_the_persons_and_drops_claim_and_tags() -> None:
    change = only(plan(track(303, "4.5", "manual")))
    assert change == Change(
        key=303,
        item_type=ItemType.TRACK,
        title="The Testers — Twin",
        phase=Phase.IMPORT,
        reason="CSV row 2: 3.5★ → 4.5★, your rating",
        before=7.0,
        after=9.0,
        set_rating=True,
        remove_tags=(TAG, TWIN),
        own=False,
    )


def test_a_change_plex_would_not_store_is_no_change() -> None:
    # Plex keeps one decimal on its 0-10 scale: 4.02★ (8.04) is stored as 4★ (8.0), so a row
    # saying 4.02★ for a 4★ track changes nothing, and importing it again stays quiet.
    assert plan(track(301, "4.005", "manual")).plan.changes == []
    assert plan(track(301, "4.02", "manual")).plan.changes == []
    assert only(plan(track(301, "4.03", "manual"))).after == pytest.approx(8.06)


def test_an_edited_row_still_marked_inferred_is_applied_as_manual_with_a_warning() -> None:
    result = plan(track(302, "2", "inferred"))
    change = only(result)
    assert (change.after, change.own, change.remove_tags) == (4.0, False, (TAG,))
    assert result.plan.stats["inferred_edited"] == 1
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        "row 2 (The Testers — Theirs): userRating changed to 2★ but ratingType still says "
        "'inferred'; applied as your own (manual) rating."
    )


def test_an_emptied_rating_is_cleared_and_zero_too() -> None:
    for stars in ("", "0"):
        change = only(plan(track(302, stars, "inferred")))
        assert (change.set_rating, change.before, change.after, change.own) == (
            True,
            6.0,
            None,
            False,
        )
        assert change.remove_tags == (TAG,)
        assert change.reason == "CSV row 2: rating cleared (was 3★)"


def test_a_rating_for_an_unrated_item() -> None:
    change = only(plan(track(305, "3.333", "")))
    assert (change.before, change.after, change.own, change.remove_tags) == (
        None,
        6.666,
        False,
        (),
    )


def test_inferred_on_a_manual_rating_hands_it_back_to_inference() -> None:
    result = plan(track(301, "4", "inferred"))
    change = only(result)
    assert (change.set_rating, change.own, change.add_tags, change.before, change.after) == (
        False,
        True,
        (TAG,),
        8.0,
        8.0,
    )
    assert result.plan.stats["handed_back"] == 1


def test_inferred_on_a_hijacked_item_hands_it_back_at_its_current_value() -> None:
    change = only(plan(track(304, "4.5", "inferred")))
    # It already carries the tag; ownership is taken at Plex's value (before), not the old claim.
    assert (change.own, change.add_tags, change.before) == (True, (), 9.0)


def test_hand_back_without_an_inferred_tag_is_ownership_only() -> None:
    lib = library()
    parsed = read_bulk_csv(
        csv_text(TRACK_HEADER, track(301, "4", "inferred")).encode(), item_type=ItemType.TRACK
    )
    change = only(plan_import(parsed, lib.snapshot(), owned=lib.owned))
    assert (change.own, change.add_tags, change.writes_anything) == (True, (), False)


def test_manual_on_an_inferred_rating_claims_it() -> None:
    change = only(plan(track(303, "3.5", "manual")))
    assert (change.set_rating, change.own, change.remove_tags) == (False, False, (TAG, TWIN))
    assert change.reason == "CSV row 2: marked manual: 3.5★ is your rating now"


def test_manual_on_a_hijacked_item_is_left_to_the_next_run() -> None:
    # An unedited export says manual for it; a round trip must plan nothing.
    assert plan(track(304, "4.5", "manual")).plan.changes == []


def test_inferred_on_an_unrated_row_is_only_noted() -> None:
    result = plan(track(305, "", "inferred"))
    assert result.plan.changes == []
    assert result.plan.stats["unrated_inferred"] == 1
    assert result.plan.notes == [
        "1 unrated row says 'inferred': nothing to hand back, inference fills unrated items anyway"
    ]


def album(key: int, year: str, stars: str = "", kind: str = "") -> str:
    return f"{key},a,a,x,{year},,{stars},{kind}"


def test_a_changed_release_year() -> None:
    result = plan(
        album(200, "2001", "3.5", "manual"), header=ALBUM_HEADER, item_type=ItemType.ALBUM
    )
    change = only(result)
    assert (change.year, change.set_rating, change.own) == (2001, False, None)
    assert change.reason == "CSV row 2: release year 1999 → 2001"
    assert result.plan.stats["years"] == 1


def test_a_release_year_travels_with_a_rating_change() -> None:
    change = only(
        plan(album(201, "1970", "5", "manual"), header=ALBUM_HEADER, item_type=ItemType.ALBUM)
    )
    assert (change.year, change.after, change.own) == (1970, 10.0, False)
    assert change.reason == "CSV row 2: unrated → 5★, your rating; release year none → 1970"


def test_unchanged_and_empty_years_plan_nothing() -> None:
    rows = (album(200, "1999", "3.5", "manual"), album(201, ""))
    assert plan(*rows, header=ALBUM_HEADER, item_type=ItemType.ALBUM).plan.changes == []


def test_library_problems_are_reported_with_the_file_problems() -> None:
    rows = (
        track(301, "9", "manual"),  # row 2: out of range
        track(999, "4", "manual"),  # row 3: not in the library
        track(200, "4", "manual"),  # row 4: an album
        track(302, "4", "whatever"),  # row 5: bad type
    )
    with pytest.raises(BulkInputError) as caught:
        plan(*rows)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, userRating: '9' is outside 0–5 stars (Plex's 0–10 value 9 is 4.5 stars)",
        "row 3, ratingKey: ratingKey 999 is not in library 'Music' (deleted, or the file is "
        "from another library)",
        "row 4, ratingKey: ratingKey 200 is an album (The Testers — First Light), not a track",
        "row 5, ratingType: 'whatever' is neither 'manual' nor 'inferred' (or empty)",
    ]
    assert str(caught.value) == (
        "the CSV: 4 problems in 4 rows (first: row 2, userRating: '9' is outside 0–5 stars "
        "(Plex's 0–10 value 9 is 4.5 stars)) (nothing was written; fix the rows and import "
        "again, or pass --skip-invalid to import only the valid rows)"
    )


def test_implausible_years_only_when_they_change() -> None:
    lib = library()
    lib.album(202, 100, "Odd", year=3)  # what Plex holds is accepted as it is
    lib.album(203, 100, "Old", year=1990)
    rows = (album(200, "99"), album(201, "2999"), album(202, "3"), album(203, "1000"))
    with pytest.raises(BulkInputError) as caught:
        plan(*rows, lib=lib, header=ALBUM_HEADER, item_type=ItemType.ALBUM)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, releaseYear: 99 is not a plausible release year (1000–2030; write all four digits)",
        "row 3, releaseYear: 2999 is not a plausible release year (1000–2030)",
    ]


def test_skip_invalid_plans_the_valid_rows_only() -> None:
    result = plan(
        track(301, "9", "manual"),
        track(302, "1", "manual"),
        track(999, "1", "manual"),
        skip_invalid=True,
    )
    assert only(result).key == 302
    assert [(p.row, p.column) for p in result.skipped] == [(2, "userRating"), (4, "ratingKey")]
    assert result.plan.stats["skipped"] == 2
    assert result.plan.stats["valid"] == 1


def test_a_fatal_file_fails_even_with_skip_invalid() -> None:
    lib = library()
    parsed = read_bulk_csv(b"ratingKey,title\n301,x\n", item_type=ItemType.TRACK)
    with pytest.raises(BulkInputError) as caught:
        plan_import(parsed, lib.snapshot(), owned=lib.owned, skip_invalid=True, source="f.csv")
    assert caught.value.fatal
    assert caught.value.hint is None
    assert str(caught.value).startswith("f.csv: row 1, userRating, ratingType: the header lacks")


def test_rows_for_items_rated_after_the_file_was_saved_are_left_alone() -> None:
    lib = library()
    lib.track(306, 200, "Rated later", rating=4.0, rated_at=2000)
    rows = (
        track(306, "5", "manual"),  # would overwrite a newer rating: stale
        track(301, "1", "manual"),  # rated at 1000, before the save: applied
    )
    result = plan(*rows, lib=lib, saved_at=1999.5)
    assert only(result).key == 301
    assert result.plan.stats["stale"] == 1
    assert result.warnings == (
        "row 2 (The Testers — Rated later): rated in Plex after this file was last saved; left "
        "at 2★. Export again to edit it",
    )
    # The same second counts as later: Plex stamps whole seconds.
    assert plan(*rows, lib=lib, saved_at=2000.9).plan.stats["stale"] == 1
    assert plan(*rows, lib=lib, saved_at=2001.0).plan.stats["stale"] == 0


def test_a_stale_album_row_still_sets_its_year() -> None:
    lib = library()
    result = plan(
        album(200, "2005", "1", "manual"),
        lib=lib,
        header=ALBUM_HEADER,
        item_type=ItemType.ALBUM,
        saved_at=500,
    )
    change = only(result)
    assert (change.year, change.set_rating, change.own) == (2005, False, None)
    assert result.plan.stats["stale"] == 1
