"""Hypothesis fuzz of the settings loader: every config file or environment gives a valid
``Settings`` or a ``ConfigError`` naming the key, never a traceback; the token is never echoed.

The inputs are what a hand-edited or damaged config.json holds: arbitrary JSON values for each
key (wrong types, huge and non-finite numbers, nested garbage), unknown keys, bytes that are not
JSON at all, and the same values through ``PLEXRATE_*`` variables. A few go through the real CLI.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import plexrate.redact as redact_module
from plexrate.cli.app import app
from plexrate.errors import ConfigError, ExitCode
from plexrate.settings import (
    SettingKey,
    Settings,
    load_settings,
    public_config,
    setting_keys,
)
from tests.reliability.reliability_helpers import TOKEN

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GOOD = {"PLEX_URL": "http://192.168.1.20:32400", "PLEX_TOKEN": TOKEN}
LEAVES = [key for key in setting_keys() if key.file_key not in GOOD]

# JSON has no literal for these; json.loads reads the first three, the rest are numbers Python
# cannot hold as int (more than 4,300 digits) or float, and nesting deeper than its recursion.
RAW_LITERALS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1" + "0" * 5000,
    "-" + "9" * 4400,
    "4.5e-400",
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # NaN and ±Infinity included: json.dumps writes them as such literals
    st.text(max_size=12),
    st.sampled_from(["", " ", "auto", "3", "1e3", "~nobody-such-user/x", "a,b", "\x00", TOKEN]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


@contextmanager
def fresh_redaction() -> Iterator[None]:
    """Run with no secret registered yet, as in a new process.

    The redaction registry is global: once one example registered the token, every later message
    would be redacted whether or not the loader registers it in time. Each example must prove it
    on its own.
    """
    saved = set(redact_module._secrets)
    redact_module._secrets.clear()
    try:
        yield
    finally:
        redact_module._secrets.clear()
        redact_module._secrets.update(saved)


def nest(file_key: str, value: Any) -> dict[str, Any]:
    """``"TWIN_LOGIC.ENABLED", v`` → ``{"TWIN_LOGIC": {"ENABLED": v}}``."""
    *parents, leaf = file_key.split(".")
    document: dict[str, Any] = {leaf: value}
    for parent in reversed(parents):
        document = {parent: document}
    return document


def load(path: Path, environ: dict[str, str] | None = None) -> Settings | ConfigError:
    with fresh_redaction():
        try:
            return load_settings(config_path=path, environ=environ or {}).settings
        except ConfigError as exc:
            return exc


def check_valid(loaded: Settings) -> None:
    """A valid Settings is usable: finite numbers, printable, convertible for the engine."""
    shown = public_config(loaded)
    json.dumps(shown, allow_nan=False)  # raises on NaN or ±Infinity anywhere
    assert shown["PLEX_TOKEN"] == "***"
    loaded.engine_config()
    for key in setting_keys():
        value = loaded.value_at(key.path)
        if isinstance(value, float):
            assert math.isfinite(value), (key.file_key, value)


def check_error(error: ConfigError, *names: str) -> str:
    message = str(error)
    assert error.exit_code == ExitCode.CONFIG
    assert TOKEN not in message
    assert any(name in message for name in names), (names, message)
    return message


@FUZZ
@given(st.sampled_from(LEAVES), json_values, st.booleans())
def test_any_value_for_any_key(
    tmp_path: Path, key: SettingKey, value: Any, token_twice: bool
) -> None:
    # token_twice: the person also pasted the token into the wrong key.
    document = {**GOOD, **nest(key.file_key, TOKEN if token_twice else value)}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load(path)
    if isinstance(loaded, ConfigError):
        check_error(loaded, key.file_key)
    else:
        check_valid(loaded)


@FUZZ
@given(st.sampled_from(LEAVES), st.sampled_from(RAW_LITERALS))
def test_numbers_json_cannot_hold_and_deep_nesting(
    tmp_path: Path, key: SettingKey, literal: str
) -> None:
    path = tmp_path / "config.json"
    text = json.dumps({**GOOD, **nest(key.file_key, "@")}).replace('"@"', literal)
    path.write_text(text, encoding="utf-8")
    loaded = load(path)
    if isinstance(loaded, ConfigError):
        check_error(loaded, key.file_key, str(path))
    else:
        check_valid(loaded)


top_level = sorted({key.file_key.split(".")[0] for key in setting_keys()})


@FUZZ
@given(
    st.dictionaries(
        st.one_of(
            st.sampled_from([k for k in top_level if k not in GOOD] + ["version"]),
            st.text(max_size=10),
        ),
        json_values,
        max_size=6,
    )
)
def test_any_document(tmp_path: Path, document: dict[str, Any]) -> None:
    """Sections replaced by garbage, unknown keys, keys in any spelling: errors name a key."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**document, **GOOD}), encoding="utf-8")
    loaded = load(path)
    if isinstance(loaded, ConfigError):
        check_error(loaded, *document)
    else:
        check_valid(loaded)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(data)
    loaded = load(path)
    if isinstance(loaded, ConfigError):
        check_error(loaded, str(path))
    else:
        check_valid(loaded)


