"""The Plex adapter on a server as strict as a real one (docs/real-servers.md).

Ratings kept to one decimal, pages of at most 1000 with a size always sent, items deleted while a
run writes, ids missing from multi-id answers: each against the emulator over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary
from plexrate.model import Change, ItemType
from plexrate.plex import Applier, ApplyReport, PlexClient, RatingsNotStored, WriteMode
from plexrate.plex.apply import VANISHED_NOTE
from plexrate.plex.readback import read_items
from plexrate.state import EntryStatus, StateStore
from tests.plex.plex_helpers import TAG, change, client_for, inference_plan, open_store

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]
# Endpoints that answer a container of items; everything else (/, /library, …) has no paging.
CONTAINERS = ("/library/sections/{id}/all", "/library/metadata/{ids}", "/library/sections/{id}/")


@pytest.fixture
def emu(emulator_factory: Factory, small_library: EmulatorLibrary) -> Emulator:
    return emulator_factory(small_library)


@pytest.fixture
def store(tmp_path: Path, emu: Emulator) -> Iterator[StateStore]:
    with open_store(tmp_path / "state.sqlite", emu) as opened:
        yield opened


def apply(
    client: PlexClient, store: StateStore, changes: list[Change], **options: Any
) -> tuple[int, ApplyReport]:
    run = store.begin_run(command="test")
    options.setdefault("cooldown_sleep", 0)
    report = Applier(client, journal=store, run_id=run, **options).apply(changes)
    return run, report


# -- one decimal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(WriteMode))
def test_values_are_written_at_one_decimal_and_owned_as_plex_stores_them(
    emu: Emulator, store: StateStore, mode: WriteMode
) -> None:
    client = client_for(emu)
    _, report = apply(
        client,
        store,
        [change(301, ItemType.TRACK, after=6.58), change(303, ItemType.TRACK, after=7.04)],
        mode=mode,
    )
    assert report.written == 2 and report.failed == 0
    assert (emu.library.rating(301), emu.library.rating(303)) == (6.6, 7.0)
    sent = {
        r.param("userRating.value") or r.param("rating")
        for r in emu.requests()
        if r.method == "PUT"
    }
    assert sent <= {"6.6", "7.0", None}
    owned = store.owned()
    assert (owned[301].value, owned[303].value) == (6.6, 7.0)


def test_a_value_that_rounds_to_zero_is_written_as_a_clear(
    emu: Emulator, store: StateStore
) -> None:
    client = client_for(emu)
    _, report = apply(client, store, [change(307, ItemType.TRACK, after=0.04, own=None)])
    assert report.written == 1 and report.failed == 0
    assert emu.library.rating(307) is None


def test_the_write_check_waits_for_a_chunk_that_sets_a_value(
    emu: Emulator, store: StateStore
) -> None:
    client = client_for(emu)
    clear = change(307, ItemType.TRACK, after=None, own=None)
    rate = change(301, ItemType.TRACK, after=6.4)
    emu.reset_stats()
    _, report = apply(client, store, [clear, rate])
    reads = [r for r in emu.requests() if r.endpoint == "GET /library/metadata/{ids}"]
    # A clear reads back as "unrated" whether or not the server took it: only the chunk that
    # sets 6.4 is read back.
    assert [r.path for r in reads] == ["/library/metadata/301"]
    assert report.mode is WriteMode.AUTO


def test_the_write_check_says_what_was_sent_and_what_came_back(
    emu: Emulator, store: StateStore
) -> None:
    client = client_for(emu)
    emu.ignore_edits({"userRating"}, rate=True)
    with pytest.raises(RatingsNotStored) as caught:
        apply(client, store, [change(301, ItemType.TRACK, after=6.58, before=None)])
    message = caught.value.message
    assert "were sent 6.6 (3.3★) by the edit form and by /:/rate" in message
    assert "Plex holds no rating for the track 'item 301' (item 301)" in message
    assert "plexrate doctor" in (caught.value.hint or "")


def test_the_write_check_compares_at_one_decimal(
    emulator_factory: Factory, small_library: EmulatorLibrary, tmp_path: Path
) -> None:
    # A server keeping more precision than Plex still passes: 6.6 sent is 6.6 stored.
    emu = emulator_factory(small_library, lenient={"rating-precision"})
    with open_store(tmp_path / "s.sqlite", emu) as store:
        _, report = apply(client_for(emu), store, [change(301, ItemType.TRACK, after=6.58)])
    assert report.mode is WriteMode.AUTO and report.written == 1


# -- paging ---------------------------------------------------------------------------------------


def test_every_container_request_carries_a_page_size_of_at_most_1000(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    from plexrate.plex import read_snapshot

    emu = emulator_factory(tracks=2500, seed=4)
    client = client_for(emu)
    read_snapshot(client, tags=(TAG, "Rating_Twin"))
    with open_store(tmp_path / "s.sqlite", emu) as store:
        apply(client, store, inference_plan(emu, limit=600))
    read_items(client, emu.library.keys("track")[:700])
    container_reads = [
        r
        for r in emu.requests()
        if r.method == "GET" and r.endpoint.removeprefix("GET ").startswith(CONTAINERS)
    ]
    assert container_reads
    assert all(r.page_size is not None and r.page_size <= 1000 for r in container_reads)
    assert all(r.status == 200 for r in emu.requests())


def test_a_read_back_follows_total_size(emu: Emulator) -> None:
    class SmallPages(PlexClient):
        """A server that pages multi-id answers by 2, whatever size is asked for."""

        def read(self, path: str, **kwargs: Any) -> Element:
            container = super().read(path, **kwargs)
            start = kwargs.get("start") or 0
            if path.startswith("/library/metadata/") and len(container) > 2:
                for extra in list(container)[2:]:
                    container.remove(extra)
            container.set("offset", str(start))
            return container

    client = client_for(emu)
    paged = SmallPages(client._server, client.section, url=client.url)
    seen = read_items(paged, [301, 302, 303, 304, 305])
    assert sorted(seen.found) == [301, 302, 303, 304, 305]
    assert not seen.gone and not seen.unknown


def test_an_id_missing_from_a_multi_id_answer_is_unknown_until_a_single_read_says_404(
    emu: Emulator,
) -> None:
    class Forgetful(PlexClient):
        """Leaves item 302 out of multi-id answers (and refuses to show it alone)."""

        def read(self, path: str, **kwargs: Any) -> Element:
            if path == "/library/metadata/302":
                from plexrate.errors import PlexError

                raise PlexError("Plex refused a readback request: (403) forbidden")
            container = super().read(path, **kwargs)
            for element in list(container):
                if element.get("ratingKey") == "302":
                    container.remove(element)
            return container

    client = client_for(emu)
    emu.delete([303])
    seen = read_items(Forgetful(client._server, client.section, url=client.url), [301, 302, 303])
    assert sorted(seen.found) == [301]
    assert seen.gone == {303}
    assert seen.unknown == {302}


# -- items deleted during a run -------------------------------------------------------------------


@pytest.mark.parametrize("mode", [WriteMode.AUTO, WriteMode.EDIT, WriteMode.RATE])
def test_an_item_deleted_before_its_write_is_journaled_as_vanished(
    emu: Emulator, store: StateStore, mode: WriteMode
) -> None:
    client = client_for(emu)
    plan = [change(k, ItemType.TRACK, after=7.0) for k in (301, 303, 305)]
    emu.delete([303])
    run, report = apply(client, store, plan, mode=mode)
    assert (report.written, report.vanished, report.failed) == (2, 1, 0)
    assert emu.library.rating(301) == emu.library.rating(305) == 7.0
    journal = {e.key: e for e in store.journal(run_id=run)}
    assert journal[303].status is EntryStatus.FAILED and journal[303].note == VANISHED_NOTE
    assert {journal[301].status, journal[305].status} == {EntryStatus.CONFIRMED}
    assert set(store.owned()) == {301, 305}


def test_an_album_deleted_in_the_middle_of_a_run_never_aborts_it(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(tracks=1200, seed=5)
    plan = inference_plan(emu, distinct=3)
    # Deleted after the second write request: some of its tracks are in later requests.
    late = [c for c in plan if c.item_type is ItemType.TRACK][-1]
    album = next(a for a in emu.library.keys("album") if late.key in emu.library.children_of(a))
    doomed = {album, *emu.library.children_of(album)}

    def delete_after_second_request(requests: int) -> None:
        if requests == 2:
            emu.delete([album])

    emu.after_write(delete_after_second_request)
    with open_store(tmp_path / "s.sqlite", emu) as store:
        _, report = apply(client_for(emu), store, plan, batch_size=100)
        assert report.vanished >= 1 and report.failed == 0
        assert report.written + report.vanished == len(plan)
        assert not (set(store.owned()) & doomed)
        assert not store.pending()
