"""docs/scheduling.md's recipes, run as the scheduler would run them, against the emulator.

The cron line and the systemd service's ExecStart are read from the page itself, so the page and
this test cannot drift apart. The home folder is a temporary one laid out as the page's "before
the first scheduled run" leaves it: plexrate in ~/.local/bin, the config in the platform's config
folder, ~/.local/state/plexrate created.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plexrate.emulator import Emulator
from tests.platform.unattended import run_unattended

DOC = Path(__file__).parents[2] / "docs" / "scheduling.md"

pytestmark = pytest.mark.integration


def _block(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, f"no {language} block in {DOC.name}"
    return [line for block in blocks for line in block.splitlines()]


def _cron_command() -> str:
    (line,) = [
        line for line in _block("crontab") if line.strip() and not line.lstrip().startswith("#")
    ]
    fields = line.split(maxsplit=5)
    assert len(fields) == 6, line
    return fields[5]


def _exec_start(home: Path) -> str:
    (line,) = [line for line in _block("ini") if line.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").replace("%h", str(home))


@pytest.fixture
def home(tmp_path: Path, emulator: Emulator) -> Path:
    home = tmp_path / "home"
    bin_folder = home / ".local" / "bin"
    bin_folder.mkdir(parents=True)
    program = Path(sys.executable).with_name("plexrate")
    assert program.exists(), "plexrate's console script is not installed beside this Python"
    (bin_folder / "plexrate").symlink_to(program)
    config = home / ".config" / "plexrate" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(
        json.dumps(
            {
                "PLEX_URL": emulator.url,
                "PLEX_TOKEN": emulator.token,
                "LIBRARY_NAME": emulator.section_title,
                "COOLDOWN_SLEEP": 0,
            }
        ),
        encoding="utf-8",
    )
    (home / ".local" / "state" / "plexrate").mkdir(parents=True)
    return home


def _as_cron(command: str, home: Path) -> subprocess.CompletedProcess[str]:
    # cron's environment: HOME, LOGNAME, SHELL and a minimal PATH; the command runs through
    # /bin/sh in the home folder. Nothing of the test's own environment (XDG_*, PLEXRATE_*).
    env = {"HOME": str(home), "LOGNAME": "plexrate", "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin"}
    return run_unattended(["/bin/sh", "-c", command], cwd=home, env=env, timeout=300)


@pytest.mark.skipif(shutil.which("sh", path="/bin") is None, reason="needs /bin/sh")
def test_the_cron_line_runs_writes_then_has_nothing_left(home: Path) -> None:
    command = _cron_command()
    assert "--apply --yes --json" in command

    first = _as_cron(command, home)
    assert first.returncode == 0, first.stderr
    second = _as_cron(command, home)
    assert second.returncode == 0, second.stderr

    runs = home / ".local" / "state" / "plexrate" / "runs.jsonl"
    summaries = [json.loads(line) for line in runs.read_text(encoding="utf-8").splitlines()]
    assert [s["status"] for s in summaries] == ["completed", "completed"]
    assert summaries[0]["written"] > 0
    assert summaries[1]["written"] == 0
    # The platform's folders, found from HOME alone: the state in the data folder, the log
    # folder made; nothing went wrong, so the log holds nothing.
    assert (home / ".local" / "share" / "plexrate" / "plexrate_state.sqlite").is_file()
    log = home / ".local" / "state" / "plexrate" / "log" / "plexrate.log"
    assert not log.exists() or log.read_text(encoding="utf-8") == ""
    assert sorted(p.name for p in home.iterdir()) == [".config", ".local"]


def test_the_systemd_service_command_runs(home: Path) -> None:
    command = _exec_start(home)
    done = run_unattended(
        command.split(),
        cwd="/",  # a user service starts in the root folder unless told otherwise
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "completed"
    assert summary["written"] > 0


def test_a_failing_scheduled_run_leaves_its_error_in_the_log(home: Path) -> None:
    config = home / ".config" / "plexrate" / "config.json"
    document = json.loads(config.read_text(encoding="utf-8"))
    token = document["PLEX_TOKEN"]
    config.write_text(json.dumps({**document, "PLEX_TOKEN": "not-" + token}), encoding="utf-8")
    done = _as_cron(_cron_command(), home)
    assert done.returncode == 4, done.stderr
    log = (home / ".local" / "state" / "plexrate" / "log" / "plexrate.log").read_text(
        encoding="utf-8"
    )
    (line,) = log.splitlines()
    assert " ERROR plexrate run: " in line
    assert "not-" + token not in line and token not in line
