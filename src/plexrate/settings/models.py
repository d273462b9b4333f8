"""The settings models: ``Settings`` and its two sections, with the rules across keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

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
from plexrate.redact import register_secret
from plexrate.settings.constants import ENV_PREFIX, MAX_PAGE_SIZE, MAX_SLEEP, PLACEHOLDER_TOKEN
from plexrate.settings.fields import (
    FILE_KEYS,
    FilePath,
    Number,
    OptionalPath,
    RatingWriteMode,
    StateJournalMode,
    Tag,
    Whole,
    Words,
    check_plex_url,
    normalised_choice,
    secret_text,
)

WATCH_SECRET_MIN = 16
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=FILE_KEYS, hide_input_in_errors=True
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
    match: Annotated[KeywordMatch, BeforeValidator(normalised_choice)] = KeywordMatch.WORD


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
        alias_generator=FILE_KEYS,
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
    state_journal_mode: Annotated[StateJournalMode, BeforeValidator(normalised_choice)] = (
        StateJournalMode.AUTO
    )
    journal_keep_runs: Whole = Field(30, ge=0, le=1_000_000)
    whole_read_hours: Number = Field(168.0, ge=0, le=100_000)
    inference_model: Annotated[InferenceModel, BeforeValidator(normalised_choice)] = (
        InferenceModel.HIERARCHICAL
    )
    artist_evidence: Annotated[ArtistEvidence, BeforeValidator(normalised_choice)] = (
        ArtistEvidence.DERIVED
    )
    fill_without_evidence: bool = True
    rating_step: Number = Field(0.0, ge=0, le=2)
    rating_write_mode: Annotated[RatingWriteMode, BeforeValidator(normalised_choice)] = (
        RatingWriteMode.AUTO
    )
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
        value = secret_text(value)
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
        value = secret_text(value)
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
