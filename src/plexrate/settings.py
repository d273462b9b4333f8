"""Settings: the old tool's ``config.json`` read unchanged, plexrate's own keys, the environment and
command-line flags, validated into one frozen ``Settings``.

Precedence, highest first: flags (``overrides``) > ``PLEXRATE_<KEY>`` environment variables
(nested keys joined with ``__``) > the config file > defaults. ``load_settings`` is the loader: it
reads each layer on its own so it can tell where every value came from (``config show``) and name
a bad value the way the person wrote it (``CONFIDENCE_C`` in the file, ``PLEXRATE_CONFIDENCE_C``
in the environment). Constructing ``Settings`` directly validates exactly what is passed and reads
nothing from the environment, which keeps tests and tools deterministic.

Keys are snake_case fields whose aliases are the old UPPERCASE keys; a file may use either spelling.
Every key is documented in ``docs/settings.md`` and listed with its default in
``config.example.json``; a test keeps both in step with this module.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from annotated_types import Ge, Gt, Le, Lt
from platformdirs import user_config_path, user_data_path, user_log_path
from pydantic import (
    AfterValidator,
    AliasGenerator,
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError, to_jsonable_python
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from plexrate.engine.config import (
    DEFAULT_FILLER_KEYWORDS,
    DEFAULT_TWIN_KEYWORDS,
    ArtistEvidence,
    EngineConfig,
    FillerRules,
    InferenceModel,
    KeywordMatch,
    TwinRules,
)
from plexrate.errors import ConfigError
from plexrate.fileio import atomic_writer
from plexrate.redact import REDACTED, redact, register_secret

CONFIG_VERSION = "plexrate-1"
"""Written as ``version`` by ``config init``; a file with another version gets a warning."""
CONFIG_FILENAME = "config.json"
ENV_PREFIX = "PLEXRATE_"
CONFIG_ENV = "PLEXRATE_CONFIG"
PLACEHOLDER_URL = "http://127.0.0.1:32400"
PLACEHOLDER_TOKEN = "YOUR-PLEX-TOKEN"
MAX_PAGE_SIZE = 1000
"""Real Plex servers refuse section listings above 1000 items per page (docs/real-servers.md)."""
MAX_TAG_LENGTH = 255
"""Longest INFERRED_TAG / TWIN_TAG: every write sends the tag in its URL, and a mood name is a
word or two; a very long one would make every edit request too long for the server."""
MAX_SLEEP = 3600
"""Longest COOLDOWN_SLEEP and TIMEOUT, in seconds: an hour is far beyond any useful pause."""
DOCS = "docs/settings.md"

Source = Literal["default", "file", "env", "flag"]

# Environment variables with the prefix that are not settings, so never "unknown".
_NOT_SETTINGS_ENV = frozenset({"config", "debug", "trace"})


class RatingWriteMode(StrEnum):
    AUTO = "auto"
    """Edit (one multi-edit per value) and verify a sample by reading it back; fall back to rate."""
    EDIT = "edit"
    """Multi-edit of ``userRating`` grouped by value."""
    RATE = "rate"
    """One ``/:/rate`` request per item."""


class StateJournalMode(StrEnum):
    AUTO = "auto"
    """WAL, or the rollback journal when the state file is on a network filesystem."""
    WAL = "wal"
    DELETE = "delete"
    """SQLite's rollback journal: works on NFS and SMB shares."""


# ---------------------------------------------------------------------------------------------
# Field types


def _not_bool(value: object) -> object:
    # pydantic accepts JSON true/false as 1/0 for numbers; in a config that is always a mistake.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "true/false is not a number")
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
    if isinstance(number, float) and not math.isfinite(number):
        # Before the range checks, which would call NaN "below 0" and "inf" "above 3600".
        raise PydanticCustomError("finite_number", "is not a finite number")
    return value


def _split_words(value: object) -> object:
    # Environment variables carry lists as text: JSON (["live", "demo"]) or comma-separated.
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise PydanticCustomError("word_list", "is not a valid JSON list") from None
    return [word.strip() for word in text.split(",") if word.strip()]


def _no_blank_words(words: tuple[str, ...]) -> tuple[str, ...]:
    if any(not word.strip() for word in words):
        raise PydanticCustomError(
            "blank_word", "contains an empty keyword, which would match every title"
        )
    return words


