"""When ``lastRatedAt`` moves (docs/real-servers.md, "Rating timestamps"): a rating set through
``/:/rate`` stamps it; a clear and an edit-form rating leave it, unless the leniencies
``clear-sets-last-rated`` and ``edit-sets-last-rated`` say otherwise."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
import requests

from plexrate.emulator import Emulator, EmulatorLibrary

pytestmark = pytest.mark.integration

NOW = 1_800_000_000


def rate(emu: Emulator, key: int, value: float) -> None:
    query: dict[str, str | int | float] = {
        "key": key,
        "identifier": "com.plexapp.plugins.library",
        "rating": value,
    }
    answer = requests.put(
        f"{emu.url}/:/rate",
        params=query,
        headers={"X-Plex-Token": emu.token},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


def edit(emu: Emulator, key: int, value: str) -> None:
    query: dict[str, str | int | float] = {"id": key, "type": 10, "userRating.value": value}
    answer = requests.put(
        f"{emu.url}/library/sections/3/all",
        params=query,
        headers={"X-Plex-Token": emu.token},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


def rated_since(emu: Emulator, since: int) -> list[int]:
    answer = requests.get(
        f"{emu.url}/library/sections/3/all",
        params={"type": 10, "track.lastRatedAt>>": since},
        headers={"X-Plex-Token": emu.token, "X-Plex-Container-Size": "100"},
        timeout=5,
    )
    assert answer.status_code == 200
    return sorted(int(e.get("ratingKey") or 0) for e in ET.fromstring(answer.content))


def stamp(emu: Emulator, key: int) -> int | None:
    item = emu.library.item(key)
    assert item is not None
    return item.last_rated_at


Make = Callable[..., Emulator]


@pytest.fixture
def make(emulator_factory: Make, small_library: EmulatorLibrary) -> Make:
    def start(*lenient: str) -> Emulator:
        return emulator_factory(small_library, clock=lambda: NOW, lenient=set(lenient))

    return start


def test_a_set_rating_stamps_and_a_clear_leaves_the_stamp(make: Make) -> None:
    emu = make()
    rate(emu, 301, 7)
    assert stamp(emu, 301) == NOW
    rate(emu, 302, -1)
    assert emu.library.rating(302) is None
    assert stamp(emu, 302) == 1_700_000_000
    # So a "rated since" listing sees the new rating and not the clear.
    assert rated_since(emu, NOW - 1) == [301]


def test_an_edit_form_rating_leaves_the_stamp(make: Make) -> None:
    emu = make()
    edit(emu, 303, "9")
    assert emu.library.rating(303) == 9.0
    assert stamp(emu, 303) == 1_700_000_000
    edit(emu, 304, "4")
    assert stamp(emu, 304) is None
    assert rated_since(emu, NOW - 1) == []
    # Nor does any rating move updatedAt: whether it does on a real server is unknown, and a
    # reader that looked for ratings there would miss them where it does not.
    item = emu.library.item(303)
    assert item is not None and item.updated_at != NOW
    rate(emu, 301, 3)
    rated = emu.library.item(301)
    assert rated is not None and rated.updated_at != NOW


def test_leniencies_make_edits_and_clears_visible(make: Make) -> None:
    emu = make("edit-sets-last-rated", "clear-sets-last-rated")
    edit(emu, 304, "4")
    rate(emu, 302, -1)
    edit(emu, 303, "")
    assert (stamp(emu, 304), stamp(emu, 302), stamp(emu, 303)) == (NOW, NOW, NOW)
    assert rated_since(emu, NOW - 1) == [302, 303, 304]


def test_edit_leniency_alone_still_keeps_a_cleared_stamp(make: Make) -> None:
    emu = make("edit-sets-last-rated")
    edit(emu, 303, "")
    assert emu.library.rating(303) is None
    assert stamp(emu, 303) == 1_700_000_000
    edit(emu, 301, "5")
    assert stamp(emu, 301) == NOW


def test_person_rate_has_the_same_semantics(make: Make) -> None:
    emu = make()
    emu.person_rate(301, 6.66, at=NOW + 5)
    assert (emu.library.rating(301), stamp(emu, 301)) == (6.7, NOW + 5)
    emu.person_rate(301, None, at=NOW + 9)
    assert (emu.library.rating(301), stamp(emu, 301)) == (None, NOW + 5)
    with pytest.raises(ValueError, match="between 0 and 10"):
        emu.person_rate(301, 11)
    with pytest.raises(KeyError):
        emu.person_rate(999_999, 5)
