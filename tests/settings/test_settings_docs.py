"""config.example.json and docs/settings.md list exactly the settings the model has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plexrate.settings import (
    PLACEHOLDER_TOKEN,
    PLACEHOLDER_URL,
    Settings,
    example_config,
    load_settings,
    setting_keys,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.json"
DOCS = ROOT / "docs" / "settings.md"
ROW = re.compile(
    r"^\| `(?P<key>[A-Z_.]+)` \| `(?P<env>[A-Z_]+)` \| `(?P<default>[^`]*)` \| (?P<effect>.+) \|$"
)


def doc_rows() -> dict[str, re.Match[str]]:
    rows = [ROW.match(line) for line in DOCS.read_text(encoding="utf-8").splitlines()]
    return {row["key"]: row for row in rows if row}


def test_every_setting_is_in_the_example_with_its_default() -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for key in setting_keys():
        node = example
        for part in key.file_key.split("."):
            assert part in node, f"{key.file_key} is missing from config.example.json"
            node = node[part]
        if key.path == "plex_url":
            assert node == PLACEHOLDER_URL
        elif key.path == "plex_token":
            assert node == PLACEHOLDER_TOKEN
        else:
            assert node == key.default, key.file_key


def test_the_example_is_what_config_init_writes() -> None:
    assert json.loads(EXAMPLE.read_text(encoding="utf-8")) == example_config()


def test_the_example_loads_as_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_settings(config_path=EXAMPLE, environ={})
    assert loaded.warnings == []
    expected = Settings(plex_url=PLACEHOLDER_URL, plex_token=PLACEHOLDER_TOKEN)
    # Paths differ by design (beside the example rather than the working directory).
    paths = {name for name, info in Settings.model_fields.items() if info.annotation is Path}
    paths.add("log_file")  # the platform's log folder, not beside the example
    assert loaded.settings.model_dump(exclude=paths) == expected.model_dump(exclude=paths)
    assert loaded.settings.state_path == ROOT / "plexrate_state.sqlite"


def test_every_setting_is_documented_with_its_variable_and_default() -> None:
    rows = doc_rows()
    for key in setting_keys():
        assert key.file_key in rows, f"{key.file_key} has no row in docs/settings.md"
        row = rows[key.file_key]
        assert row["env"] == key.env_var
        assert row["default"] == json.dumps(key.default, ensure_ascii=False), key.file_key
        assert len(row["effect"]) > 20


def test_the_docs_describe_no_setting_that_does_not_exist() -> None:
    assert set(doc_rows()) == {key.file_key for key in setting_keys()}