def _check_tag(tag: str) -> str:
    if "," in tag:
        raise PydanticCustomError(
            "tag_comma", "contains a comma, which Plex reads as a list of several tags"
        )
    return tag


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _non_empty_path(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("path_empty", "is empty")
    return value


def _expand_home(path: Path) -> Path:
    """``~`` and ``~user`` expanded; a user without a known home is an error, not a RuntimeError."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise PydanticCustomError(
            "path_home", "starts with ~ but names no user whose home folder is known"
        ) from None


def _absolute(path: Path) -> Path:
    return _expand_home(path).resolve()


# Infinity and NaN are valid JSON to Python's reader (and "inf" to pydantic): a timeout or a pause
# of Infinity, or a weight of NaN, would fail far from the config, so every number is finite.
Number = Annotated[float, BeforeValidator(_not_bool), AllowInfNan(False)]
Whole = Annotated[int, BeforeValidator(_not_bool)]
Words = Annotated[
    tuple[str, ...], NoDecode, BeforeValidator(_split_words), AfterValidator(_no_blank_words)
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_TAG_LENGTH),
    AfterValidator(_check_tag),
]
FilePath = Annotated[Path, BeforeValidator(_non_empty_path), AfterValidator(_absolute)]


def _empty_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalPath = Annotated[
    Path | None,
    BeforeValidator(_empty_is_none),
    AfterValidator(lambda path: None if path is None else _absolute(path)),
]

_FILE_KEYS = AliasGenerator(serialization_alias=str.upper)


def _secret_text(value: object) -> object:
    """A secret setting as stripped text, None when blank; anything else is left to the type."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    return value.strip() or None


def check_plex_url(url: str) -> str:
    """The URL as plexrate uses it (no trailing slash); ValueError says what is wrong with it.

    Plex is addressed as ``http(s)://host[:port]``; a path, query or credentials would be sent
    with every request, so they are refused rather than passed on.
    """
    text = url.strip()
    if any(ch.isspace() for ch in text):
        raise ValueError("contains spaces")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must start with http:// or https:// followed by the server's address")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if not parts.hostname:
        raise ValueError("has no host name")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must not have anything after host[:port]")
    return f"{parts.scheme}://{parts.netloc.rstrip(':')}"


# ---------------------------------------------------------------------------------------------
# The models


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=_FILE_KEYS, hide_input_in_errors=True
    )


class TwinLogic(_Section):
    """TWIN_LOGIC: duplicate copies of one recording share one rating."""

    enabled: bool = True
    duration_tolerance_sec: Number = Field(5.0, ge=0)
    exclude_keywords: Words = DEFAULT_TWIN_KEYWORDS
    exclude_parentheses: bool = True
    exclude_live_albums: bool = True
    twin_tag: Tag = ""


class UpwardExclusionRules(_Section):
    """UPWARD_EXCLUSION_RULES: filler tracks that are not evidence and do not count toward μ."""

    enabled: bool = True
    min_duration_sec: Number = Field(60.0, ge=0)
    keywords: Words = DEFAULT_FILLER_KEYWORDS
    case_sensitive: bool = False
    match: Annotated[KeywordMatch, BeforeValidator(_lower)] = KeywordMatch.WORD


