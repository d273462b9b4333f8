"""``update_config``: only the named keys change, in the file's own spelling and layout."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from plexrate.configedit import update_config
from plexrate.errors import ConfigError
from plexrate.settings import load_settings

NOW = datetime(2024, 6, 1, 12, 30, 5)
OLD_TOOL_FILE = """{
  "version": "plexrate-1",
  "PLEX_URL": "http://192.168.1.20:32400",
  "PLEX_TOKEN": "tok-Quartz-Heron-8841",
  "LIBRARY_NAME": "Music",
  "CONFIDENCE_C": 3.0,
  "track_inheritance_gravity": 0.3,
  "TWIN_LOGIC": {"ENABLED": true, "EXCLUDE_KEYWORDS": ["live", "démo"]},
  "DRY_RUN": true
}
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_changed_values_keep_the_files_spelling_layout_and_mode(tmp_path: Path) -> None:
    path = write(tmp_path, OLD_TOOL_FILE)

    update = update_config(
        path,
        {
            "confidence_c": 1.0,
            "track_inheritance_gravity": 0.0,
            "bias_critic": -2.0,
            "artist_evidence": "manual",
        },
        now=NOW,
    )

    text = path.read_text(encoding="utf-8")
    # Existing keys change in place; missing ones are added in the old UPPERCASE spelling.
    assert text == OLD_TOOL_FILE.replace('"CONFIDENCE_C": 3.0', '"CONFIDENCE_C": 1.0').replace(
        '"track_inheritance_gravity": 0.3', '"track_inheritance_gravity": 0.0'
    ).replace(
        '"DRY_RUN": true\n}',
        '"DRY_RUN": true,\n  "BIAS_CRITIC": -2.0,\n  "ARTIST_EVIDENCE": "manual"\n}',
    )
    assert update.keys == (
        "CONFIDENCE_C",
        "track_inheritance_gravity",
        "BIAS_CRITIC",
        "ARTIST_EVIDENCE",
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(config_path=path, environ={}).settings
    assert settings.confidence_c == 1.0
    assert settings.track_inheritance_gravity == 0.0
    assert settings.bias_critic == -2.0
    assert settings.artist_evidence.value == "manual"
    assert settings.twin_logic.exclude_keywords == ("live", "démo")
    assert settings.plex_token is not None
    assert settings.plex_token.get_secret_value() == "tok-Quartz-Heron-8841"


def test_a_timestamped_backup_holds_the_old_file(tmp_path: Path) -> None:
    path = write(tmp_path, OLD_TOOL_FILE)

    first = update_config(path, {"confidence_c": 1.0}, now=NOW)
    second = update_config(path, {"confidence_c": 2.0}, now=NOW)

    assert first.backup == tmp_path / "config.json.20240601-123005.bak"
    assert second.backup == tmp_path / "config.json.20240601-123005-1.bak"
    assert first.backup.read_text(encoding="utf-8") == OLD_TOOL_FILE
    assert json.loads(second.backup.read_text(encoding="utf-8"))["CONFIDENCE_C"] == 1.0
    assert json.loads(path.read_text(encoding="utf-8"))["CONFIDENCE_C"] == 2.0
    # The backup holds the token too: it keeps the file's owner-only mode.
    assert stat.S_IMODE(first.backup.stat().st_mode) == 0o600


def test_a_one_line_file_stays_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{"PLEX_URL": "http://h:32400", "confidence_c": 3}', mode=0o644)

    update_config(path, {"confidence_c": 0.5, "album_inheritance_gravity": 1.0}, now=NOW)

    assert path.read_text(encoding="utf-8") == (
        '{"PLEX_URL": "http://h:32400", "confidence_c": 0.5, "ALBUM_INHERITANCE_GRAVITY": 1.0}'
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_an_empty_object_gets_its_first_key(tmp_path: Path) -> None:
    path = write(tmp_path, "{\n}\n")

    update_config(path, {"confidence_c": 0.5}, now=NOW)

    assert json.loads(path.read_text(encoding="utf-8")) == {"CONFIDENCE_C": 0.5}


def test_an_ambiguous_layout_is_rewritten_whole_with_the_same_content(tmp_path: Path) -> None:
    # The key also appears inside a string value, so an in-place edit would be unsafe.
    text = '{\n    "CONFIDENCE_C": 3.0,\n    "INFERRED_TAG": "\\"CONFIDENCE_C\\": 3.0"\n}\n'
    path = write(tmp_path, text)

    update_config(path, {"confidence_c": 1.5}, now=NOW)

    assert json.loads(path.read_text(encoding="utf-8")) == {
        "CONFIDENCE_C": 1.5,
        "INFERRED_TAG": '"CONFIDENCE_C": 3.0',
    }
    assert path.read_text(encoding="utf-8").startswith('{\n    "CONFIDENCE_C": 1.5,')


def test_a_result_that_does_not_load_is_rolled_back(tmp_path: Path) -> None:
    path = write(tmp_path, OLD_TOOL_FILE)

    with pytest.raises(ConfigError, match="did not load, so the original was put back"):
        update_config(path, {"album_inheritance_gravity": 1.5}, now=NOW)

    assert path.read_text(encoding="utf-8") == OLD_TOOL_FILE
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config.json",
        "config.json.20240601-123005.bak",
    ]


def test_a_file_that_is_not_a_json_object_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[1, 2]")

    with pytest.raises(ConfigError, match="not a plexrate config"):
        update_config(path, {"confidence_c": 1.0}, now=NOW)
    assert path.read_text(encoding="utf-8") == "[1, 2]"
