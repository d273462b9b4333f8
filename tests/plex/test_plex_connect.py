"""``connect``: find the music section, or fail with an error a person can act on (and no token)."""

from __future__ import annotations

import socket
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary, FaultPlan
from plexrate.errors import (
    ExitCode,
    LibraryNotFound,
    PlexAuthError,
    PlexrateError,
    PlexUnreachable,
)
from plexrate.model import ItemType
from plexrate.plex import RetryPolicy, connect

pytestmark = pytest.mark.integration

Factory = Callable[..., Emulator]
# Distinctive, so a leak anywhere in a message or traceback is unmistakable.
TOKEN = "sEcReT-t0ken-do-not-print-4711"
WRONG = "wr0ng-t0ken-also-secret-0815"


@pytest.fixture
def emu(emulator_factory: Factory, small_library: EmulatorLibrary) -> Emulator:
    return emulator_factory(small_library, token=TOKEN)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _everything_said(exc: BaseException) -> str:
    """The message, the hint and the whole chained traceback, as ``--debug`` would show it."""
    said = "".join(traceback.format_exception(exc))
    if isinstance(exc, PlexrateError):
        said += f"\n{exc.message}\n{exc.hint}"
    return said


def _assert_no_token(exc: BaseException, *tokens: str) -> None:
    said = _everything_said(exc)
    for token in tokens:
        assert token not in said


def test_connect_finds_the_section_case_insensitively(emu: Emulator) -> None:
    client = connect(url=emu.url + "/", token=TOKEN, library="  mUsIc ")
    assert client.section.id == emu.section_key
    assert client.section.uuid == emu.section_uuid
    assert client.section.title == "Music"
    assert client.server_name == "Test Server"
    assert client.machine_id == "emulator-test-0001"
    assert client.url == emu.url  # trailing slash dropped
    # Connecting costs the server root and the section list, nothing per item.
    assert emu.stats().by_endpoint == {
        "GET /": 1,
        "GET /library": 1,
        "GET /library/sections": 1,
    }
    # The section found is the one that holds the items.
    assert client.count(ItemType.TRACK) == 10
    assert client.count(ItemType.ALBUM) == 4


def test_closed_port_is_unreachable() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(PlexUnreachable) as caught:
        connect(url=url, token=TOKEN, library="Music", timeout=2)
    exc = caught.value
    assert exc.exit_code == ExitCode.PLEX and int(ExitCode.PLEX) == 4
    assert "cannot reach a Plex server at" in exc.message and url in exc.message
    assert exc.hint is not None and "PLEX_URL" in exc.hint
    _assert_no_token(exc, TOKEN)


def test_a_server_that_drops_every_connection_is_unreachable(emu: Emulator) -> None:
    emu.go_down()
    pauses: list[float] = []
    with pytest.raises(PlexUnreachable) as caught:
        connect(
            url=emu.url,
            token=TOKEN,
            library="Music",
            timeout=2,
            retry=RetryPolicy(attempts=3, base_delay=0.5),
            sleep=pauses.append,
        )
    assert caught.value.exit_code == 4
    _assert_no_token(caught.value, TOKEN)
    # A dropped connection may be a passing failure: retried, with back-off, before giving up.
    assert emu.stats().faults == {"down": 3}
    assert pauses == [0.5, 1.0]


def test_a_refused_connection_is_not_retried() -> None:
    pauses: list[float] = []
    with pytest.raises(PlexUnreachable, match="cannot reach a Plex server"):
        connect(
            url=f"http://127.0.0.1:{_free_port()}",
            token=TOKEN,
            library="Music",
            retry=RetryPolicy(attempts=3),
            sleep=pauses.append,
        )
    assert pauses == []


def test_a_passing_failure_while_connecting_is_retried(emu: Emulator) -> None:
    emu.set_faults(FaultPlan(rate=1.0, kinds=("error", "drop"), max_faults=2, seed=3))
    pauses: list[float] = []
    client = connect(
        url=emu.url,
        token=TOKEN,
        library="Music",
        retry=RetryPolicy(attempts=3, base_delay=0.0),
        sleep=pauses.append,
    )
    assert client.section.title == "Music"
    assert sum(emu.stats().faults.values()) == 2
    assert pauses == [0.0, 0.0]


def test_wrong_token_is_an_auth_error(emu: Emulator) -> None:
    with pytest.raises(PlexAuthError) as caught:
        connect(url=emu.url, token=WRONG, library="Music")
    exc = caught.value
    assert exc.exit_code == ExitCode.PLEX
    assert "refused the token" in exc.message and "401" in exc.message
    assert exc.hint is not None and "PLEX_TOKEN" in exc.hint
    _assert_no_token(exc, TOKEN, WRONG)
    assert emu.stats().by_status == {401: 1}


def test_unknown_library_lists_the_music_libraries(
    emulator_factory: Factory, small_library_dict: dict[str, Any]
) -> None:
    second = {
        "key": 7,
        "type": "artist",
        "title": "Audiobooks",
        "uuid": "00000000-0000-4000-8000-000000000007",
    }
    small_library_dict["sections"].append(second)
    emu = emulator_factory(EmulatorLibrary.from_dict(small_library_dict), token=TOKEN)
    with pytest.raises(LibraryNotFound) as caught:
        connect(url=emu.url, token=TOKEN, library="Jazz")
    exc = caught.value
    assert exc.exit_code == ExitCode.CONFIG and int(ExitCode.CONFIG) == 3
    assert "no music library named 'Jazz'" in exc.message
    assert "'Test Server'" in exc.message
    assert exc.hint is not None
    assert "music libraries: 'Music', 'Audiobooks'" in exc.hint
    assert "Movies" not in exc.hint  # not a music library, so not offered
    _assert_no_token(exc, TOKEN)


def test_a_non_music_library_of_that_name_says_so(emu: Emulator) -> None:
    with pytest.raises(LibraryNotFound) as caught:
        connect(url=emu.url, token=TOKEN, library="movies")
    exc = caught.value
    assert exc.exit_code == 3
    assert "'movies'" in exc.message
    assert "is a movie library, not a music library" in exc.message
    assert exc.hint == "music libraries: 'Music'"
    _assert_no_token(exc, TOKEN)


def test_a_server_without_music_libraries_says_none(
    emulator_factory: Factory, small_library_dict: dict[str, Any]
) -> None:
    small_library_dict["sections"] = [small_library_dict["sections"][0]]  # only "Movies"
    emu = emulator_factory(EmulatorLibrary.from_dict(small_library_dict), token=TOKEN)
    with pytest.raises(LibraryNotFound) as caught:
        connect(url=emu.url, token=TOKEN, library="Music")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("music libraries: none")


def test_a_server_answering_5xx_while_connecting_is_unreachable_not_a_usage_problem(
    emulator_factory: Any, small_library: Any
) -> None:
    emu = emulator_factory(small_library, faults=FaultPlan(rate=1.0, kinds=("error",)))
    with pytest.raises(PlexUnreachable) as caught:
        connect(
            url=emu.url,
            token=emu.token,
            library="Music",
            retry=RetryPolicy(attempts=2, base_delay=0.0),
        )
    assert caught.value.exit_code == 4
    assert "is not answering requests" in caught.value.message
    assert emu.stats().faults == {"error": 2}
    assert emu.token not in str(caught.value)
