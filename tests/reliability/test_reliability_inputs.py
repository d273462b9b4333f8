"""Bad input files end to end: generated bad CSVs through ``bulk import --apply`` and generated bad
``plex_state.json`` files through the legacy migration of ``plexrate run``.

tests/bulk fuzzes the CSV reader and tests/state the legacy parser; here the whole command runs
against a live emulator, and what matters is what happens to Plex and to the state: a clean error
(exit 3, the file named, no traceback, no token), zero write requests, nothing imported or
written partially, and the files left as they were.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.emulator import Emulator, generate_library
from plexrate.state import StateStore
from tests.reliability.reliability_helpers import (
    PAST,
    STATE_NAME,
    TOKEN,
    Target,
    assert_one_line_error,
    serve,
)

pytestmark = pytest.mark.integration

FEW = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Live:
    """A library after one `run --apply`, served, with its state file and a track export."""

    target: Target
    dump: dict[str, Any]
    state: bytes
    header: list[str]
    rows: list[dict[str, str]]

    @property
    def emu(self) -> Emulator:
        return self.target.emu

    def assert_untouched(self) -> None:
        assert self.emu.stats().writes == 0
        assert self.emu.dump() == self.dump
        assert self.target.state.read_bytes() == self.state


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("live")
    emu = serve(generate_library(tracks=250, seed=47), at=PAST)
    try:
        target = Target(emu, folder, {})
        assert target.invoke_json("run", "--apply", "--yes")["status"] == "completed"
        target.invoke_json("bulk", "export", "--type", "track", "tracks.csv")
        with (folder / "tracks.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header, rows = list(reader.fieldnames or []), list(reader)
        yield Live(target, emu.dump(), target.state.read_bytes(), header, rows)
    finally:
        emu.stop()


# ------------------------------------------------------------------------------------ CSV
def album_key(live: Live) -> int:
    return int(
        next(s for s in live.dump["sections"] if s["type"] == "artist")["albums"][0]["ratingKey"]
    )


BadRow = Callable[[dict[str, str], Live], None]
BAD_ROWS: dict[str, BadRow] = {
    "rating-out-of-range": lambda row, live: row.update(userRating="7"),
    "rating-not-a-number": lambda row, live: row.update(userRating="four"),
    "rating-nan": lambda row, live: row.update(userRating="nan"),
    "rating-negative": lambda row, live: row.update(userRating="-1"),
    "unknown-key": lambda row, live: row.update(ratingKey="987654321"),
    "key-not-a-number": lambda row, live: row.update(ratingKey="12x"),
    "an-album-in-a-track-file": lambda row, live: row.update(ratingKey=str(album_key(live))),
    "bad-rating-type": lambda row, live: row.update(ratingType="sometimes"),
}


def csv_bytes(header: list[str], rows: list[dict[str, str]], *, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


@FEW
@given(
    rng=st.randoms(use_true_random=False),
    edits=st.integers(min_value=1, max_value=40),
    bad=st.lists(st.sampled_from(list(BAD_ROWS)), min_size=1, max_size=3),
    duplicate=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_a_csv_with_bad_rows_imports_nothing(
    live: Live,
    tmp_path: Path,
    *,
    rng: random.Random,
    edits: int,
    bad: list[str],
    duplicate: bool,
    encoding: str,
) -> None:
    """Valid edits mixed with invalid rows: the whole file is refused, no valid row lands."""
    rows = [dict(r) for r in live.rows]
    for row in rng.sample(rows, edits):
        row["userRating"] = rng.choice(["0.5", "1", "2.5", "4", "5", ""])
    for name, row in zip(bad, rng.sample(rows, len(bad)), strict=True):
        BAD_ROWS[name](row, live)
    if duplicate:
        rows.insert(rng.randrange(len(rows)), dict(rng.choice(rows)))
    path = tmp_path / "edited.csv"
    path.write_bytes(csv_bytes(live.header, rows, encoding=encoding))
    live.emu.reset_stats()

    result = live.target.invoke("bulk", "import", "--type", "track", str(path), "--apply", "--yes")
    assert result.exit_code == 3, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr
    flat = "".join(result.stderr.split())
    assert "".join(f"Error: {path}:".split()) in flat
    assert "nothingwaswritten" in flat
    live.assert_untouched()


FATAL = {
    "garbage-bytes": b"\x00\xff\xfe\x01" * 50,
    "no-header": b"1,2,3\n4,5,6\n",
    "wrong-columns": b"key,stars,kind\n101,4,manual\n",
    "empty": b"",
    "utf16-without-bom": "ratingKey,userRating,ratingType\n1,2,manual\n".encode("utf-16-le"),
}


@pytest.mark.parametrize("case", list(FATAL))
def test_a_file_that_is_no_bulk_csv_is_refused_before_connecting(
    live: Live, tmp_path: Path, case: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(FATAL[case])
    live.emu.reset_stats()
    document = live.target.invoke_json(
        "bulk", "import", "--type", "track", str(path), "--apply", "--yes", code=3
    )
    assert (document["written"], document["fatal"]) == (0, True)
    assert len(document["errors"]) == 1
    assert live.emu.stats().requests == 0  # not even a connection
    live.assert_untouched()


# ------------------------------------------------------------------------------ legacy state
def item_keys(dump: dict[str, Any]) -> list[int]:
    section = next(s for s in dump["sections"] if s["type"] == "artist")
    return sorted(
        item["ratingKey"] for kind in ("artists", "albums", "tracks") for item in section[kind]
    )


@st.composite
def bad_legacy_files(draw: st.DrawFn, keys: list[int], uuid: str) -> bytes:
    """A plausible plex_state.json for this library, then broken in one way a file gets broken."""
    chosen = draw(st.lists(st.sampled_from(keys), min_size=5, max_size=40, unique=True))
    stamped = draw(st.booleans())
    entries: dict[str, Any] = {
        str(k): ({"r": 2.0 + k % 8, "t": k % 5 == 0} if stamped else 2.0 + k % 8) for k in chosen
    }
    how = draw(
        st.sampled_from(
            [
                "truncate",
                "bad-value",
                "bad-key",
                "bad-twin",
                "not-utf8",
                "duplicate",
                "top-level",
                "huge-number",
            ]
        )
    )
    victim = draw(st.sampled_from(sorted(entries)))
    if how == "bad-value":
        value = draw(st.sampled_from(["7", None, -1, 10.5, [7], {"x": 1}, True, 1e309]))
        entries[victim] = {"r": value, "t": False} if stamped else value
    elif how == "bad-key":
        entries[draw(st.sampled_from(["abc", "-5", "0", "1.5", "", "9" * 25]))] = 5.0
    elif how == "huge-number":
        # A number of 5,000 digits: Python's int() refuses it (issue 17).
        entries[victim] = {"r": 123.25, "t": False} if stamped else 123.25
    elif how == "bad-twin" and stamped:
        entries[victim] = {"r": 5.0, "t": draw(st.sampled_from(["yes", 3, -1, 1.5, [], {}]))}
    document: Any = (
        {"version": "2.1", "library_uuid": uuid, "ratings": entries} if stamped else entries
    )
    if how == "top-level":
        document = draw(st.sampled_from([[document], "state", 3, None]))
    text = json.dumps(document, indent=1)
    if how == "duplicate":
        text = text.replace(f'"{victim}"', f'"{victim}": 1.0, "{victim}"', 1)
    if how == "huge-number":
        text = text.replace("123.25", "9" * 5000, 1)
    if how == "bad-twin" and not stamped:
        text = text[: len(text) // 2]
    data = text.encode("utf-8")
    if how == "truncate":
        data = data[: draw(st.integers(min_value=0, max_value=len(data) - 2))]
    if how == "not-utf8":
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:at] + b"\xff\xfe" + data[at:]
    return data


@pytest.fixture(scope="module")
def fresh_library() -> Iterator[Emulator]:
    """The library as the old tool left it: no plexrate state yet."""
    emu = serve(generate_library(tracks=150, seed=49))
    yield emu
    emu.stop()


@FEW
@given(st.data())
def test_a_bad_legacy_state_file_is_reported_and_nothing_is_imported(
    fresh_library: Emulator, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    emu = fresh_library
    raw = data.draw(bad_legacy_files(item_keys(emu.dump()), emu.section_uuid))
    folder = tmp_path_factory.mktemp("legacy")
    target = Target(emu, folder, {})
    legacy = folder / "plex_state.json"
    legacy.write_bytes(raw)
    before = emu.dump()
    emu.reset_stats()

    for mode in ("--dry-run", "--apply"):
        result = target.invoke("run", mode, "--yes")
        assert result.exit_code == 3, (mode, result.stderr)
        assert result.stdout == ""
        assert_one_line_error(result.stderr, contains=f"legacy state file {legacy}")
    assert emu.stats().writes == 0
    assert emu.dump() == before
    assert legacy.read_bytes() == raw
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("plex_state")) == [
        "plex_state.json"  # no backup: nothing was imported
    ]
    with StateStore(folder / STATE_NAME, library_uuid=emu.section_uuid, readonly=True) as store:
        assert store.owned() == {}
        assert not store.ownership_built()
        assert store.runs() == []


@FEW
@given(st.data())
def test_admin_state_import_of_a_bad_file_imports_nothing(
    live: Live, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Into a state that already owns items: the record and the file stay exactly as they were."""
    raw = data.draw(bad_legacy_files(item_keys(live.dump), live.emu.section_uuid))
    folder = tmp_path_factory.mktemp("state-import")
    path = folder / "old_state.json"
    path.write_bytes(raw)
    owned = live.target.owned()
    assert owned
    live.emu.reset_stats()

    for mode in ("--dry-run", "--apply"):
        result = live.target.invoke("admin", "state", "import", str(path), mode, "--yes")
        assert result.exit_code == 3, (mode, result.stderr)
        assert result.stdout == ""
        assert_one_line_error(result.stderr, contains=f"legacy state file {path}")
    assert path.read_bytes() == raw
    assert sorted(p.name for p in folder.iterdir()) == ["old_state.json"]
    assert not list(live.target.folder.glob("old_state.*.json"))  # no backup: nothing imported
    assert live.target.owned() == owned
    live.assert_untouched()