class Settings(BaseSettings):
    """Every setting plexrate reads. Build it with ``load_settings``; see ``docs/settings.md``.

    Paths are absolute once validated; ``load_settings`` resolves relative paths from the config
    file against the file's folder before that.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        alias_generator=_FILE_KEYS,
        hide_input_in_errors=True,
        validate_default=True,
    )

    # The old tool's keys, in its order.
    plex_url: str | None = None
    plex_token: SecretStr | None = None
    library_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = "Music"
    confidence_c: Number = Field(3.0, ge=0)
    # The critic formula divides by 10 + BIAS_CRITIC.
    bias_critic: Number = Field(1.5, gt=-10)
    weight_critic: Number = Field(3.0, ge=0)
    weight_global: Number = Field(1.0, ge=0)
    dry_run: bool = True
    inferred_tag: Tag = "Rating_Inferred"
    dynamic_precision: bool = True
    # Unset (the default) means adaptive pacing (plex/pacing.py); either one set means a pause
    # of COOLDOWN_SLEEP after every COOLDOWN_BATCH write requests, the other taking 25 or 5.
    cooldown_batch: Whole | None = Field(None, ge=0)
    cooldown_sleep: Number | None = Field(None, ge=0, le=MAX_SLEEP)
    album_inheritance_gravity: Number = Field(0.8, ge=0, le=1)
    track_inheritance_gravity: Number = Field(0.3, ge=0, le=1)
    bulk_artist_filename: FilePath = Path("artist_ratings.csv")
    bulk_album_filename: FilePath = Path("album_ratings.csv")
    bulk_track_filename: FilePath = Path("track_ratings.csv")
    twin_logic: TwinLogic = Field(default_factory=TwinLogic)
    upward_exclusion_rules: UpwardExclusionRules = Field(default_factory=UpwardExclusionRules)
    # The old tool v1.5's additions (original-tool.md §1): read unchanged, with plexrate's own
    # defaults where the person's favour or speed differs from v1.5's (docs/settings.md).
    hijack_integer_only: bool = False
    cooldown_sleep_single: Number = Field(0.0, ge=0, le=MAX_SLEEP)
    # plexrate's additions.
    state_path: FilePath = Path("plexrate_state.sqlite")
    legacy_state_path: FilePath = Path("plex_state.json")
    state_journal_mode: Annotated[StateJournalMode, BeforeValidator(_lower)] = StateJournalMode.AUTO
    journal_keep_runs: Whole = Field(30, ge=0, le=1_000_000)
    whole_read_hours: Number = Field(168.0, ge=0, le=100_000)
    inference_model: Annotated[InferenceModel, BeforeValidator(_lower)] = (
        InferenceModel.HIERARCHICAL
    )
    artist_evidence: Annotated[ArtistEvidence, BeforeValidator(_lower)] = ArtistEvidence.DERIVED
    fill_without_evidence: bool = True
    rating_step: Number = Field(0.0, ge=0, le=2)
    rating_write_mode: Annotated[RatingWriteMode, BeforeValidator(_lower)] = RatingWriteMode.AUTO
    page_size: Whole = Field(MAX_PAGE_SIZE, ge=50, le=MAX_PAGE_SIZE)
    write_batch_size: Whole = Field(250, ge=1, le=1000)
    timeout: Number = Field(30.0, gt=0, le=MAX_SLEEP)
    retries: Whole = Field(5, ge=0, le=20)
    verify_tls: bool = True
    ca_bundle: OptionalPath = None
    # None means the platform's log folder (load_settings fills it in); os.devnull turns it off.
    log_file: OptionalPath = None
    # The path part of the webhook URL `plexrate watch --webhook` answers (docs/watch.md): Plex
    # sends no credential of its own, so this is the receiver's only check.
    watch_secret: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],  # noqa: ARG003
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings reads the file and the environment itself (to know each value's source);
        # the model then validates exactly the merged layers it is given.
        return (init_settings,)

    @field_validator("plex_url", mode="before")
    @classmethod
    def _plex_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return check_plex_url(value)
        except ValueError as exc:
            raise PydanticCustomError("plex_url", str(exc)) from None

    @field_validator("plex_token", mode="before")
    @classmethod
    def _plex_token(cls, value: object) -> object:
        value = _secret_text(value)
        if not isinstance(value, str):
            return value
        if value != PLACEHOLDER_TOKEN:
            register_secret(value)
        if any(ch.isspace() for ch in value):
            raise PydanticCustomError("token_space", "contains spaces or line breaks")
        return value

    @field_validator("watch_secret", mode="before")
    @classmethod
    def _watch_secret(cls, value: object) -> object:
        value = _secret_text(value)
        if not isinstance(value, str):
            return value
        register_secret(value)
        if len(value) < WATCH_SECRET_MIN or not all(ch in _URL_SAFE for ch in value):
            raise PydanticCustomError(
                "watch_secret",
                "must be at least {min} characters of letters, digits, - and _ "
                "(it is part of a URL)",
                {"min": WATCH_SECRET_MIN},
            )
        return value

    @field_validator("rating_step")
    @classmethod
    def _rating_step(cls, value: float) -> float:
        # Plex keeps one decimal (docs/real-servers.md): a step finer than that, or not a whole
        # number of tenths, would be rounded again by Plex into values the step never meant.
        tenths = value * 10
        if abs(tenths - round(tenths)) > 1e-6:
            raise PydanticCustomError(
                "rating_step",
                "must be 0 or a multiple of 0.1 (Plex keeps one decimal): "
                "0 = tenths, 1.0 = half stars, 2.0 = whole stars",
            )
        return round(tenths) / 10

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.weight_critic + self.weight_global == 0:
            raise PydanticCustomError(
                "weights_zero",
                "are both 0, which leaves the prior undefined",
                {
                    "keys": "weight_critic,weight_global",
                    "fix": "set WEIGHT_GLOBAL above 0 (default 1.0)",
                },
            )
        twin_tag = self.twin_logic.twin_tag
        if twin_tag and twin_tag.casefold() == self.inferred_tag.casefold():
            raise PydanticCustomError(
                "same_tag",
                "name the same tag, so twin anchors you rated would look inferred",
                {
                    "keys": "inferred_tag,twin_logic.twin_tag",
                    "fix": "give TWIN_TAG another name, or leave it empty",
                },
            )
        return self

    def engine_config(self) -> EngineConfig:
        """The inference settings as the engine's plain record."""
        twins, filler = self.twin_logic, self.upward_exclusion_rules
        return EngineConfig(
            confidence_c=self.confidence_c,
            bias_critic=self.bias_critic,
            weight_critic=self.weight_critic,
            weight_global=self.weight_global,
            album_gravity=self.album_inheritance_gravity,
            track_gravity=self.track_inheritance_gravity,
            dynamic_precision=self.dynamic_precision,
            hijack_integer_only=self.hijack_integer_only,
            inferred_tag=self.inferred_tag,
            artist_evidence=self.artist_evidence,
            inference_model=self.inference_model,
            fill_without_evidence=self.fill_without_evidence,
            rating_step=self.rating_step,
            twins=TwinRules(
                enabled=twins.enabled,
                duration_tolerance_sec=twins.duration_tolerance_sec,
                exclude_keywords=twins.exclude_keywords,
                exclude_parentheses=twins.exclude_parentheses,
                exclude_live_albums=twins.exclude_live_albums,
                twin_tag=twins.twin_tag,
            ),
            filler=FillerRules(
                enabled=filler.enabled,
                min_duration_sec=filler.min_duration_sec,
                keywords=filler.keywords,
                case_sensitive=filler.case_sensitive,
                match=filler.match,
            ),
        )

    def require_server(self) -> None:
        """Raise ConfigError unless the URL and the token of a Plex server are configured."""
        missing = [
            key
            for key, value in (("PLEX_URL", self.plex_url), ("PLEX_TOKEN", self.plex_token))
            if value is None
        ]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            env = " and ".join(ENV_PREFIX + key for key in missing)
            raise ConfigError(
                f"{' and '.join(missing)} {verb} not set, so plexrate cannot reach Plex",
                hint=f"run `plexrate config init` to write a config file, or set {env}",
            )
        assert self.plex_token is not None
        if self.plex_token.get_secret_value() == PLACEHOLDER_TOKEN:
            raise ConfigError(
                "PLEX_TOKEN is still the placeholder from config.example.json",
                hint="put your Plex token there, or run `plexrate config init --force`",
            )

    def value_at(self, path: str) -> Any:
        """The value of a dotted snake_case key such as ``twin_logic.enabled``."""
        node: Any = self
        for part in path.split("."):
            node = getattr(node, part)
        return node


# ---------------------------------------------------------------------------------------------
# The list of keys (config show, docs, example file)


