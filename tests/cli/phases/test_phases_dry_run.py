"""Dry runs of ``run`` and the phase commands: nothing written anywhere, the whole plan shown.

Invariant 3 (a dry run sends zero write requests and leaves the StateStore unchanged) and
invariant 7 (the same library and settings give the same plan), through the real CLI.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.e2e_support import TAG
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]

COMMANDS = ("run", "up-albums", "up-artists", "down-albums", "down-tracks", "twins")
PHASE_OF = {
    "up-albums": "album-up",
    "up-artists": "artist-up",
    "down-albums": "album-down",
    "down-tracks": "track-down",
    "twins": "twins",
}


@pytest.mark.parametrize("flag", [None, "--dry-run"])
def test_a_dry_run_writes_nothing_and_creates_no_state(cli: PlexrateCli, flag: str | None) -> None:
    args = ["run"] if flag is None else ["run", flag]  # DRY_RUN defaults to true

    result = cli.invoke(*args)

    assert result.exit_code == 0, result.output
    assert cli.emulator.stats().writes == 0
    assert cli.state_files() == {}
    assert "nothing was written" in result.stderr
    assert "Dry run: would rate" in result.stderr


def test_a_dry_run_after_a_real_one_leaves_the_state_file_as_it_was(cli: PlexrateCli) -> None:
    cli.ok_json("up-albums", "--apply")
    files = cli.state_files()
    assert "plexrate_state.sqlite" in files
    cli.emulator.reset_stats()

    for command in COMMANDS:
        result = cli.invoke(command, "--dry-run")
        assert result.exit_code == 0, result.output

    assert cli.emulator.stats().writes == 0
    after = cli.state_files()
    # SQLite's read-only WAL readers leave an empty -wal and a -shm index beside the file (the
    # next writer removes them); the database itself and plexrate's files are byte-identical.
    sidecars = {name: after.pop(name) for name in list(after) if name.endswith(("-wal", "-shm"))}
    assert after == files
    assert sidecars.get("plexrate_state.sqlite-wal", b"") == b""


def test_dry_run_true_in_the_settings_is_the_default_and_apply_overrides_it(
    cli: PlexrateCli,
) -> None:
    cli.ok_json("up-albums", env={"PLEXRATE_DRY_RUN": "true"})
    assert cli.emulator.stats().writes == 0

    cli.ok_json("up-albums", "--dry-run", env={"PLEXRATE_DRY_RUN": "false"})
    assert cli.emulator.stats().writes == 0

    document = cli.ok_json("up-albums", env={"PLEXRATE_DRY_RUN": "false"})
    assert document["dry_run"] is False
    assert document["written"] > 0
    assert cli.emulator.stats().writes == document["write_requests"] > 0


def test_json_is_one_document_with_the_whole_plan(cli: PlexrateCli) -> None:
    result = cli.invoke("run", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # the whole of stdout is one document
    assert document["dry_run"] is True
    assert document["command"] == "run"
    assert document["library"] == {
        "title": "Music",
        "uuid": cli.emulator.section_uuid,
    }
    assert "0-10" in document["scale"]
    changes = document["changes"]
    stats = document["stats"]
    assert len(changes) == stats["changes"] > 100
    assert sum(n for per in document["counts"].values() for n in per.values()) == len(changes)
    assert list(document["counts"]) == [
        "album-up",
        "artist-up",
        "album-down",
        "track-down",
        "twins",
    ]
    for phase, per_type in document["counts"].items():
        for item_type, n in per_type.items():
            assert stats[f"changes.{phase}.{item_type}"] == n
            assert n == sum(1 for c in changes if c["phase"] == phase and c["type"] == item_type)
    # Every item is planned once: a full run writes each item at most once.
    assert len({c["key"] for c in changes}) == len(changes)
    library = cli.emulator.library
    for change in changes:
        assert 0 < change["after"] <= 10
        assert change["before"] is None  # a fresh library: plexrate only fills unrated items
        assert library.rating(change["key"]) is None
        assert change["add_tags"] == [TAG]
        assert change["own"] is True
        assert change["twin"] is (change["phase"] == "twins")
        assert change["title"] and change["reason"]
    assert result.stderr == ""  # --json: no progress, no summary


@pytest.mark.parametrize("command", COMMANDS[1:])
def test_a_phase_command_plans_only_its_phase(cli: PlexrateCli, command: str) -> None:
    document = cli.ok_json(command)

    assert document["command"] == command
    assert set(document["counts"]) == {PHASE_OF[command]}
    assert {c["phase"] for c in document["changes"]} == {PHASE_OF[command]}


def test_the_human_dry_run_shows_counts_per_phase_and_type_and_a_sample(cli: PlexrateCli) -> None:
    document = cli.ok_json("run")
    counts = document["counts"]

    result = cli.invoke("run", "--sample", "2")

    assert result.exit_code == 0, result.output
    counts_part, sample_part = result.stdout.split("Sample of changes")
    assert "What this dry run covers" in counts_part
    rows = {
        cells[0]: cells[1:]
        for line in counts_part.replace("┃", "│").splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 5
    }
    assert rows.pop("Phase") == ["Artists", "Albums", "Tracks", "Total"]
    shown = {
        "Album up": ("album-up", 1),
        "Artist up": ("artist-up", 0),
        "Album down": ("album-down", 1),
        "Track down": ("track-down", 2),
        "Twins": ("twins", 2),
    }
    for label, (phase, column) in shown.items():
        per_type = counts[phase]
        total = sum(per_type.values())
        assert rows[label][column] == f"{total:,}", (label, rows[label])
        assert rows[label][3] == f"{total:,}"
    # The sample: two changes per phase, with stars before and after and the reason.
    sample = [line for line in sample_part.splitlines() if "★" in line]
    assert len(sample) == 2 * len(counts)
    first = document["changes"][0]
    assert any(
        first["title"] in line and _stars(first["after"]) in line and "—" in line for line in sample
    )
    assert set(rows) == set(shown)
    assert "Dry run: would rate" in result.stderr
    assert "★" not in result.stderr  # the tables are data: stdout only


def _stars(value: float) -> str:
    return f"{value / 2:.2f}".rstrip("0").rstrip(".") + "★"


def test_sample_zero_shows_only_the_counts(cli: PlexrateCli) -> None:
    result = cli.invoke("run", "--sample", "0")

    assert result.exit_code == 0, result.output
    assert "What this dry run covers" in result.stdout
    assert "Sample of changes" not in result.stdout
    assert "★" not in result.stdout


def _plan_part(stdout: str) -> str:
    """The document without ``read``: that one reports how this process read the library (its
    time, its requests, whether a cached copy served), not the plan."""
    doc = json.loads(stdout)
    assert doc["read"]["requests"] > 0
    del doc["read"]
    return json.dumps(doc)


def test_two_dry_runs_give_the_same_json(cli: PlexrateCli) -> None:
    first = cli.invoke("run", "--json")
    second = cli.invoke("run", "--json")

    assert first.exit_code == second.exit_code == 0
    assert _plan_part(first.stdout) == _plan_part(second.stdout)


@pytest.mark.slow
def test_the_plan_does_not_depend_on_the_process(cli: PlexrateCli) -> None:
    """Two processes with different string hashing (set and dict orders) plan identically."""
    one, two = cli.run_all(
        (["run", "--json"], {"PYTHONHASHSEED": "1"}),
        (["run", "--json"], {"PYTHONHASHSEED": "2"}),
    )

    assert one.exit_code == two.exit_code == 0, one.stderr + two.stderr
    assert _plan_part(one.stdout) == _plan_part(two.stdout)
    assert _plan_part(cli.invoke("run", "--json").stdout) == _plan_part(one.stdout)
    assert json.loads(one.stdout)["changes"]


@pytest.mark.slow
def test_each_command_runs_as_a_real_process(cli: PlexrateCli) -> None:
    done = cli.run_all(*(([command, "--json"], None) for command in COMMANDS))

    for command, proc in zip(COMMANDS, done, strict=True):
        assert proc.exit_code == 0, proc.stderr
        document: dict[str, Any] = json.loads(proc.stdout)
        assert document["command"] == command
        assert document["changes"]
        assert cli.token not in proc.stdout + proc.stderr
    assert cli.emulator.stats().writes == 0
    assert cli.state_files() == {}


def test_a_dry_run_says_how_many_values_rest_on_no_rating_of_yours(cli: PlexrateCli) -> None:
    document = cli.ok_json("run", "--dry-run")
    stats = document["stats"]
    guessed = {t: stats[f"no_evidence.{t}"] for t in ("artist", "album", "track")}
    assert stats["no_evidence"] == sum(guessed.values()) > 0

    result = cli.invoke("run", "--dry-run")

    assert result.exit_code == 0, result.output
    text = " ".join(result.stderr.split())
    assert "rest on no rating of yours" in text
    assert f"{guessed['track']:,} tracks" in text
    assert "FILL_WITHOUT_EVIDENCE=false leaves them unrated" in text
