"""``plexrate bulk export`` / ``bulk import`` against the emulator, over real HTTP."""

from __future__ import annotations

import codecs
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import plexrate.bulk.export as export_module
from plexrate.cli.context import AppContext
from plexrate.emulator import Emulator, EmulatorLibrary
from plexrate.state import EntryStatus, StateStore
from tests.bulk.bulk_helpers import (
    TAG,
    TRACK_HEADER,
    Clock,
    csv_text,
    point_at,
    rate_in_plex,
)
from tests.support.cli import PlexrateCli

pytestmark = pytest.mark.integration


@dataclass
class Env:
    cli: PlexrateCli
    clock: Clock

    @property
    def emulator(self) -> Emulator:
        return self.cli.emulator

    @property
    def state(self) -> Path:
        return self.cli.state_path

    @property
    def folder(self) -> Path:
        return self.cli.workdir

    def store(self) -> StateStore:
        return StateStore(self.state, library_uuid=self.emulator.section_uuid, readonly=True)

    def owned(self) -> dict[int, float]:
        with self.store() as store:
            return {k: o.value for k, o in store.owned().items()}

    def rating(self, key: int) -> float | None:
        return self.emulator.library.rating(key)

    def tags(self, key: int) -> tuple[str, ...]:
        return self.emulator.library.item_tags(key, "mood")

    def writes(self) -> int:
        return self.emulator.stats().writes

    def write_csv(self, name: str, text: str, *, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(text.encode(encoding))
        return path

    def later(self) -> None:
        """Move Plex's clock past the files saved so far: the next writes come after them."""
        self.clock.now = time.time() + 60


@pytest.fixture
def env(
    emulator_factory: Any,
    small_library: EmulatorLibrary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Env:
    """The small library after one full `run --apply`: manual and inferred ratings, tags."""
    clock = Clock()
    emulator = emulator_factory(small_library, clock=clock)
    cli = point_at(emulator, tmp_path, monkeypatch)
    result = cli.invoke("run", "--apply", "--yes", "--quiet")
    assert result.exit_code == 0, result.stderr
    emulator.reset_stats()
    return Env(cli, clock)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The small library after `run`: which items are manual (rated in the library file) and which
# plexrate inferred, per type.
FIGURES = {
    "artist": {"rows": 3, "manual": 1, "inferred": 2, "unrated": 0},
    "album": {"rows": 4, "manual": 1, "inferred": 3, "unrated": 0},
    "track": {"rows": 10, "manual": 3, "inferred": 7, "unrated": 0},
}


@pytest.mark.parametrize("item_type", ["artist", "album", "track"])
def test_an_unedited_export_imports_with_zero_writes(env: Env, item_type: str) -> None:
    summary = env.cli.ok_json("bulk", "export", "--type", item_type)
    path = env.folder / f"{item_type}_ratings.csv"
    assert summary["path"] == str(path)
    assert summary["type"] == item_type
    assert {k: summary[k] for k in FIGURES[item_type]} == FIGURES[item_type]
    assert summary["requests"]["writes"] == 0
    assert len(read_rows(path)) == FIGURES[item_type]["rows"]

    dry = env.cli.ok_json("bulk", "import", "--type", item_type, "--dry-run")
    assert dry["changes"] == []
    assert dry["stats"]["unchanged_rows"] == FIGURES[item_type]["rows"]
    done = env.cli.ok_json("bulk", "import", "--type", item_type, "--apply")
    assert (done["planned"], done["written"], done["run_id"]) == (0, 0, None)
    assert env.writes() == 0
    with env.store() as store:
        assert [r.command for r in store.runs()] == ["run"]


def test_export_is_one_snapshot_not_a_request_per_row(
    emulator_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = []
    for tracks in (90, 900):
        emulator = emulator_factory(tracks=tracks, seed=3)
        cli = point_at(emulator, tmp_path, monkeypatch)
        summary = cli.ok_json("bulk", "export", "--type", "track", "--force")
        assert summary["rows"] == tracks
        stats = emulator.stats()
        assert stats.writes == 0
        assert not [e for e in stats.by_endpoint if "metadata" in e]
        reads.append((stats.reads, summary["requests"]["reads"]))
    # One page per type at the default page size: ten times the rows, the same requests.
    assert reads[0] == reads[1]


def edited_tracks(env: Env) -> Path:
    env.cli.ok_json("bulk", "export", "--type", "track")
    rows = read_rows(env.folder / "track_ratings.csv")
    by_key = {r["ratingKey"]: r for r in rows}
    by_key["307"].update(userRating="4.5")  # manual 5★ → 4.5★
    by_key["301"].update(userRating="")  # inferred → cleared
    by_key["302"].update(ratingType="inferred")  # manual → handed back
    by_key["308"].update(ratingType="manual")  # inferred → claimed
    by_key["304"].update(userRating="1.25")  # edited, still says inferred: the trap
    path = env.folder / "edited.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_edits_in_each_column_land(env: Env) -> None:
    path = edited_tracks(env)
    owned_before = env.owned()
    assert {301, 304, 308} <= set(owned_before)
    assert 302 not in owned_before

    dry = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--dry-run")
    assert {c["key"]: (c["set_rating"], c["after"], c["own"]) for c in dry["changes"]} == {
        307: (True, 9.0, False),
        301: (True, None, False),
        302: (False, 8.0, True),
        304: (True, 2.5, False),
        308: (False, owned_before[308], False),
    }
    assert env.writes() == 0

    env.later()
    done = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--apply")
    assert (done["status"], done["planned"], done["written"], done["failed"]) == (
        "completed",
        5,
        5,
        0,
    )
    stats = done["stats"]
    assert {k: stats[k] for k in ("rated", "cleared", "handed_back", "claimed", "years")} == {
        "rated": 2,
        "cleared": 1,
        "handed_back": 1,
        "claimed": 1,
        "years": 0,
    }
    assert stats["inferred_edited"] == 1
    assert len(done["warnings"]) == 1
    assert done["warnings"][0].startswith("row 7 (The Testers — Night Song (Remastered 2011))")

    assert (env.rating(307), env.rating(301), env.rating(304)) == (9.0, None, 2.5)
    assert env.rating(302) == 8.0  # ownership only: the value stays until the next run
    owned = env.owned()
    assert owned[302] == 8.0
    assert not {301, 304, 307, 308} & set(owned)
    assert TAG in env.tags(302)
    assert not {TAG} & {*env.tags(301), *env.tags(304), *env.tags(308)}

    # The same file again: nothing left to do, and nothing called stale (issue 19): the trap
    # row's value is the one its first import wrote as the person's own.
    env.emulator.reset_stats()
    again = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--apply")
    assert (again["planned"], again["written"]) == (0, 0)
    assert again["stats"]["stale"] == 0
    assert again["warnings"] == []
    assert env.writes() == 0


def test_release_year_uses_the_plex_edit_form_and_round_trips(env: Env) -> None:
    env.cli.ok_json("bulk", "export", "--type", "album")
    path = env.folder / "album_ratings.csv"
    text = path.read_text(encoding="utf-8")
    assert ",First Light,First Light,The Testers,1999," in text
    path.write_text(text.replace(",1999,", ",2001,"), encoding="utf-8")

    done = env.cli.ok_json("bulk", "import", "--type", "album", "--apply")
    assert (done["written"], done["stats"]["years"]) == (1, 1)
    edits = [r for r in env.emulator.requests() if r.method == "PUT"]
    assert len(edits) == 1
    assert edits[0].param("originallyAvailableAt.value") == "2001-01-01"
    assert edits[0].param("originallyAvailableAt") is None  # defect 12: never the bare name
    album = env.emulator.library.item(201)
    # Plex may keep the old ``year`` (the strict emulator does); the date carries the edit.
    assert album.originally_available_at == "2001-01-01"  # type: ignore[union-attr]

    again = env.cli.ok_json("bulk", "export", "--type", "album", "--force")
    assert again["rows"] == 4
    assert ",2001," in path.read_text(encoding="utf-8")
    env.emulator.reset_stats()
    assert env.cli.ok_json("bulk", "import", "--type", "album", "--apply")["planned"] == 0
    assert env.writes() == 0


BAD_TRACKS = csv_text(
    TRACK_HEADER,
    "307,Fjord,a,b,c,4,manual",  # row 2: valid
    "308,x,a,b,c,7,manual",  # row 3: out of range
    "999,x,a,b,c,4,manual",  # row 4: not in the library
    "201,x,a,b,c,4,manual",  # row 5: an album
    "",  # row 6: blank
    "302,x,a,b,c,4,sometimes",  # row 7: bad ratingType
    "303,x,a,b,c,3,manual",  # row 8: duplicate
    "303,x,a,b,c,3.5,manual",  # row 9: duplicate
)
BAD_ERRORS = [
    {"row": 3, "column": "userRating", "message": "'7' is outside 0–5 stars (Plex's 0–10 "
     "value 7 is 3.5 stars)"},
    {"row": 4, "column": "ratingKey", "message": "ratingKey 999 is not in library 'Music' "
     "(deleted, or the file is from another library)"},
    {"row": 5, "column": "ratingKey", "message": "ratingKey 201 is an album (The Testers — "
     "First Light), not a track"},
    {"row": 7, "column": "ratingType", "message": "'sometimes' is neither 'manual' nor "
     "'inferred' (or empty)"},
    {"row": 8, "column": "ratingKey", "message": "ratingKey 303 is also in row 9: keep one row "
     "per item"},
    {"row": 9, "column": "ratingKey", "message": "ratingKey 303 is also in row 8: keep one row "
     "per item"},
]  # fmt: skip


def test_every_problem_is_reported_and_nothing_is_written(env: Env) -> None:
    path = env.write_csv("bad.csv", BAD_TRACKS)
    document = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--apply", code=3)
    assert document == {
        "schema_version": 1,
        "command": "bulk import",
        "type": "track",
        "path": str(path),
        "written": 0,
        "fatal": False,
        "errors": BAD_ERRORS,
    }
    assert env.writes() == 0
    assert env.rating(307) == 10.0

    result = env.cli.invoke("bulk", "import", "--type", "track", str(path), "--apply")
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"6 problems in {path}:"
    assert (
        lines[1]
        == "  row 3, userRating: '7' is outside 0–5 stars (Plex's 0–10 value 7 is 3.5 stars)"
    )
    # Compared without whitespace: the console wraps the long line (inside the path, too).
    flat = "".join(result.stderr.split())
    expected = f"Error: {path}: 6 problems in 6 rows (first: row 3, userRating"
    assert "".join(expected.split()) in flat
    assert flat.endswith("orpass--skip-invalidtoimportonlythevalidrows)")
    assert env.writes() == 0
    with env.store() as store:
        assert [r.command for r in store.runs()] == ["run"]


def test_a_file_without_the_columns_fails_before_connecting(env: Env) -> None:
    path = env.write_csv("notes.csv", "key,stars\n307,4\n")
    document = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--apply", code=3)
    assert document["fatal"] is True
    assert document["errors"] == [
        {
            "row": 1,
            "column": "ratingKey, userRating, ratingType",
            "message": "the header lacks the columns ratingKey, userRating, ratingType (read "
            "with delimiter ',', it has: key, stars); the first row must name the columns, as "
            "an export does",
        }
    ]
    assert env.emulator.stats().requests == 0


def test_a_missing_file_is_one_clear_error(env: Env) -> None:
    result = env.cli.invoke("bulk", "import", "--type", "album")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"Error: {env.folder / 'album_ratings.csv'} does not exist (export one first: "
        "plexrate bulk export --type album)"
    )


def test_skip_invalid_applies_the_valid_rows_only(env: Env) -> None:
    path = env.write_csv("bad.csv", BAD_TRACKS)
    untouched = {k: env.rating(k) for k in (302, 303, 308)}
    env.later()
    done = env.cli.ok_json(
        "bulk", "import", "--type", "track", str(path), "--apply", "--skip-invalid"
    )
    assert (done["planned"], done["written"]) == (1, 1)
    assert done["skipped"] == BAD_ERRORS
    assert (done["stats"]["rows"], done["stats"]["valid"], done["stats"]["skipped"]) == (7, 1, 6)
    assert env.rating(307) == 8.0
    assert {k: env.rating(k) for k in (302, 303, 308)} == untouched
    assert env.writes() == 1


def test_a_spreadsheet_saved_file_imports(env: Env) -> None:
    """BOM, CRLF, ';' and decimal commas, quoted fields, blank lines, extra and moved columns."""
    owned = env.owned()
    text = csv_text(
        "ratingType;userRating;my notes;ratingKey;trackTitle",
        'manual;4,5;"liked it; a lot";307;"Fjord"',
        "",
        ";;;;",
        'inferred;3;"multi\r\nline ""note""";303;Evening Song',
        f"manual;{owned[308] / 2:.3f}".replace(".", ",") + ';;308;"Ström [Demo]"',
        newline="\r\n",
    )
    path = env.folder / "excel.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    env.later()
    done = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--apply")
    assert (done["planned"], done["written"]) == (3, 3)
    assert {c: done["stats"][c] for c in ("rated", "handed_back", "claimed")} == {
        "rated": 1,
        "handed_back": 1,
        "claimed": 1,
    }
    assert env.rating(307) == 9.0
    assert env.owned()[303] == 6.0
    assert 308 not in env.owned()


def test_an_import_is_a_journaled_run_with_the_values_undo_needs(env: Env) -> None:
    path = edited_tracks(env)
    before = {k: env.rating(k) for k in (301, 302, 304, 307, 308)}
    env.later()
    run_id = env.cli.ok_json("bulk", "import", "--type", "track", str(path), "--apply")["run_id"]
    with env.store() as store:
        run = next(r for r in store.runs() if r.id == run_id)
        assert run.command == "bulk import"
        assert run.args == {"type": "track", "path": str(path), "skip_invalid": False}
        entries = store.journal(run_id=run_id)
        assert all(e.status is EntryStatus.CONFIRMED for e in entries)
        assert {e.key: e.before for e in entries} == before
        assert {e.key: (e.set_rating, e.after) for e in entries} == {
            301: (True, None),
            302: (False, 8.0),
            304: (True, 2.5),
            307: (True, 9.0),
            308: (False, before[308]),
        }
        originals = store.original_values(run_id=run_id)
    # What `admin undo --run` restores: the value before the import's rating write.
    assert {k: (o.wrote_rating, o.before) for k, o in originals.items()} == {
        301: (True, before[301]),
        302: (False, None),
        304: (True, before[304]),
        307: (True, 10.0),
        308: (False, None),
    }
    assert originals[302].tags_added == (TAG,)


def test_a_hijacked_item_handed_back_is_owned_at_its_new_value(env: Env) -> None:
    assert 305 in env.owned()
    rate_in_plex(env.emulator, 305, 3.0)  # the person changes an inferred rating
    env.cli.ok_json("bulk", "export", "--type", "track")
    path = env.folder / "track_ratings.csv"
    rows = read_rows(path)
    row = next(r for r in rows if r["ratingKey"] == "305")
    assert (row["userRating"], row["ratingType"]) == ("1.5", "manual")
    path.write_text(
        path.read_text(encoding="utf-8").replace("305,Morning Song,The Testers,Live at the Hall,"
                                                 "The Testers,1.5,manual",
                                                 "305,Morning Song,The Testers,Live at the Hall,"
                                                 "The Testers,1.5,inferred"),
        encoding="utf-8",
    )  # fmt: skip
    env.later()
    done = env.cli.ok_json("bulk", "import", "--type", "track", "--apply")
    assert done["stats"]["handed_back"] == 1
    assert env.owned()[305] == 3.0
    # The next run sees plexrate's own value, not a hijack to resolve.
    plan = env.cli.ok_json("run", "--dry-run")
    assert plan["stats"]["hijacks"] == 0


def test_undo_gives_back_the_rating_the_person_handed_over(env: Env) -> None:
    """A manual rating handed to inference is the person's: a full undo restores it, even after
    a run rewrote it, and never leaves the item unrated."""
    before = env.rating(302)
    assert before is not None and 302 not in env.owned()
    path = edited_tracks(env)
    env.later()
    done = env.cli.ok_json("bulk", "import", "--type", "track", "--apply", str(path))
    assert done["stats"]["handed_back"] == 1
    assert 302 in env.owned()
    assert env.cli.invoke("run", "--apply", "--yes", "--quiet").exit_code == 0

    undo = env.cli.ok_json("admin", "undo", "--apply", "--yes")
    assert undo["written"] > 0
    assert env.rating(302) == before
    assert 302 not in env.owned()
    assert TAG not in env.tags(302)


def test_a_dry_run_import_changes_nothing_anywhere(env: Env) -> None:
    path = edited_tracks(env)
    state_bytes = env.state.read_bytes()
    result = env.cli.invoke("bulk", "import", "--type", "track", str(path), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Import" in result.stdout
    assert (
        "Dry run: would rate 2 tracks, clear 1 rating and change only the tags or ownership "
        "of 2 items; nothing was written."
    ) in result.stderr
    assert "ratingType still says 'inferred'" in result.stderr
    assert env.writes() == 0
    assert env.state.read_bytes() == state_bytes


def test_export_will_not_replace_a_file_without_force(env: Env) -> None:
    path = env.write_csv("mine.csv", "precious\n")
    for extra in ([], ["--yes"]):
        result = env.cli.invoke("bulk", "export", "--type", "artist", str(path), *extra)
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"Error: {path} already exists; nothing was exported (pass --force to replace it, "
            "or name another PATH)"
        )
        assert path.read_text() == "precious\n"
    assert env.emulator.stats().requests == 0
    assert env.cli.ok_json("bulk", "export", "--type", "artist", str(path), "--force")["rows"] == 3
    assert path.read_text(encoding="utf-8").startswith("ratingKey,artistName,")


@pytest.mark.parametrize(("answer", "code", "replaced"), [("y", 0, True), ("n", 2, False)])
def test_export_asks_before_replacing_a_file_at_a_terminal(
    env: Env, monkeypatch: pytest.MonkeyPatch, answer: str, code: int, replaced: bool
) -> None:
    monkeypatch.setattr(AppContext, "interactive", property(lambda self: True))
    path = env.write_csv("mine.csv", "precious\n")
    result = env.cli.invoke("bulk", "export", "--type", "artist", str(path), input=f"{answer}\n")
    assert result.exit_code == code, result.stderr
    assert "already exists. Replace it?" in result.stderr
    assert path.read_text(encoding="utf-8").startswith("ratingKey,") is replaced


def test_an_export_interrupted_by_an_error_leaves_no_file(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export_module.export_rows

    def failing(*args: Any, **kw: Any) -> Any:
        for n, row in enumerate(real(*args, **kw)):
            if n == 5:
                raise OSError(28, "No space left on device")
            yield row

    monkeypatch.setattr(export_module, "export_rows", failing)
    result = env.cli.invoke("bulk", "export", "--type", "track")
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == (
        f"Error: cannot write {env.folder / 'track_ratings.csv'}: No space left on device "
        "(nothing was exported; a previous file there is unchanged)"
    )
    assert not [p.name for p in env.folder.iterdir() if "track" in p.name]


def test_semicolon_export_with_a_bom(env: Env) -> None:
    summary = env.cli.ok_json("bulk", "export", "--type", "album", "--delimiter", ";", "--bom")
    assert summary["delimiter"] == ";"
    data = (env.folder / "album_ratings.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8 + b"ratingKey;albumName;sortName;")
    assert b";4,25;inferred\r\n" in data  # 8.5 on Plex's scale, with a decimal comma
    assert env.cli.ok_json("bulk", "import", "--type", "album", "--apply")["planned"] == 0


def test_export_with_progress_bars_on_a_terminal(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("plexrate.cli.progress.wants_progress", lambda *a, **kw: True)
    result = env.cli.invoke("bulk", "export", "--type", "track")
    assert result.exit_code == 0, result.stderr
    assert "Writing tracks" in result.stderr
    assert len(read_rows(env.folder / "track_ratings.csv")) == 10


def test_export_warns_when_the_state_lost_track_of_tagged_items(
    emulator_factory: Any,
    small_library_dict: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracks = small_library_dict["sections"][1]["tracks"]
    tagged = next(t for t in tracks if t["ratingKey"] == 303)
    tagged["moods"] = [TAG]
    emulator = emulator_factory(EmulatorLibrary.from_dict(small_library_dict))
    cli = point_at(emulator, tmp_path, monkeypatch)
    result = cli.invoke("bulk", "export", "--type", "track")
    assert result.exit_code == 0, result.stderr
    assert "Warning: 1 item carries the 'Rating_Inferred' tag but the state does not own it" in (
        " ".join(result.stderr.split())
    )
    row = next(r for r in read_rows(tmp_path / "track_ratings.csv") if r["ratingKey"] == "303")
    assert row["ratingType"] == "manual"


def test_bad_delimiter_is_a_usage_error(env: Env) -> None:
    result = env.cli.invoke("bulk", "export", "--type", "album", "--delimiter", "x")
    assert result.exit_code == 2
    assert "'x' is not one of , ; tab |" in result.stderr


def test_commands_in_a_real_process(env: Env) -> None:
    environment = {"PYTHONIOENCODING": "utf-8"}
    export = env.cli.run(
        "bulk", "export", "--type", "album", "albums.csv", "--json", env=environment, timeout=60
    )
    assert export.exit_code == 0, export.stderr
    assert json.loads(export.stdout)["rows"] == 4
    path = env.folder / "albums.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",3,manual", ",2,manual"))
    env.later()
    imported = env.cli.run(
        "bulk",
        "import",
        "--type",
        "album",
        "albums.csv",
        "--apply",
        "--json",
        env=environment,
        timeout=60,
    )
    assert imported.exit_code == 0, imported.stderr
    document = json.loads(imported.stdout)
    assert (document["command"], document["written"], document["stats"]["rated"]) == (
        "bulk import",
        1,
        1,
    )
    assert env.rating(203) == 4.0
    assert env.emulator.token not in export.stdout + export.stderr + imported.stdout
    assert env.emulator.token not in path.read_text(encoding="utf-8")
