"""``plexrate admin reconstruct`` and ``sync-tags``: ownership from tags, tags from ownership."""

from __future__ import annotations

import pytest

from tests.admin.admin_helpers import (
    TAG,
    TWIN_TAG,
    applied,
    library_state,
    lose_state,
    ownership,
    person_adds_mood,
    person_rates,
    person_removes_mood,
    rated_keys,
)
from tests.support.cli import PlexrateCli

pytestmark = pytest.mark.integration


@pytest.fixture
def px(px: PlexrateCli) -> PlexrateCli:
    """The twin rules on, with their own tag."""
    px.env["PLEXRATE_TWIN_LOGIC__TWIN_TAG"] = TWIN_TAG
    return px


def test_reconstruct_after_losing_the_state_gives_back_the_same_ownership(px: PlexrateCli) -> None:
    emu = px.emulator
    manual = set(rated_keys(emu, "artist") + rated_keys(emu, "album") + rated_keys(emu, "track"))
    applied(px, "run")
    owned = ownership(px)
    assert {kind for kind, _, _ in owned.values()} == {"artist", "album", "track"}
    assert any(twin for _, _, twin in owned.values())
    lose_state(px)

    refused = px.invoke("run", "--dry-run")
    assert refused.exit_code == 1
    assert "plexrate admin reconstruct" in refused.err

    undo = px.invoke("admin", "undo", "--dry-run")
    assert undo.exit_code == 0, undo.stderr
    assert "Nothing to undo" in undo.err
    assert "276 items carry plexrate's tag" in undo.err
    assert "run `plexrate admin reconstruct` first" in undo.err

    dry = px.run("admin", "reconstruct", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    preview = dry.json()
    assert preview["dry_run"] is True
    assert preview["counts"]["claims"] == 276
    assert not px.state_path.exists()

    result = px.invoke("admin", "reconstruct", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    counts = document["counts"]
    assert (counts["claims"], counts["tagged_unrated"], counts["already_owned"]) == (276, 0, 0)
    assert (counts["claims.artist"], counts["claims.album"], counts["claims.track"]) == (7, 27, 242)
    assert counts["twins"] == sum(1 for _, _, twin in owned.values() if twin)
    assert ownership(px) == owned
    assert not manual & set(ownership(px))  # a rating the person set is never claimed

    verify = px.invoke("admin", "verify", "--json")
    assert verify.exit_code == 0, verify.stdout
    assert verify.json()["ownership_built"] is True
    # The record is complete again: a run finds nothing to write.
    again = px.invoke("run", "--apply", "--json")
    assert again.json()["planned"] == 0


def test_reconstruct_never_owns_an_untagged_or_unrated_item(px: PlexrateCli) -> None:
    emu = px.emulator
    applied(px, "run")
    owned = ownership(px)
    tracks = sorted(k for k, (kind, _, _) in owned.items() if kind == "track")
    untagged, cleared = tracks[0], tracks[1]
    person_removes_mood(emu, untagged, TAG)
    person_rates(emu, cleared, None)
    lose_state(px)

    result = px.invoke("admin", "reconstruct", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["tagged_unrated"] == [{"key": cleared, "type": "track"}]
    assert document["counts"]["claims"] == 274
    after = ownership(px)
    assert untagged not in after
    assert cleared not in after
    assert all(TAG in emu.library.item_tags(key) for key in after)

    text = px.invoke("admin", "reconstruct", "--dry-run")
    assert "Would own 0 items carrying 'Rating_Inferred'; already owned: 274 items." in text.err
    assert "Not owned: 1 tagged item without a rating" in text.err


def test_reconstruct_refuses_without_an_inferred_tag(px: PlexrateCli) -> None:
    px.env["PLEXRATE_INFERRED_TAG"] = ""
    result = px.invoke("admin", "reconstruct", "--apply")
    assert result.exit_code == 2
    assert "INFERRED_TAG is empty" in result.err
    assert not px.state_path.exists()


def test_sync_tags_refuses_to_strip_tags_without_an_ownership_record(px: PlexrateCli) -> None:
    emu = px.emulator
    applied(px, "run")
    lose_state(px)
    tagged = emu.library.tagged(TAG)
    writes = emu.stats().writes

    refusals = [
        px.invoke("admin", "sync-tags", "--dry-run"),
        px.run("admin", "sync-tags", "--apply"),
    ]
    for refused in refusals:
        assert refused.exit_code == 1
        assert "the ownership record was never built for this library" in refused.err
        assert "plexrate admin reconstruct" in refused.err
    assert emu.stats().writes == writes
    assert emu.library.tagged(TAG) == tagged

    forced = px.invoke("admin", "sync-tags", "--apply", "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    assert forced.json()["stats"]["remove"] == 276
    assert emu.library.tagged(TAG) == set()
    assert emu.library.tagged(TWIN_TAG) == set()


def test_sync_tags_refuses_on_a_record_that_is_built_but_empty(px: PlexrateCli) -> None:
    emu = px.emulator
    applied(px, "run")
    applied(px, "admin", "undo")
    person_adds_mood(emu, rated_keys(emu, "album")[0], TAG)
    refused = px.invoke("admin", "sync-tags", "--dry-run")
    assert refused.exit_code == 1
    assert "the ownership record is empty" in refused.err


def test_sync_tags_makes_the_tags_match_ownership_and_leaves_hijacks(px: PlexrateCli) -> None:
    emu = px.emulator
    applied(px, "run")
    owned = ownership(px)
    albums = sorted(k for k, (kind, _, _) in owned.items() if kind == "album")
    twin = min(k for k, (_, _, is_twin) in owned.items() if is_twin)
    manual = min(k for k in rated_keys(emu, "track") if k not in owned)
    hijacked = albums[1]
    person_removes_mood(emu, albums[0], TAG)
    person_removes_mood(emu, twin, TWIN_TAG)
    person_adds_mood(emu, manual, TAG)
    person_rates(emu, hijacked, 1.0)
    person_removes_mood(emu, hijacked, TAG)
    before = library_state(emu)

    dry = px.invoke("admin", "sync-tags", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "Sync tags" in dry.stdout
    assert "Dry run: would change only the tags or ownership of 3 items" in dry.err
    assert "Left alone: 1 owned item changed in Plex after plexrate's write" in dry.err
    assert library_state(emu) == before

    result = px.invoke("admin", "sync-tags", "--apply", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert (document["stats"]["add"], document["stats"]["remove"]) == (2, 1)
    assert document["stats"]["hijacked"] == 1
    after = library_state(emu)
    assert TAG in after[albums[0]][1]
    assert TWIN_TAG in after[twin][1]
    assert TAG not in after[manual][1]
    assert after[hijacked] == before[hijacked]  # the next run hands it back, tags and all
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}

    again = px.invoke("admin", "sync-tags", "--apply", "--json")
    assert again.json()["planned"] == 0
