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

from plexrate.settings.constants import (
    CONFIG_ENV,
    CONFIG_FILENAME,
    CONFIG_VERSION,
    DOCS,
    ENV_PREFIX,
    MAX_PAGE_SIZE,
    MAX_SLEEP,
    MAX_TAG_LENGTH,
    PLACEHOLDER_TOKEN,
    PLACEHOLDER_URL,
    Source,
)
from plexrate.settings.fields import RatingWriteMode, StateJournalMode, check_plex_url
from plexrate.settings.keys import (
    SECRET_SETTINGS,
    UNSET_IN_NEW_CONFIGS,
    SettingKey,
    example_config,
    public_config,
    public_value,
    setting_keys,
)
from plexrate.settings.loading import LoadedSettings, load_settings
from plexrate.settings.locations import (
    ConfigLocation,
    ConfigSource,
    PlatformFolders,
    default_log_file,
    find_config,
    locate_config,
)
from plexrate.settings.models import Settings, TwinLogic, UpwardExclusionRules
from plexrate.settings.writing import write_config

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILENAME",
    "CONFIG_VERSION",
    "DOCS",
    "ENV_PREFIX",
    "MAX_PAGE_SIZE",
    "MAX_SLEEP",
    "MAX_TAG_LENGTH",
    "PLACEHOLDER_TOKEN",
    "PLACEHOLDER_URL",
    "SECRET_SETTINGS",
    "UNSET_IN_NEW_CONFIGS",
    "ConfigLocation",
    "ConfigSource",
    "LoadedSettings",
    "PlatformFolders",
    "RatingWriteMode",
    "SettingKey",
    "Settings",
    "Source",
    "StateJournalMode",
    "TwinLogic",
    "UpwardExclusionRules",
    "check_plex_url",
    "default_log_file",
    "example_config",
    "find_config",
    "load_settings",
    "locate_config",
    "public_config",
    "public_value",
    "setting_keys",
    "write_config",
]
