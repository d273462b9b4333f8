"""docs/reports.md cannot drift: its examples are what the commands print for its library."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from plexrate.emulator import Emulator, EmulatorLibrary
from tests.reports.report_schemas import check_document
from tests.support.cli import PlexrateCli, plexrate_in

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "reports.md"
BLOCK = re.compile(r"<!-- (json|text):(\w+) -->\n```\w+\n(.*?)\n```", re.DOTALL)
REPORTS = ("coverage", "histogram", "twins", "dissenters")


def examples() -> dict[tuple[str, str], str]:
    return {(kind, name): body for kind, name, body in BLOCK.findall(PAGE.read_text("utf-8"))}


@pytest.fixture
def served(
    emulator_factory: Callable[..., Emulator],
    small_library: EmulatorLibrary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> PlexrateCli:
    return plexrate_in(
        tmp_path,
        emulator_factory(small_library),
        monkeypatch,
        env={"NO_COLOR": "1", "COLUMNS": "100"},
    )


def test_the_page_has_a_json_and_a_text_example_for_every_report() -> None:
    assert set(examples()) == {(kind, name) for kind in ("json", "text") for name in REPORTS}


@pytest.mark.parametrize("name", REPORTS)
def test_examples_are_the_commands_output(served: PlexrateCli, name: str) -> None:
    blocks = examples()

    documented = json.loads(blocks[("json", name)])
    check_document(documented)
    result = served.invoke("report", name, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == documented

    result = served.invoke("report", name)
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.stdout.strip("\n").splitlines()]
    assert printed == [line.rstrip() for line in blocks[("text", name)].splitlines()]


def test_the_index_links_the_page() -> None:
    assert "(reports.md)" in (DOCS / "index.md").read_text("utf-8")