@FUZZ
@given(st.sampled_from(LEAVES), st.text(max_size=30) | st.sampled_from(RAW_LITERALS[:7]))
def test_any_environment_value(tmp_path: Path, key: SettingKey, value: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    if "\x00" in value:
        value = value.replace("\x00", "")  # an environment variable cannot hold NUL
    loaded = load(path, {key.env_var: value})
    if isinstance(loaded, ConfigError):
        check_error(loaded, key.env_var)
    else:
        check_valid(loaded)


# ------------------------------------------------------------------------------ through the CLI
CLI_CASES = {
    "infinite-timeout": '{"PLEX_URL": "http://127.0.0.1:9", "TIMEOUT": Infinity}',
    "nan-gravity": '{"ALBUM_INHERITANCE_GRAVITY": NaN}',
    "huge-batch": '{"COOLDOWN_BATCH": 1' + "0" * 5000 + "}",
    "deep-nesting": '{"TWIN_LOGIC": ' + "[" * 5000 + "]" * 5000 + "}",
    "unknown-user-home": '{"STATE_PATH": "~nobody-such-user/state.sqlite"}',
    "garbage": "\x00\x01\xff\xfe garbage",
    "section-as-list": '{"UPWARD_EXCLUSION_RULES": [1, 2, {"KEYWORDS": null}]}',
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_bad_configs_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.json"
    text = CLI_CASES[case]
    if text.startswith("{"):
        text = text[:-1] + f', "PLEX_TOKEN": "{TOKEN}"}}'
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    runner = CliRunner()
    for args in (["run", "--dry-run"], ["config", "show", "--json"]):
        result = runner.invoke(app, [*args, "--config", str(path)])
        assert result.exit_code == ExitCode.CONFIG, (args, result.stderr)
        if "--json" in args:
            # Under --json the error is also the one document on stdout (issue 19).
            document = json.loads(result.stdout)
            assert document["exit_code"] == ExitCode.CONFIG
            assert document["error"].split("\n")[0] in result.stderr
            assert TOKEN not in result.stdout
        else:
            assert result.stdout == ""
        assert "Traceback" not in result.stderr
        assert TOKEN not in result.stderr
        assert result.stderr.startswith("Error: ")


@pytest.mark.parametrize(
    ("text", "bullet"),
    [
        ('{"TIMEOUT": Infinity}', "• TIMEOUT: Infinity is not a finite number — set a number > 0"),
        ('{"CONFIDENCE_C": NaN}', "• CONFIDENCE_C: NaN is not a finite number — set a number ≥ 0"),
        ('{"COOLDOWN_SLEEP": 1e999}', "• COOLDOWN_SLEEP: Infinity is not a finite number"),
        ('{"RETRIES": 1' + "0" * 5000 + "}", "• RETRIES: Infinity is not a finite number"),
        (
            '{"STATE_PATH": "~nobody-such-user/s.sqlite"}',
            "• STATE_PATH: starts with ~ but names no user whose home folder is known",
        ),
        (
            # The 33rd opening bracket: the object is 1 deep, its first list 2 (column 16).
            '{"TWIN_LOGIC": ' + "[" * 5000 + "]" * 5000 + "}",
            "• line 1, column 47: lists or objects are nested more than 32 deep",
        ),
    ],
    ids=["infinity", "nan", "overflow", "digits", "home", "nesting"],
)
def test_what_json_allows_but_no_setting_takes(tmp_path: Path, text: str, bullet: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    loaded = load(path, {"PLEXRATE_PLEX_TOKEN": TOKEN})
    assert isinstance(loaded, ConfigError)
    assert bullet in str(loaded).splitlines()[1]


@pytest.mark.parametrize("depth", [33, 200, 5000])
def test_deep_nesting_is_placed_by_line_and_column(tmp_path: Path, depth: int) -> None:
    """Python 3.11 raised RecursionError at a few thousand levels, 3.13 reads them and pydantic
    then failed; either way the person gets the place, not the interpreter's limit."""
    path = tmp_path / "config.json"
    path.write_text(
        '{\n  "DRY_RUN": true,\n  "TWIN_LOGIC": {"EXCLUDE_KEYWORDS": '
        + "[" * depth
        + "]" * depth
        + "}\n}",
        encoding="utf-8",
    )
    loaded = load(path, {"PLEXRATE_PLEX_TOKEN": TOKEN})
    assert isinstance(loaded, ConfigError)
    # Line 3: the object after "TWIN_LOGIC" is depth 2 (column 17), the list after
    # "EXCLUDE_KEYWORDS" depth 3 (column 38), so depth 33 opens at column 68.
    assert "• line 3, column 68: lists or objects are nested more than 32 deep" in str(loaded)


def test_thirty_two_levels_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(
        '{"TWIN_LOGIC": {"EXCLUDE_KEYWORDS": ' + "[" * 30 + "]" * 30 + "}}", encoding="utf-8"
    )
    loaded = load(path, {"PLEXRATE_PLEX_TOKEN": TOKEN})
    # 32 deep passes the nesting check and reaches the key's own validation.
    assert isinstance(loaded, ConfigError)
    assert "nested more than" not in str(loaded)
    assert "TWIN_LOGIC.EXCLUDE_KEYWORDS" in str(loaded)


def test_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**GOOD, "LIBRARY_NAME": "[" * 100 + '\\"{' * 50}), encoding="utf-8")
    loaded = load(path)
    assert not isinstance(loaded, ConfigError), loaded
    assert loaded.library_name.startswith("[" * 100)


def test_deep_nesting_in_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    loaded = load(path, {"PLEXRATE_TWIN_LOGIC": "[" * 5000 + "]" * 5000})
    assert isinstance(loaded, ConfigError)
    assert "• PLEXRATE_TWIN_LOGIC: lists or objects are nested more than 32 deep" in str(loaded)


def test_infinity_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}", encoding="utf-8")
    loaded = load(path, {"PLEXRATE_COOLDOWN_SLEEP": "inf"})
    assert isinstance(loaded, ConfigError)
    assert "• PLEXRATE_COOLDOWN_SLEEP: " in str(loaded)
    assert "not a finite number" in str(loaded)
