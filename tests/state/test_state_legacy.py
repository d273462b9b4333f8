"""The old tool's plex_state.json: both formats, malformed files, import with backup, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexrate.errors import InputFileError
from plexrate.model import ItemType, OwnedItem
from plexrate.state import (
    LegacyEntry,
    LegacyFormat,
    LegacyMigration,
    LegacyState,
    UuidCheck,
    check_library_uuid,
    export_legacy,
    load_legacy,
    parse_legacy,
)
from tests.state.state_helpers import LIBRARY, OTHER_LIBRARY, change, open_store, write_and_confirm

STAMPED: dict[str, Any] = {
    "version": "2.1",
    "library_uuid": LIBRARY,
    "ratings": {"101": {"r": 7.5, "t": False}, "102": {"r": 6, "t": True}, "103": {"r": 0}},
}
FLAT = {"101": 7.5, "102": 6, "7": 10}


def _bytes(document: Any) -> bytes:
    return json.dumps(document, indent=4).encode("utf-8")


def test_stamped_format() -> None:
    state = parse_legacy(_bytes(STAMPED))
    assert state.format is LegacyFormat.STAMPED
    assert state.library_uuid == LIBRARY
    assert state.version == "2.1"
    assert dict(state.entries) == {
        101: LegacyEntry(7.5, twin=False),
        102: LegacyEntry(6.0, twin=True),
        103: LegacyEntry(0.0, twin=False),
    }


def test_flat_format() -> None:
    state = parse_legacy(_bytes(FLAT))
    assert state.format is LegacyFormat.FLAT
    assert state.library_uuid is None
    assert dict(state.entries) == {
        101: LegacyEntry(7.5),
        102: LegacyEntry(6.0),
        7: LegacyEntry(10.0),
    }


def test_lenient_where_the_meaning_is_unambiguous() -> None:
    doc = {"ratings": {"5": 4.5, "6": {"r": 3, "t": 1}, "7": {"r": 2, "t": None}}, "extra": 1}
    state = parse_legacy(b"\xef\xbb\xbf" + _bytes(doc))  # a BOM, as some editors write
    assert dict(state.entries) == {
        5: LegacyEntry(4.5),
        6: LegacyEntry(3.0, twin=True),
        7: LegacyEntry(2.0),
    }
    assert state.library_uuid is None
    assert parse_legacy(b"{}").entries == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b'{"101": 7.5, "102": 6', "not valid JSON.*line 1 column"),
        (b"[1, 2]", "must be a JSON object, not an array"),
        (b'"text"', "must be a JSON object, not a string"),
        (b'{"abc": 5}', "'abc' is not a rating key"),
        (b'{"-5": 5}', "'-5' is not a rating key"),
        (b'{"0": 5}', "'0' is not a rating key"),
        (b'{"1.5": 5}', "not a rating key"),
        (b'{"99999999999999999999": 5}', "not a rating key"),
        (b'{"12": "7.5"}', "non-numeric rating \\(a string\\)"),
        (b'{"12": true}', "non-numeric rating \\(a boolean\\)"),
        (b'{"12": null}', "non-numeric rating \\(null\\)"),
        (b'{"12": 11}', "outside 0–10"),
        (b'{"12": -0.5}', "outside 0–10"),
        (b'{"12": NaN}', "NaN is not a valid rating"),
        (b'{"12": Infinity}', "Infinity is not a valid rating"),
        (b'{"12": 1e400}', "outside 0–10"),
        (b'{"12": 5, "12": 6}', "'12' appears twice"),
        (b'{"12": 5, "012": 6}', "'012' appears twice"),
        (b'{"ratings": [1]}', "'ratings' must be an object, not an array"),
        (b'{"ratings": {"1": {"t": true}}}', "has no rating"),
        (b'{"ratings": {"1": {"r": 5, "t": "yes"}}}', "twin flag"),
        (b'{"ratings": {}, "library_uuid": 5}', "'library_uuid' must be a string"),
        (b'{"ratings": {}, "version": [1]}', "'version' must be a string"),
        (b'{"version": "1", "library_uuid": "x"}', "no 'ratings' object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000, "nested too deeply|not valid JSON"),
    ],
)
def test_malformed_files_name_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        parse_legacy(data, source=Path("plex_state.json"))


def test_load_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        load_legacy(tmp_path / "plex_state.json")
    path = tmp_path / "plex_state.json"
    path.write_bytes(b'{"1": 5')
    with pytest.raises(InputFileError, match=str(path)):
        load_legacy(path)
    path.write_bytes(_bytes(FLAT))
    state = load_legacy(path)
    assert state.source == path
    assert state.raw == path.read_bytes()


@pytest.mark.parametrize(
    ("legacy", "library", "expected"),
    [
        (LIBRARY, LIBRARY, UuidCheck.MATCH),
        (LIBRARY.upper(), f" {LIBRARY} ", UuidCheck.MATCH),
        (LIBRARY, OTHER_LIBRARY, UuidCheck.MISMATCH),
        (None, LIBRARY, UuidCheck.UNSTAMPED),
        ("", LIBRARY, UuidCheck.UNSTAMPED),
    ],
)
def test_library_uuid_check(legacy: str | None, library: str, expected: UuidCheck) -> None:
    assert check_library_uuid(legacy, library) is expected


# -- fuzzing: nothing but InputFileError, and never a partial result ------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
keys = st.integers(min_value=1, max_value=10**12).map(str) | st.text(max_size=5)
plausible = st.one_of(
    st.dictionaries(keys, json_values, max_size=6),
    st.fixed_dictionaries(
        {
            "ratings": st.dictionaries(
                keys,
                json_values | st.fixed_dictionaries({"r": json_values, "t": json_values}),
                max_size=6,
            )
        },
        optional={"version": json_values, "library_uuid": json_values},
    ),
    json_values,
)


def _check_complete(document: Any, state: LegacyState) -> None:
    """A successful parse accounts for every entry of the document."""
    assert isinstance(document, dict)
    entries = document.get("ratings", document)
    assert len(state.entries) == len(entries)
    for raw_key, raw in entries.items():
        value = raw["r"] if isinstance(raw, dict) else raw
        assert state.entries[int(raw_key)].value == float(value)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    try:
        state = parse_legacy(data)
    except InputFileError:
        return
    _check_complete(json.loads(data.decode("utf-8-sig")), state)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(plausible)
def test_fuzz_json_documents(document: Any) -> None:
    try:
        state = parse_legacy(json.dumps(document).encode())
    except InputFileError:
        return
    _check_complete(document, state)


ratings = st.dictionaries(
    st.integers(min_value=1, max_value=2**63 - 1),
    st.tuples(st.floats(min_value=0, max_value=10), st.booleans()),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200)
@given(ratings, st.booleans(), st.data())
def test_fuzz_valid_files_parse_exactly_and_any_truncation_is_an_error(
    entries: dict[int, tuple[float, bool]], stamped: bool, data: st.DataObject
) -> None:
    if stamped:
        document: Any = {
            "version": "1",
            "library_uuid": LIBRARY,
            "ratings": {str(k): {"r": v, "t": t} for k, (v, t) in entries.items()},
        }
    else:
        document = {str(k): v for k, (v, _) in entries.items()}
    raw = _bytes(document)
    state = parse_legacy(raw)
    assert {k: (e.value, e.twin) for k, e in state.entries.items()} == {
        k: (v, t if stamped else False) for k, (v, t) in entries.items()
    }
    cut = data.draw(st.integers(min_value=0, max_value=len(raw.rstrip()) - 1))
    with pytest.raises(InputFileError):
        parse_legacy(raw[:cut])


# -- import and export -----------------------------------------------------------------------------


def _migration(legacy: LegacyState, types: dict[int, ItemType]) -> LegacyMigration:
    """What ``plan_migration`` decides when Plex still holds every value the file records (the
    rule itself is tested in tests/admin/test_admin_core.py and tests/session)."""
    owned = tuple(
        OwnedItem(k, types[k], e.value, phase="import", twin=e.twin)
        for k, e in sorted(legacy.entries.items())
        if k in types and e.value > 0
    )
    return LegacyMigration(
        owned=owned,
        unrated=tuple(k for k, e in sorted(legacy.entries.items()) if k in types and e.value <= 0),
        not_in_library=tuple(k for k in sorted(legacy.entries) if k not in types),
    )


def test_import_takes_ownership_keeps_a_backup_and_reports_skipped_keys(tmp_path: Path) -> None:
    source = tmp_path / "plex_state.json"
    source.write_bytes(_bytes({**STAMPED, "ratings": {**STAMPED["ratings"], "999": {"r": 5}}}))
    legacy = load_legacy(source)
    types = {101: ItemType.ALBUM, 102: ItemType.TRACK, 103: ItemType.TRACK, 104: ItemType.ARTIST}
    backups = tmp_path / "backups"
    with open_store(tmp_path / "state.sqlite") as store:
        assert not store.ownership_built()
        report = store.import_legacy(legacy, _migration(legacy, types), backup_dir=backups)
        assert report.imported == 2
        assert report.not_in_library == (999,)
        assert report.unrated == (103,)
        assert report.already_owned == ()
        assert report.backup.parent == backups
        assert report.backup.read_bytes() == source.read_bytes()
        owned = store.owned()
        record = json.loads(store.meta("legacy_import") or "{}")
        # the import's time stands for the old tool's unknown write time (HIJACK_INTEGER_ONLY)
        at = record["at"]
        assert owned == {
            101: OwnedItem(101, ItemType.ALBUM, 7.5, phase="import", twin=False, written_at=at),
            102: OwnedItem(102, ItemType.TRACK, 6.0, phase="import", twin=True, written_at=at),
        }
        assert store.ownership_built()
        assert record["imported"] == 2
        assert record["source"] == str(source)

        # a second import keeps the store's newer record and a second, separate backup
        write_and_confirm(store, [change(104, after=3.0, item_type=ItemType.ARTIST)])
        source.write_bytes(_bytes({"101": 1.0, "104": 9.0}))
        second = load_legacy(source)
        again = store.import_legacy(second, _migration(second, types), backup_dir=backups)
        assert again.imported == 0
        assert again.already_owned == (101, 104)
        assert again.backup != report.backup
        assert store.owned()[101].value == 7.5
        assert store.owned()[104].value == 3.0
    assert len(list(backups.iterdir())) == 2


def test_export_round_trips_through_the_legacy_parser(tmp_path: Path) -> None:
    target = tmp_path / "exported.json"
    target.write_text("old content")
    with open_store(tmp_path / "state.sqlite") as store:
        store.set_owned(
            [
                OwnedItem(3, ItemType.TRACK, 4.25, twin=True),
                OwnedItem(20, ItemType.ALBUM, 8.0),
                OwnedItem(100, ItemType.ARTIST, 6.5),
            ],
            source="test",
        )
        assert export_legacy(store, target) == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    state = load_legacy(target)
    assert state.format is LegacyFormat.STAMPED
    assert state.library_uuid == LIBRARY
    assert dict(state.entries) == {
        3: LegacyEntry(4.25, twin=True),
        20: LegacyEntry(8.0),
        100: LegacyEntry(6.5),
    }
    # and back into a fresh store, for another library file
    types = {3: ItemType.TRACK, 20: ItemType.ALBUM, 100: ItemType.ARTIST}
    with open_store(tmp_path / "other.sqlite") as fresh:
        fresh.import_legacy(state, _migration(state, types), backup_dir=tmp_path / "bk")
        assert {k: (o.value, o.twin, o.item_type) for k, o in fresh.owned().items()} == {
            3: (4.25, True, ItemType.TRACK),
            20: (8.0, False, ItemType.ALBUM),
            100: (6.5, False, ItemType.ARTIST),
        }


def test_export_from_a_readonly_store(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with open_store(path) as store:
        write_and_confirm(store, [change(1, after=5.5)])
    with open_store(path, readonly=True) as reader:
        export_legacy(reader, tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text())["ratings"] == {
        "1": {"r": 5.5, "t": False}
    }


# -- the shapes the old tool really writes (tests/data/legacy, original-tool.md §1) ---------------

LEGACY_DATA = Path(__file__).resolve().parents[1] / "data" / "legacy"


def test_v1_4_file_with_integer_twin_flags_and_full_precision() -> None:
    state = load_legacy(LEGACY_DATA / "plex_state-v1.4.json")
    assert state.version == "1.4"
    assert state.entries[1978] == LegacyEntry(6.89122807017544)
    assert state.entries[2001] == LegacyEntry(7.4, twin=True)
    assert state.entries[3100] == LegacyEntry(8.0, twin=True, cluster_manual=True)
    assert sum(e.cluster_manual for e in state.entries.values()) == 3


def test_v1_5_file_with_manual_marks() -> None:
    state = load_legacy(LEGACY_DATA / "plex_state-v1.5.json")
    assert state.entries[3100] == LegacyEntry(8.0, twin=True, manual=True)
    assert state.entries[3102] == LegacyEntry(7.5, twin=True)
    assert not any(e.cluster_manual for e in state.entries.values())


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"r": 5, "t": 0}, LegacyEntry(5.0)),
        ({"r": 5, "t": 1}, LegacyEntry(5.0, twin=True)),
        ({"r": 5, "t": 2}, LegacyEntry(5.0, twin=True, cluster_manual=True)),
        ({"r": 5, "t": 2.0}, LegacyEntry(5.0, twin=True, cluster_manual=True)),
        ({"r": 5, "t": True}, LegacyEntry(5.0, twin=True)),
        ({"r": 5, "t": False, "m": True}, LegacyEntry(5.0, manual=True)),
        ({"r": 5, "t": 1, "m": 0}, LegacyEntry(5.0, twin=True)),
        ({"r": 5, "m": None}, LegacyEntry(5.0)),
    ],
)
def test_every_entry_shape(entry: dict[str, Any], expected: LegacyEntry) -> None:
    assert parse_legacy(_bytes({"ratings": {"9": entry}})).entries[9] == expected


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"r": 5, "t": 3}, "twin flag 3; expected 0, 1 or 2"),
        ({"r": 5, "t": -1}, "twin flag -1"),
        ({"r": 5, "t": 1.5}, "twin flag 1.5"),
        ({"r": 5, "m": "yes"}, "manual flag 'yes'"),
        ({"r": 5, "m": 2}, "manual flag 2"),
    ],
)
def test_entry_flags_outside_the_known_shapes_are_named(
    entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputFileError, match=message):
        parse_legacy(_bytes({"ratings": {"9": entry}}))


def test_a_backup_without_the_files_bytes_keeps_every_flag(tmp_path: Path) -> None:
    entries = {
        1: LegacyEntry(5.0, twin=True, cluster_manual=True),
        2: LegacyEntry(4.0, twin=True, manual=True),
        3: LegacyEntry(3.0),
    }
    legacy = LegacyState(library_uuid=LIBRARY, entries=entries)  # built in memory: no raw bytes
    with open_store(tmp_path / "state.sqlite") as store:
        report = store.import_legacy(legacy, LegacyMigration(), backup_dir=tmp_path)
    assert dict(load_legacy(report.backup).entries) == entries