SECRET_SETTINGS = frozenset({"plex_token", "watch_secret"})
"""Settings never shown: ``config show`` prints ``***`` for them."""
WATCH_SECRET_MIN = 16
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class SettingKey:
    path: str
    """Dotted snake_case name, the key of ``LoadedSettings.sources``: ``twin_logic.enabled``."""
    file_key: str
    """As written in config.json, dotted when nested: ``TWIN_LOGIC.ENABLED``."""
    env_var: str
    """``PLEXRATE_TWIN_LOGIC__ENABLED``."""
    default: Any
    """The default as it appears in config.json (JSON types)."""
    secret: bool = False


def _nested_model(info: FieldInfo) -> type[BaseModel] | None:
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _walk(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, info in model.model_fields.items():
        sub = _nested_model(info)
        if sub is None:
            yield prefix + name, info
        else:
            yield from _walk(sub, f"{prefix}{name}.")


def _env_var(parts: list[str]) -> str:
    return ENV_PREFIX + "__".join(parts).upper()


@cache
def setting_keys() -> tuple[SettingKey, ...]:
    """Every leaf setting in file order, nested keys included."""
    return tuple(
        SettingKey(
            path=path,
            file_key=path.upper(),
            env_var=_env_var(path.split(".")),
            default=to_jsonable_python(info.get_default(call_default_factory=True)),
            secret=path in SECRET_SETTINGS,
        )
        for path, info in _walk(Settings)
    )


def _field_info(parts: list[str]) -> FieldInfo | None:
    model: type[BaseModel] | None = Settings
    info: FieldInfo | None = None
    for part in parts:
        if model is None or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        model = _nested_model(info)
    return info


def public_value(settings: Settings, key: SettingKey) -> Any:
    """A setting's value as JSON types, fit to print: the token becomes ``***`` (or None)."""
    value = settings.value_at(key.path)
    if key.secret:
        return None if value is None else REDACTED
    # A token pasted into the wrong key (LIBRARY_NAME, a path) must not be shown either.
    return _redacted(to_jsonable_python(value))


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _nest(values: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    # ("TWIN_LOGIC.ENABLED", True) → {"TWIN_LOGIC": {"ENABLED": True}}
    document: dict[str, Any] = {}
    for dotted, value in values:
        node = document
        *parents, leaf = dotted.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return document


def public_config(settings: Settings) -> dict[str, Any]:
    """The effective settings shaped like config.json, with the token redacted."""
    return _nest((key.file_key, public_value(settings, key)) for key in setting_keys())


UNSET_IN_NEW_CONFIGS = frozenset({"cooldown_batch", "cooldown_sleep"})
"""Keys a new config leaves out: unset, they mean adaptive pacing; written, they would pin a
fixed pause that the person never chose."""


def example_config(
    *,
    plex_url: str = PLACEHOLDER_URL,
    plex_token: str = PLACEHOLDER_TOKEN,
    library_name: str = "Music",
) -> dict[str, Any]:
    """A complete config.json document: every key at its default, with the given server values.

    ``config.example.json`` is this document with the placeholders; ``config init`` writes it with
    the person's values.
    """
    document = {"version": CONFIG_VERSION}
    document.update(
        _nest(
            (key.file_key, key.default)
            for key in setting_keys()
            if key.path not in UNSET_IN_NEW_CONFIGS
        )
    )
    document.update(PLEX_URL=plex_url, PLEX_TOKEN=plex_token, LIBRARY_NAME=library_name)
    return document


# ---------------------------------------------------------------------------------------------
# Loading


APP_NAME = "plexrate"
LOG_FILENAME = "plexrate.log"
STATE_FILENAME = "plexrate_state.sqlite"


@dataclass(frozen=True)
class PlatformFolders:
    """The per-user folders the operating system sets aside for plexrate (``platformdirs``):
    on Linux ``~/.config/plexrate``, ``~/.local/share/plexrate`` and
    ``~/.local/state/plexrate/log`` (or the ``XDG_*`` folders), on macOS ``~/Library/Application
    Support/plexrate`` and ``~/Library/Logs/plexrate``, on Windows ``%LOCALAPPDATA%\\plexrate``
    and its ``Logs`` folder."""

    config: Path
    data: Path
    log: Path

    @classmethod
    def current(cls) -> PlatformFolders:
        return cls(
            config=user_config_path(APP_NAME, appauthor=False),
            data=user_data_path(APP_NAME, appauthor=False),
            log=user_log_path(APP_NAME, appauthor=False),
        )

    @property
    def config_file(self) -> Path:
        return self.config / CONFIG_FILENAME


def default_log_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The log file when the settings could not be read: ``PLEXRATE_LOG_FILE`` if set, else
    the platform's log folder."""
    environ = os.environ if environ is None else environ
    named = environ.get(f"{ENV_PREFIX}LOG_FILE", "").strip()
    if named:
        try:
            return Path(named).expanduser().absolute()
        except RuntimeError:
            return None
    return PlatformFolders.current().log / LOG_FILENAME


ConfigSource = Literal["--config", "PLEXRATE_CONFIG", "working folder", "platform"]


@dataclass(frozen=True)
class ConfigLocation:
    """The config file in effect and how it was found (``None``: no config file)."""

    path: Path | None
    found_by: ConfigSource | None


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    config_path: Path | None
    sources: dict[str, Source]
    """Dotted snake_case key (``twin_logic.enabled``) → the layer its value came from."""
    warnings: list[str] = field(default_factory=list)
    found_by: ConfigSource | None = None
    """How the config file was found; None without one."""


class _Environment(EnvSettingsSource):
    """pydantic-settings' reader of ``PLEXRATE_*`` variables, fed from a given mapping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # The model is case-insensitive for the environment, so keys are compared lower-cased.
        return {key.lower(): value for key, value in self._given.items()}


@dataclass
class _Layers:
    """The raw layers before validation, and what is needed to name their keys in messages."""

    file: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    flag: dict[str, Any] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)
    """Dotted snake_case key → the key as written in the file (``TWIN_LOGIC.ENABLED``)."""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def origin(self, parts: list[str]) -> Source:
        ranked: tuple[tuple[Source, dict[str, Any]], ...] = (
            ("flag", self.flag),
            ("env", self.env),
            ("file", self.file),
        )
        for source, layer in ranked:
            if _has_path(layer, parts):
                return source
        return "default"

    def display(self, parts: list[str]) -> str:
        dotted = ".".join(parts)
        source = self.origin(parts)
        if source == "env":
            return _env_var(parts)
        if source == "flag":
            return f"{dotted} (command line)"
        return self.spelled.get(dotted, dotted.upper())


def _has_path(layer: Mapping[str, Any], parts: list[str]) -> bool:
    node: Any = layer
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _bullet(key: str, problem: str, fix: str) -> str:
    return redact(f"• {key}: {problem} — {fix}")


def _suggest(key: str, model: type[BaseModel], *, nested: bool) -> str | None:
    """The known key closest to ``key``, spelled in the style the person used."""
    # The old UPPERCASE form unless the person wrote snake_case.
    upper = key != key.lower()
    candidates: dict[str, str] = {}
    for name in model.model_fields:
        candidates.setdefault(name.casefold(), name.upper() if upper else name)
    if nested:
        # A top-level key that belongs inside TWIN_LOGIC or UPWARD_EXCLUSION_RULES.
        for path, _ in _walk(model):
            if "." in path:
                leaf = path.rsplit(".", 1)[1]
                candidates.setdefault(leaf.casefold(), path.upper() if upper else path)
    match = difflib.get_close_matches(key.casefold(), list(candidates), n=1, cutoff=0.6)
    return candidates[match[0]] if match else None


def _unknown_key_fix(suggestion: str | None) -> str:
    if suggestion:
        return f"did you mean {suggestion}? (all keys are listed in {DOCS})"
    return f"remove it, or check the spelling against {DOCS}"


def _normalise(
    raw: Mapping[str, Any],
    model: type[BaseModel],
    *,
    problems: list[str],
    spelled: dict[str, str],
    written_prefix: str = "",
    path_prefix: str = "",
) -> dict[str, Any]:
    """Map a file's or the flags' keys (UPPERCASE or snake_case) onto field names.

    Unknown and doubled keys become ``problems``; ``spelled`` learns how each key was written.
    """
    by_key = {name: name for name in model.model_fields}
    by_key.update({name.upper(): name for name in model.model_fields})
    out: dict[str, Any] = {}
    for key, value in raw.items():
        written = f"{written_prefix}{key}"
        name = by_key.get(key)
        if name is None:
            suggestion = _suggest(key, model, nested=not path_prefix)
            if suggestion and written_prefix:
                suggestion = written_prefix + suggestion
            problems.append(
                _bullet(written, "is not a plexrate setting", _unknown_key_fix(suggestion))
            )
            continue
        path = path_prefix + name
        if name in out:
            problems.append(
                _bullet(written, f"is given twice (also as {spelled[path]})", "keep one")
            )
            continue
        spelled[path] = written
        if path == "plex_token" and isinstance(value, str):
            register_secret(value.strip())
        sub = _nested_model(model.model_fields[name])
        if sub is not None and isinstance(value, Mapping):
            out[name] = _normalise(
                value,
                sub,
                problems=problems,
                spelled=spelled,
                written_prefix=f"{written}.",
                path_prefix=f"{path}.",
            )
        else:
            out[name] = value
    return out


def _rebase_paths(layer: dict[str, Any], base: Path) -> None:
    for name, info in Settings.model_fields.items():
        value = layer.get(name)
        rebased = info.annotation is Path or name == "log_file"
        if rebased and isinstance(value, str | Path) and str(value).strip():
            try:
                path = Path(value).expanduser()
            except RuntimeError:
                continue  # ~user of no known user: validation reports it against the key
            layer[name] = path if path.is_absolute() else base / path


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _deep_merge(below, value)
        else:
            out[key] = value
    return out


def find_config(config_path: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The config file to read (see ``locate_config``)."""
    return locate_config(config_path, environ).path


def locate_config(
    config_path: Path | None,
    environ: Mapping[str, str],
    folders: PlatformFolders | None = None,
) -> ConfigLocation:
    """The config file to read: ``--config``, else ``PLEXRATE_CONFIG``, else ./config.json (the
    old tool's habit), else ``config.json`` in the platform's config folder.

    A named file that does not exist is an error (pydantic-settings would skip it silently); a
    missing ./config.json or platform config just means defaults.
    """
    named = config_path if config_path is not None else environ.get(CONFIG_ENV) or None
    if named is None:
        candidates: list[tuple[Path, ConfigSource]] = [
            (Path.cwd() / CONFIG_FILENAME, "working folder"),
            ((folders or PlatformFolders.current()).config_file, "platform"),
        ]
        for default, found_by in candidates:
            if default.exists() and not default.is_file():
                # Skipping it silently would run on defaults while the person believes their
                # config is read.
                raise ConfigError(
                    f"{default} is not a file (a folder?), so it cannot be read as the config",
                    hint="move it away, or name your config with --config",
                )
            if default.is_file():
                return ConfigLocation(default.resolve(), found_by)
        return ConfigLocation(None, None)
    named_by = f" (named by {CONFIG_ENV})" if config_path is None else ""
    try:
        path = Path(named).expanduser()
    except RuntimeError:
        raise ConfigError(
            f"config file {named}{named_by} starts with ~ but names no user whose home folder "
            "is known",
            hint="write the folder out in full",
        ) from None
    if not path.exists():
        raise ConfigError(
            f"config file {path}{named_by} does not exist",
            hint=f"check the path, or create it with `plexrate config init {path}`",
        )
    return ConfigLocation(
        path.resolve(), "--config" if config_path is not None else "PLEXRATE_CONFIG"
    )


def _duplicate_keys(found: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                found.append(key)
            seen[key] = value
        return seen

    return hook


def _read_file(path: Path, layers: _Layers) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a folder, not a config file", hint="name a config.json file"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read {path}: permission denied", hint="check the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", hint="save it as UTF-8 JSON") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    deep = _too_deep_at(text)
    if deep is not None:
        line, column = deep
        raise ConfigError(
            f"{path} is not a plexrate config:\n"
            + _bullet(
                f"line {line}, column {column}",
                f"lists or objects are nested more than {MAX_NESTING} deep",
                "see config.example.json for the shape of a config",
            )
        )
    duplicates: list[str] = []
    try:
        document = json.loads(
            text, object_pairs_hook=_duplicate_keys(duplicates), parse_int=_parse_int
        )
    except RecursionError:
        raise ConfigError(
            f"{path} is not a plexrate config:\n"
            + _bullet(
                path.name,
                "its lists or objects are nested too deeply to read",
                "see config.example.json for the shape of a config",
            )
        ) from None
    except json.JSONDecodeError as exc:
        if not text.strip():
            problem, fix = (
                "the file is empty",
                "write a JSON object, e.g. with `plexrate config init`",
            )
        else:
            problem = exc.msg
            fix = "fix the JSON there (a missing comma or quote, or a trailing comma, is typical)"
        line, column = exc.lineno, exc.colno
        comma = _trailing_comma(text, exc.pos)
        if comma is not None:
            line, column = _line_column(text, comma)
            problem = f"a comma before the closing {text[_next_token(text, comma + 1)]}"
            fix = "remove it (JSON allows no trailing comma)"
        where = f"line {line}, column {column}"
        raise ConfigError(f"{path} is not valid JSON:\n{_bullet(where, problem, fix)}") from None
    if not isinstance(document, dict):
        kinds = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}
        kind = kinds.get(type(document), "a number")
        raise ConfigError(
            f"{path} is not a plexrate config:\n"
            + _bullet(
                path.name,
                f"holds {kind}, not a JSON object",
                'the config must be one object, {"PLEX_URL": …, …}; see config.example.json',
            )
        )
    layers.problems.extend(
        _bullet(key, "appears more than once in the file", "keep one (JSON silently uses the last)")
        for key in dict.fromkeys(duplicates)
    )
    return document


MAX_NESTING = 32
"""Deepest nesting of lists and objects read from a config or a variable. A real config nests
three deep; far deeper input only ever fails, and how it fails depends on the interpreter:
Python 3.11 and 3.12 raise RecursionError inside json.loads at a few thousand levels, 3.13 reads
it and pydantic then stops with "Maximum serialization depth exceeded"."""

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep_at(text: str) -> tuple[int, int] | None:
    """Line and column (from 1, as ``json`` counts) of the first list or object that opens more
    than ``MAX_NESTING`` deep, found before parsing so no interpreter limit is ever met."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return _line_column(text, match.start())
        elif token in "]}":
            depth -= 1
    return None


def _line_column(text: str, at: int) -> tuple[int, int]:
    """Line and column of offset ``at``, from 1 as ``json`` counts them."""
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def _next_token(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _trailing_comma(text: str, at: int) -> int | None:
    """The offset of a comma right before a closing bracket, if that is the error at ``at``.

    Python 3.11 reports a trailing comma at the bracket after it, 3.13 at the comma itself, each
    in its own words; plexrate names the comma, so the place is the same on every interpreter.
    """
    if at < len(text) and text[at] == ",":
        after = _next_token(text, at + 1)
        return at if after < len(text) and text[after] in "]}" else None
    if at < len(text) and text[at] in "]}":
        before = text[:at].rstrip(" \t\r\n")
        return len(before) - 1 if before.endswith(",") else None
    return None


def _parse_int(text: str) -> int | float:
    # Python refuses to turn more than 4,300 digits into an int (a ValueError json.loads would
    # pass on). No setting takes such a number: as a float it becomes infinity, which the key's
    # validation then reports.
    try:
        return int(text)
    except ValueError:
        return float(text)


def _check_version(document: dict[str, Any], path: Path, layers: _Layers) -> None:
    if "version" not in document:
        return
    version = document.pop("version")
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        layers.problems.append(_bullet("version", "is not text", f'write "{CONFIG_VERSION}"'))
    elif str(version) != CONFIG_VERSION:
        layers.warnings.append(
            f"{path} has config version {str(version)!r}, not plexrate's {CONFIG_VERSION!r}: it is "
            f"read as is, and keys it lacks take their defaults ({DOCS} lists them). Set "
            f'"version": "{CONFIG_VERSION}" to silence this warning.'
        )


def _read_environment(environ: Mapping[str, str], layers: _Layers) -> dict[str, Any]:
    # Checked before pydantic-settings parses the JSON of a section, for the reason MAX_NESTING
    # gives; the variable is then left out so the rest can still be checked.
    too_deep = {
        name
        for name, value in environ.items()
        if name.upper().startswith(ENV_PREFIX) and _too_deep_at(value) is not None
    }
    layers.problems.extend(
        _bullet(
            name,
            f"lists or objects are nested more than {MAX_NESTING} deep",
            f"see {DOCS} for the shape of this setting",
        )
        for name in sorted(too_deep)
    )
    if too_deep:
        environ = {name: value for name, value in environ.items() if name not in too_deep}
    try:
        values = _Environment(environ)()
    except SettingsError as exc:
        layers.problems.append(
            _bullet(
                "environment",
                f"a {ENV_PREFIX}* variable could not be read ({exc})",
                "give an object as JSON, e.g. PLEXRATE_TWIN_LOGIC='{\"ENABLED\": false}'",
            )
        )
        return {}
    token = values.get("plex_token")
    if isinstance(token, str):
        register_secret(token.strip())
    known = {name.casefold() for name in Settings.model_fields}
    for name in environ:
        if not name.upper().startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        head = rest.split("__", 1)[0]
        if head in known or rest in _NOT_SETTINGS_ENV:
            continue
        # Other parts of plexrate may use the prefix; only a near miss of a setting is reported.
        suggestion = _suggest(head, Settings, nested=False)
        if suggestion:
            layers.warnings.append(
                f"{name} is not a plexrate setting and is ignored; did you mean "
                f"{ENV_PREFIX}{suggestion.upper()}?"
            )
    return values


def load_settings(
    *,
    config_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Read, merge and validate the settings; ConfigError lists every problem found.

    ``overrides`` are the command-line flags, keyed by dotted snake_case names
    (``{"library_name": "Jazz", "twin_logic.enabled": False}``); ``None`` values mean "not given".
    ``environ`` defaults to the process environment.
    """
    environ = os.environ if environ is None else environ
    folders = PlatformFolders.current()
    location = locate_config(config_path, environ, folders)
    path = location.path
    layers = _Layers()
    base = path.parent if path is not None else Path.cwd()

    if path is not None:
        document = _read_file(path, layers)
        _check_version(document, path, layers)
        layers.file = _normalise(
            document, Settings, problems=layers.problems, spelled=layers.spelled
        )
        _rebase_paths(layers.file, base)
    layers.env = _read_environment(environ, layers)
    _rebase_paths(layers.env, Path.cwd())
    # Flags arrive as {"library_name": x, "twin_logic.enabled": y}, None meaning "not given"; only
    # file keys need their spelling remembered.
    layers.flag = _normalise(
        _nest((key, value) for key, value in (overrides or {}).items() if value is not None),
        Settings,
        problems=layers.problems,
        spelled={},
    )
    _rebase_paths(layers.flag, Path.cwd())
    # Default paths sit beside the config file (or in the working directory without one).
    defaults: dict[str, Any] = {
        name: base / info.default
        for name, info in Settings.model_fields.items()
        if info.annotation is Path
    }
    if location.found_by == "platform":
        # A config in the platform's config folder keeps its state in the data folder, as the
        # platform expects; a config named or found in the working folder keeps it beside it.
        defaults["state_path"] = folders.data / STATE_FILENAME
    defaults["log_file"] = folders.log / LOG_FILENAME

    merged = _deep_merge(_deep_merge(_deep_merge(defaults, layers.file), layers.env), layers.flag)
    log_file = merged.get("log_file")
    if log_file is None or (isinstance(log_file, str) and not log_file.strip()):
        # null or empty means "the default place" (config.example.json writes null), not "none".
        merged["log_file"] = defaults["log_file"]
    settings = _validate(merged, layers)
    if layers.problems or settings is None:
        where = f"config file {path}" if path is not None else "no config file"
        count = len(layers.problems)
        raise ConfigError(
            f"{count} problem{'s' if count != 1 else ''} in the settings ({where}):\n"
            + "\n".join(layers.problems)
        )

    sources = {key.path: layers.origin(key.path.split(".")) for key in setting_keys()}
    return LoadedSettings(
        settings=settings,
        config_path=path,
        sources=sources,
        warnings=layers.warnings,
        found_by=location.found_by,
    )


def _validate(values: dict[str, Any], layers: _Layers) -> Settings | None:
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        layers.problems.extend(_describe(error, layers) for error in exc.errors())
        return None


# ---------------------------------------------------------------------------------------------
# Messages


def _expected(parts: list[str]) -> str:
    """What a key accepts, phrased as the fix: ``set a number from 0 to 1 (default 0.8)``."""
    path = ".".join(parts)
    info = _field_info(parts)
    if path == "plex_url":
        return f"set the server's address, e.g. {PLACEHOLDER_URL}"
    if path == "plex_token":
        return f"set your Plex token (see {DOCS})"
    if info is None:
        return f"see {DOCS}"
    annotation = info.annotation
    default = to_jsonable_python(info.get_default(call_default_factory=True))
    if path in UNSET_IN_NEW_CONFIGS:
        kind = "a whole number" if path == "cooldown_batch" else "a number"
        return f"set {_number_range(info, kind)}, or leave it out for adaptive pacing"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"write an object of its keys (see {DOCS})"
    if annotation is bool:
        what = "true or false"
    elif annotation in (int, float):
        what = _number_range(info, "a whole number" if annotation is int else "a number")
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        what = "one of " + ", ".join(str(member.value) for member in annotation)
    elif annotation is Path:
        what = "a file path"
    elif annotation == tuple[str, ...]:
        # The default lists are long; the docs show them.
        return 'set a list of words, e.g. ["live", "demo"]'
    elif path.endswith("_tag"):
        what = f"a mood name of at most {MAX_TAG_LENGTH} characters"
    else:
        what = "text"
    return f"set {what} (default {json.dumps(default, ensure_ascii=False)})"


def _number_range(info: FieldInfo, kind: str) -> str:
    low: Any = None
    high: Any = None
    low_open = high_open = False
    for item in info.metadata:
        if isinstance(item, Ge):
            low = item.ge
        elif isinstance(item, Gt):
            low, low_open = item.gt, True
        elif isinstance(item, Le):
            high = item.le
        elif isinstance(item, Lt):
            high, high_open = item.lt, True
    if low is not None and high is not None and not (low_open or high_open):
        return f"{kind} from {low} to {high}"
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '≥'} {low}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '≤'} {high}")
    return f"{kind} {' and '.join(bounds)}" if bounds else kind


