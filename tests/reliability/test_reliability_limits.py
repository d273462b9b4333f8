"""Sizes and settings without sensible bounds (issue 17 item 6): each is refused at once with a
message naming the limit, exit 3, before anything is read from Plex or written anywhere."""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, generate_library
from plexrate.fileio import MAX_INPUT_BYTES, MiB
from tests.reliability.reliability_helpers import Target, assert_one_line_error, serve

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    server = serve(generate_library(tracks=40, seed=29))
    try:
        yield server
    finally:
        server.stop()


def _refused(target: Target, *args: str, contains: str) -> str:
    target.emu.reset_stats()
    result = target.invoke(*args)
    assert result.exit_code == 3, (result.exit_code, result.stderr)
    assert target.emu.stats().requests == 0  # refused before connecting
    return assert_one_line_error(result.stderr, contains=contains)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_bulk_import_of_an_endless_file_stops_at_the_limit(emu: Emulator, tmp_path: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    error = _refused(
        Target(emu, tmp_path, {}),
        "bulk",
        "import",
        "--type",
        "track",
        "/dev/zero",
        "--apply",
        "--yes",
        contains=f"bulk CSV /dev/zero is larger than {MAX_INPUT_BYTES // MiB} MiB",
    )
    assert "the most plexrate reads" in error
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux
    assert grown * unit < 2 * MAX_INPUT_BYTES  # bounded by the limit, not by the file


def test_a_legacy_state_file_above_the_limit_is_refused(emu: Emulator, tmp_path: Path) -> None:
    legacy = tmp_path / "plex_state.json"
    with legacy.open("wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: costs no disk
    _refused(
        Target(emu, tmp_path, {}),
        "admin",
        "state",
        "import",
        str(legacy),
        "--yes",
        contains=f"legacy state file {legacy} is larger than {MAX_INPUT_BYTES // MiB} MiB",
    )


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("COOLDOWN_SLEEP", "1e9", 'PLEXRATE_COOLDOWN_SLEEP: "1e9" is above 3600'),
        ("TIMEOUT", "99999", 'PLEXRATE_TIMEOUT: "99999" is above 3600'),
        ("INFERRED_TAG", "x" * 100_000, "PLEXRATE_INFERRED_TAG: is longer than 255 characters"),
        (
            "TWIN_LOGIC__TWIN_TAG",
            "y" * 300,
            "PLEXRATE_TWIN_LOGIC__TWIN_TAG: is longer than 255 characters",
        ),
    ],
)
def test_settings_beyond_their_bounds_name_the_limit(
    emu: Emulator, tmp_path: Path, key: str, value: str, says: str
) -> None:
    result = Target(emu, tmp_path, {key: value}).invoke("run", "--dry-run")
    assert result.exit_code == 3, result.stderr
    assert says in result.stderr
    assert value not in result.stderr or len(value) < 10


def test_a_config_json_that_is_a_folder_is_not_skipped(emu: Emulator, tmp_path: Path) -> None:
    (tmp_path / "config.json").mkdir()
    _refused(
        Target(emu, tmp_path, {}),
        "run",
        "--dry-run",
        contains=f"{tmp_path / 'config.json'} is not a file (a folder?)",
    )
