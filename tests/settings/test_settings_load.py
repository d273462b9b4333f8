"""Loading settings: the old config.json unchanged, layer precedence, discovery, paths, mapping."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from plexrate.engine.config import ArtistEvidence, EngineConfig, InferenceModel, KeywordMatch
from plexrate.errors import ConfigError, ExitCode
from plexrate.settings import (
    CONFIG_VERSION,
    PLACEHOLDER_TOKEN,
    RatingWriteMode,
    Settings,
    load_settings,
    setting_keys,
)

TOKEN = "tok-Zebra-Quartz-4417"

# Every key the old tool knows, with values that are unusual but valid.
OLD_CONFIG: dict[str, Any] = {
    "version": "3.1",
    "PLEX_URL": "https://plex.example.org:443/",
    "PLEX_TOKEN": TOKEN,
    "LIBRARY_NAME": "Musique Classique",
    "CONFIDENCE_C": 0,
    "BIAS_CRITIC": -2.5,
    "WEIGHT_CRITIC": 0,
    "WEIGHT_GLOBAL": 2,
    "DRY_RUN": False,
    "INFERRED_TAG": "",
    "DYNAMIC_PRECISION": False,
    "COOLDOWN_BATCH": 1,
    "COOLDOWN_SLEEP": 0.5,
    "ALBUM_INHERITANCE_GRAVITY": 0,
    "TRACK_INHERITANCE_GRAVITY": 1,
    "BULK_ARTIST_FILENAME": "./exports/artists.csv",
    "BULK_ALBUM_FILENAME": "/srv/csv/albums.csv",
    "BULK_TRACK_FILENAME": "tracks.csv",
    "TWIN_LOGIC": {
        "ENABLED": False,
        "DURATION_TOLERANCE_SEC": 0,
        "EXCLUDE_KEYWORDS": [],
        "EXCLUDE_PARENTHESES": False,
        "EXCLUDE_LIVE_ALBUMS": False,
        "TWIN_TAG": "Twin",
    },
    "UPWARD_EXCLUSION_RULES": {
        "ENABLED": False,
        "MIN_DURATION_SEC": 0,
        "KEYWORDS": ["Bonus Track", "hidden"],
        "CASE_SENSITIVE": True,
    },
}


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Discovery falls back to ./config.json; a developer's own file must not leak in.
    monkeypatch.chdir(tmp_path)


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_the_old_tools_config_loads_unchanged(tmp_path: Path) -> None:
    config = write(tmp_path / "old" / "config.json", OLD_CONFIG)
    before = config.read_bytes()

    loaded = load_settings(config_path=config, environ={})
    s = loaded.settings

    assert config.read_bytes() == before
    assert s.plex_url == "https://plex.example.org:443"
    assert s.plex_token is not None and s.plex_token.get_secret_value() == TOKEN
    assert s.library_name == "Musique Classique"
    assert (s.confidence_c, s.bias_critic, s.weight_critic, s.weight_global) == (0, -2.5, 0, 2)
    assert s.dry_run is False
    assert s.inferred_tag == ""
    assert s.dynamic_precision is False
    assert (s.cooldown_batch, s.cooldown_sleep) == (1, 0.5)
    assert (s.album_inheritance_gravity, s.track_inheritance_gravity) == (0, 1)
    assert s.bulk_artist_filename == tmp_path / "old" / "exports" / "artists.csv"
    assert s.bulk_album_filename == Path("/srv/csv/albums.csv")
    assert s.bulk_track_filename == tmp_path / "old" / "tracks.csv"
    twins = s.twin_logic
    assert twins.enabled is False
    assert twins.duration_tolerance_sec == 0
    assert twins.exclude_keywords == ()
    assert twins.exclude_parentheses is False
    assert twins.exclude_live_albums is False
    assert twins.twin_tag == "Twin"
    filler = s.upward_exclusion_rules
    assert filler.enabled is False
    assert filler.min_duration_sec == 0
    assert filler.keywords == ("Bonus Track", "hidden")
    assert filler.case_sensitive is True
    # The keys the old file lacks take plexrate's defaults, beside the config file.
    assert s.state_path == tmp_path / "old" / "plexrate_state.sqlite"
    assert s.legacy_state_path == tmp_path / "old" / "plex_state.json"
    assert s.rating_write_mode is RatingWriteMode.AUTO
    assert loaded.config_path == config
    assert {loaded.sources[k] for k in ("plex_url", "twin_logic.twin_tag")} == {"file"}
    assert loaded.sources["state_path"] == "default"


def test_snake_case_keys_are_accepted_too(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.json",
        {"library_name": "Jazz", "twin_logic": {"enabled": False}, "RETRIES": 0},
    )
    s = load_settings(config_path=config, environ={}).settings
    assert (s.library_name, s.twin_logic.enabled, s.retries) == ("Jazz", False, 0)


def test_no_config_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_settings(environ={})
    assert loaded.config_path is None
    # The log file's default is the platform's log folder, which only load_settings knows.
    assert loaded.settings.model_copy(update={"log_file": None}) == Settings()
    assert loaded.settings.log_file is not None
    assert loaded.settings.log_file.name == "plexrate.log"
    assert set(loaded.sources.values()) == {"default"}
    assert loaded.settings.state_path == tmp_path.resolve() / "plexrate_state.sqlite"
    assert loaded.warnings == []


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "config.json", {"LIBRARY_NAME": "cwd"})
    named_by_env = write(tmp_path / "env.json", {"LIBRARY_NAME": "env"})
    explicit = write(tmp_path / "explicit.json", {"LIBRARY_NAME": "explicit"})
    env = {"PLEXRATE_CONFIG": str(named_by_env)}

    assert load_settings(environ={}).settings.library_name == "cwd"
    assert load_settings(environ=env).settings.library_name == "env"
    assert load_settings(config_path=explicit, environ=env).settings.library_name == "explicit"


@pytest.mark.parametrize("named_by", ["argument", "environment"])
def test_a_named_config_that_does_not_exist_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named_by: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "config.json", {})  # present, but a named file wins and is missing
    missing = tmp_path / "nope" / "config.json"
    with pytest.raises(ConfigError) as caught:
        if named_by == "argument":
            load_settings(config_path=missing, environ={})
        else:
            load_settings(environ={"PLEXRATE_CONFIG": str(missing)})
    assert str(missing) in str(caught.value)
    assert "does not exist" in str(caught.value)
    assert "plexrate config init" in str(caught.value)
    assert caught.value.exit_code == ExitCode.CONFIG


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.json",
        {
            "LIBRARY_NAME": "FileLib",
            "DRY_RUN": True,
            "CONFIDENCE_C": 4,
            "TWIN_LOGIC": {"ENABLED": False, "DURATION_TOLERANCE_SEC": 9},
        },
    )
    env = {
        "PLEXRATE_LIBRARY_NAME": "EnvLib",
        "PLEXRATE_DRY_RUN": "false",
        "PLEXRATE_TWIN_LOGIC__ENABLED": "true",
        "PLEXRATE_RETRIES": "7",
    }
    flags = {"library_name": "FlagLib", "twin_logic.enabled": False, "dry_run": None}

    loaded = load_settings(config_path=config, environ=env, overrides=flags)
    s = loaded.settings

    assert s.library_name == "FlagLib"
    assert s.dry_run is False  # the env's "false" beats the file's true; the None flag is absent
    assert s.twin_logic.enabled is False  # flag beats env beats file
    assert s.twin_logic.duration_tolerance_sec == 9  # its sibling from the file survives the merge
    assert s.confidence_c == 4
    assert s.retries == 7
    assert s.page_size == 1000
    assert loaded.sources["library_name"] == "flag"
    assert loaded.sources["dry_run"] == "env"
    assert loaded.sources["twin_logic.enabled"] == "flag"
    assert loaded.sources["twin_logic.duration_tolerance_sec"] == "file"
    assert loaded.sources["confidence_c"] == "file"
    assert loaded.sources["retries"] == "env"
    assert loaded.sources["page_size"] == "default"
    assert set(loaded.sources) == {key.path for key in setting_keys()}


def test_env_alone_overrides_the_file_and_nested_keys(tmp_path: Path) -> None:
    config = write(tmp_path / "config.json", {"DRY_RUN": True, "TWIN_LOGIC": {"ENABLED": True}})
    loaded = load_settings(
        config_path=config,
        environ={"PLEXRATE_DRY_RUN": "false", "PLEXRATE_TWIN_LOGIC__ENABLED": "0"},
    )
    assert loaded.settings.dry_run is False
    assert loaded.settings.twin_logic.enabled is False
    assert loaded.sources["twin_logic.enabled"] == "env"


def test_env_names_ignore_case_and_lists_take_commas_or_json() -> None:
    s = load_settings(
        environ={
            "plexrate_library_name": "lower",
            "PLEXRATE_TWIN_LOGIC__EXCLUDE_KEYWORDS": " live , demo ",
            "PLEXRATE_UPWARD_EXCLUSION_RULES__KEYWORDS": '["intro", "skit"]',
            "PLEXRATE_ARTIST_EVIDENCE": "Manual",
        },
        config_path=None,
    ).settings
    assert s.library_name == "lower"
    assert s.twin_logic.exclude_keywords == ("live", "demo")
    assert s.upward_exclusion_rules.keywords == ("intro", "skit")
    assert s.artist_evidence is ArtistEvidence.MANUAL


def test_an_empty_env_value_is_a_value(tmp_path: Path) -> None:
    config = write(tmp_path / "config.json", {"INFERRED_TAG": "Mine"})
    s = load_settings(config_path=config, environ={"PLEXRATE_INFERRED_TAG": ""}).settings
    assert s.inferred_tag == ""


def test_paths_are_relative_to_their_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = write(
        tmp_path / "conf" / "config.json",
        {"STATE_PATH": "db/state.sqlite", "LEGACY_STATE_PATH": "~/old.json"},
    )

    from_file = load_settings(config_path=config, environ={}).settings
    assert from_file.state_path == tmp_path / "conf" / "db" / "state.sqlite"
    assert from_file.legacy_state_path == tmp_path / "home" / "old.json"
    assert from_file.bulk_album_filename == tmp_path / "conf" / "album_ratings.csv"

    from_env = load_settings(
        config_path=config,
        environ={"PLEXRATE_STATE_PATH": "e.sqlite"},
        overrides={"legacy_state_path": Path("flag.json")},
    ).settings
    assert from_env.state_path == work.resolve() / "e.sqlite"
    assert from_env.legacy_state_path == work.resolve() / "flag.json"


def test_engine_config_maps_every_inference_key() -> None:
    settings = Settings(
        confidence_c=5,
        bias_critic=0.5,
        weight_critic=2,
        weight_global=4,
        album_inheritance_gravity=0.6,
        track_inheritance_gravity=0.1,
        dynamic_precision=False,
        inferred_tag="Guessed",
        artist_evidence="manual",
        inference_model="Classic",
        fill_without_evidence=False,
        rating_step=1.0,
        twin_logic={
            "enabled": False,
            "duration_tolerance_sec": 2,
            "exclude_keywords": ["x"],
            "exclude_parentheses": False,
            "exclude_live_albums": False,
            "twin_tag": "Twin",
        },
        upward_exclusion_rules={
            "enabled": False,
            "min_duration_sec": 30,
            "keywords": ["y"],
            "case_sensitive": True,
            "match": "Substring",
        },
        hijack_integer_only=True,
    )
    config = settings.engine_config()

    assert config.confidence_c == 5
    assert config.bias_critic == 0.5
    assert (config.weight_critic, config.weight_global) == (2, 4)
    assert (config.album_gravity, config.track_gravity) == (0.6, 0.1)
    assert config.dynamic_precision is False
    assert config.inferred_tag == "Guessed"
    assert config.artist_evidence is ArtistEvidence.MANUAL
    assert config.inference_model is InferenceModel.CLASSIC
    assert config.fill_without_evidence is False
    assert config.rating_step == 1.0
    assert config.twins.enabled is False
    assert config.twins.duration_tolerance_sec == 2
    assert config.twins.exclude_keywords == ("x",)
    assert (config.twins.exclude_parentheses, config.twins.exclude_live_albums) == (False, False)
    assert config.twins.twin_tag == "Twin"
    assert config.filler.enabled is False
    assert config.filler.min_duration_sec == 30
    assert config.filler.keywords == ("y",)
    assert config.filler.case_sensitive is True
    assert config.filler.match is KeywordMatch.SUBSTRING
    assert config.hijack_integer_only is True
    # A field added to EngineConfig later must be mapped here too (hijack_tolerance is fixed).
    default = EngineConfig()
    unmapped = [
        f.name
        for f in dataclasses.fields(EngineConfig)
        if getattr(config, f.name) == getattr(default, f.name)
    ]
    assert unmapped == ["hijack_tolerance"]


def test_default_settings_give_the_default_engine_config() -> None:
    assert Settings().engine_config() == EngineConfig()


def test_require_server_names_what_is_missing_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings().require_server()
    message = str(caught.value)
    assert "PLEX_URL and PLEX_TOKEN are not set" in message
    assert "plexrate config init" in message
    assert caught.value.exit_code == ExitCode.CONFIG

    with pytest.raises(ConfigError, match=r"PLEX_TOKEN is not set.*PLEXRATE_PLEX_TOKEN"):
        Settings(plex_url="http://h:32400").require_server()

    with pytest.raises(ConfigError, match="placeholder"):
        Settings(plex_url="http://h:32400", plex_token=PLACEHOLDER_TOKEN).require_server()

    Settings(plex_url="http://h:32400", plex_token=TOKEN).require_server()


def test_a_different_version_warns_and_the_current_one_does_not(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", {"version": "3.1"})
    warnings = load_settings(config_path=old, environ={}).warnings
    assert len(warnings) == 1
    assert "'3.1'" in warnings[0]
    assert CONFIG_VERSION in warnings[0]

    for document in ({"version": CONFIG_VERSION}, {}):
        current = write(tmp_path / "current.json", document)
        assert load_settings(config_path=current, environ={}).warnings == []


def test_a_numeric_version_is_compared_as_text(tmp_path: Path) -> None:
    config = write(tmp_path / "config.json", {"version": 2.4})
    (warning,) = load_settings(config_path=config, environ={}).warnings
    assert "'2.4'" in warning


def test_a_misspelt_env_variable_warns_and_unrelated_ones_do_not() -> None:
    loaded = load_settings(
        environ={
            "PLEXRATE_LIBRAY_NAME": "x",
            "PLEXRATE_DEBUG": "1",
            "PLEXRATE_CONFIG": "",
            "PLEXRATE_EMULATOR_PORT": "32401",
            "HOME": "/root",
        }
    )
    assert loaded.warnings == [
        "PLEXRATE_LIBRAY_NAME is not a plexrate setting and is ignored; "
        "did you mean PLEXRATE_LIBRARY_NAME?"
    ]


def test_settings_read_nothing_from_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLEXRATE_LIBRARY_NAME", "FromProcess")
    assert Settings().library_name == "Music"
    assert load_settings(environ={}).settings.library_name == "Music"
    assert load_settings().settings.library_name == "FromProcess"


LEGACY_DATA = Path(__file__).resolve().parents[1] / "data" / "legacy"


@pytest.mark.parametrize("version", ["1.4", "1.5"])
def test_the_old_tools_configs_load_unchanged(version: str) -> None:
    path = LEGACY_DATA / f"config-v{version}.json"
    loaded = load_settings(config_path=path, environ={})
    settings = loaded.settings
    # one warning, for the version, and nothing else
    assert len(loaded.warnings) == 1
    assert "config version" in loaded.warnings[0]
    assert settings.inferred_tag == "Rating_Inferred"
    assert settings.bulk_album_filename == path.parent / "album_ratings.csv"
    if version == "1.5":
        assert settings.hijack_integer_only is True
        assert settings.cooldown_sleep_single == 0.2
        assert settings.twin_logic.twin_tag == "Twin"
        assert settings.engine_config().hijack_integer_only is True
    else:
        assert settings.hijack_integer_only is False
        assert settings.cooldown_sleep_single == 0.0