def _shown(value: Any, path: str) -> str:
    # The URL may embed a token (…?X-Plex-Token=…); neither it nor the token is ever echoed.
    if path in ("plex_url", "plex_token"):
        return "the value"
    text = json.dumps(to_jsonable_python(value), ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


_PROBLEMS = {
    "int_parsing": "{value} is not a whole number",
    "int_from_float": "{value} is not a whole number",
    "int_type": "{value} is not a whole number",
    "float_parsing": "{value} is not a number",
    "float_type": "{value} is not a number",
    "finite_number": "{value} is not a finite number",
    "int_parsing_size": "{value} is too long to be a whole number",
    "bool_not_number": "{value} is not a number",
    "bool_parsing": "{value} is not true or false",
    "bool_type": "{value} is not true or false",
    "string_type": "{value} is not text",
    "string_too_short": "is empty",
    "tuple_type": "{value} is not a list",
    "list_type": "{value} is not a list",
    "model_type": "{value} is not an object of keys",
    "model_attributes_type": "{value} is not an object of keys",
    "dict_type": "{value} is not an object of keys",
    "enum": "{value} is not one of the choices",
    "path_type": "{value} is not a file path",
    "greater_than_equal": "{value} is below {ge}",
    "greater_than": "{value} must be above {gt}",
    "less_than_equal": "{value} is above {le}",
    "less_than": "{value} must be below {lt}",
    "string_too_long": "is longer than {max_length} characters",
}


def _describe(error: ErrorDetails, layers: _Layers) -> str:
    loc = list(error["loc"])
    ctx = error.get("ctx") or {}
    if not loc and "keys" in ctx:
        # A rule across keys, raised by Settings._consistent.
        names = [layers.display(key.split(".")) for key in str(ctx["keys"]).split(",")]
        return _bullet(" + ".join(names), error["msg"], str(ctx.get("fix", f"see {DOCS}")))
    parts = [part for part in loc if isinstance(part, str)]
    # Indexes of list items follow the key they belong to.
    indexes = "".join(f"[{part}]" for part in loc if isinstance(part, int))
    key = layers.display(parts) + indexes
    path = ".".join(parts)
    if error["type"] == "extra_forbidden":
        # Only a PLEXRATE_SECTION__KEY variable gets here: _normalise checks file keys and flags.
        parent = _field_info(parts[:-1])
        model = (_nested_model(parent) if parent is not None else None) or Settings
        leaf = _suggest(parts[-1].lower(), model, nested=False)
        suggestion = _env_var([*parts[:-1], leaf]) if leaf else None
        return _bullet(key, "is not a plexrate setting", _unknown_key_fix(suggestion))
    template = _PROBLEMS.get(error["type"])
    if template is None:
        problem = error["msg"]
    else:
        bounds = {
            name: f"{value:g}"
            for name, value in ctx.items()
            if name in ("ge", "gt", "le", "lt", "max_length")
        }
        problem = template.format_map({**bounds, "value": _shown(error.get("input"), path)})
    return _bullet(key, problem, _expected(parts))


def refuse_overwrite(path: Path, *, force: bool) -> None:
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists", hint="pass --force to replace it")


def write_config(
    path: Path,
    *,
    plex_url: str,
    plex_token: str,
    library_name: str = "Music",
    force: bool = False,
) -> Path:
    """Write a complete config file atomically, readable only by its owner (it holds the token).

    The values are validated first, so the file written always loads. Returns the absolute path.
    """
    path = path.expanduser().absolute()
    refuse_overwrite(path, force=force)
    document = example_config(plex_url=plex_url, plex_token=plex_token, library_name=library_name)
    layers = _Layers()
    values = _normalise(
        {key: value for key, value in document.items() if key != "version"},
        Settings,
        problems=layers.problems,
        spelled=layers.spelled,
    )
    _validate(values, layers)
    if layers.problems:
        raise ConfigError("cannot write the config:\n" + "\n".join(layers.problems))
    # The file holds a token: keep it 0600 (atomic_writer never exposes it with wider rights).
    with atomic_writer(path, mode=0o600) as handle:
        json.dump(document, handle, indent=4, ensure_ascii=False)
        handle.write("\n")
    return path
