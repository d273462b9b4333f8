"""Every validation error names the key as written and says how to fix it; the token never shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plexrate.errors import ConfigError, ExitCode
from plexrate.settings import Settings, load_settings, write_config

TOKEN = "tok-Walrus-Indigo-9083"
GOOD = {"PLEX_URL": "http://192.168.1.20:32400", "PLEX_TOKEN": TOKEN}


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def problems(
    tmp_path: Path,
    document: Any = None,
    *,
    text: str | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> str:
    """The ConfigError message for this config; fails the test if loading succeeds."""
    config = tmp_path / "config.json"
    config.write_text(text if text is not None else json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=config, environ=environ or {}, overrides=overrides)
    assert caught.value.exit_code == ExitCode.CONFIG
    message = str(caught.value)
    assert TOKEN not in message
    return message


def bullets(message: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("• ")]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("CONFIDENCE_C", -1, "• CONFIDENCE_C: -1 is below 0 — set a number ≥ 0 (default 3.0)"),
        (
            "ALBUM_INHERITANCE_GRAVITY",
            1.5,
            "• ALBUM_INHERITANCE_GRAVITY: 1.5 is above 1 — set a number from 0 to 1 (default 0.8)",
        ),
        (
            "TRACK_INHERITANCE_GRAVITY",
            -0.1,
            "• TRACK_INHERITANCE_GRAVITY: -0.1 is below 0 — set a number from 0 to 1 (default 0.3)",
        ),
        ("RATING_STEP", 2.5, "• RATING_STEP: 2.5 is above 2 — set a number from 0 to 2"),
        (
            "RATING_STEP",
            0.25,
            "• RATING_STEP: must be 0 or a multiple of 0.1 (Plex keeps one decimal)",
        ),
        ("PAGE_SIZE", 20, "• PAGE_SIZE: 20 is below 50 — set a whole number from 50 to 1000"),
        ("PAGE_SIZE", 2000, "• PAGE_SIZE: 2000 is above 1000 — set a whole number from 50 to 1000"),
        ("WRITE_BATCH_SIZE", 0, "• WRITE_BATCH_SIZE: 0 is below 1 — set a whole number from 1"),
        ("RETRIES", 21, "• RETRIES: 21 is above 20 — set a whole number from 0 to 20 (default 5)"),
        ("TIMEOUT", 0, "• TIMEOUT: 0 must be above 0 — set a number > 0 and ≤ 3600 (default 30.0)"),
        ("DRY_RUN", "perhaps", '• DRY_RUN: "perhaps" is not true or false — set true or false'),
        ("CONFIDENCE_C", True, "• CONFIDENCE_C: true is not a number — set a number ≥ 0"),
        ("CONFIDENCE_C", "three", '• CONFIDENCE_C: "three" is not a number'),
        ("COOLDOWN_BATCH", 2.5, "• COOLDOWN_BATCH: 2.5 is not a whole number — set a whole number"),
        ("LIBRARY_NAME", 7, '• LIBRARY_NAME: 7 is not text — set text (default "Music")'),
        ("LIBRARY_NAME", "  ", "• LIBRARY_NAME: is empty — set text"),
        (
            "ARTIST_EVIDENCE",
            "both",
            '• ARTIST_EVIDENCE: "both" is not one of the choices — set one of',
        ),
        ("RATING_WRITE_MODE", "fast", 'set one of auto, edit, rate (default "auto")'),
        ("TWIN_LOGIC", 5, "• TWIN_LOGIC: 5 is not an object of keys — write an object of its keys"),
        ("INFERRED_TAG", "a,b", "• INFERRED_TAG: contains a comma, which Plex reads as"),
        ("STATE_PATH", "", "• STATE_PATH: is empty — set a file path"),
        ("STATE_PATH", 3, "• STATE_PATH: 3 is not a file path"),
        (
            "WATCH_SECRET",
            "short",
            "(it is part of a URL) — leave it out and `plexrate watch --webhook` makes one",
        ),
    ],
)
def test_a_bad_value_names_the_key_and_the_fix(
    tmp_path: Path, key: str, value: Any, expected: str
) -> None:
    message = problems(tmp_path, {**GOOD, key: value})
    (bullet,) = bullets(message)
    assert bullet.startswith(expected) or expected in bullet, bullet
    assert " — " in bullet
    assert "null" not in bullet  # a key without a default says so in words


def test_nested_keys_and_list_items_are_named_as_written(tmp_path: Path) -> None:
    message = problems(
        tmp_path,
        {
            **GOOD,
            "TWIN_LOGIC": {"DURATION_TOLERANCE_SEC": -5, "EXCLUDE_KEYWORDS": ["live", 3]},
            "upward_exclusion_rules": {"keywords": ["intro", " "]},
        },
    )
    assert bullets(message) == [
        "• TWIN_LOGIC.DURATION_TOLERANCE_SEC: -5 is below 0 — set a number ≥ 0 (default 5.0)",
        "• TWIN_LOGIC.EXCLUDE_KEYWORDS[1]: 3 is not text — "
        'set a list of words, e.g. ["live", "demo"]',
        "• upward_exclusion_rules.keywords: contains an empty keyword, which would match every "
        'title — set a list of words, e.g. ["live", "demo"]',
    ]


def test_weights_that_sum_to_zero(tmp_path: Path) -> None:
    message = problems(tmp_path, {**GOOD, "WEIGHT_CRITIC": 0, "WEIGHT_GLOBAL": 0})
    assert bullets(message) == [
        "• WEIGHT_CRITIC + WEIGHT_GLOBAL: are both 0, which leaves the prior undefined — "
        "set WEIGHT_GLOBAL above 0 (default 1.0)"
    ]


def test_twin_tag_must_differ_from_the_inferred_tag(tmp_path: Path) -> None:
    message = problems(tmp_path, {**GOOD, "TWIN_LOGIC": {"TWIN_TAG": "rating_inferred"}})
    (bullet,) = bullets(message)
    assert bullet.startswith("• INFERRED_TAG + TWIN_LOGIC.TWIN_TAG: name the same tag")
    assert "give TWIN_TAG another name" in bullet


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("plex.local:32400", "must start with http:// or https://"),
        ("ftp://plex.local", "must start with http:// or https://"),
        ("http://:32400", "has no host name"),
        ("http://plex.local:99999", "has a port that is not a number"),
        ("http://plex.local:port", "has a port that is not a number"),
        ("http://plex.local:32400/web", "must not have anything after host[:port]"),
        (f"http://h:32400/?X-Plex-Token={TOKEN}", "must not have anything after host[:port]"),
        (f"http://me:{TOKEN}@h:32400", "must not contain a user name or password"),
        ("http://plex local", "contains spaces"),
    ],
)
def test_a_malformed_plex_url_is_explained_without_echoing_it(
    tmp_path: Path, url: str, problem: str
) -> None:
    message = problems(tmp_path, {**GOOD, "PLEX_URL": url})
    (bullet,) = bullets(message)
    assert bullet.startswith(f"• PLEX_URL: {problem}")
    assert "e.g. http://127.0.0.1:32400" in bullet
    assert url not in message


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://plex.local:32400/", "http://plex.local:32400"),
        ("HTTPS://Plex.Local", "https://Plex.Local"),
        ("http://[::1]:32400", "http://[::1]:32400"),
        ("  ", None),
    ],
)
def test_good_urls_are_normalised(url: str, stored: str | None) -> None:
    assert Settings(plex_url=url).plex_url == stored


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("LIBRAY_NAME", "LIBRARY_NAME"),
        ("Plex_Url", "PLEX_URL"),
        ("confidence", "confidence_c"),
        ("TWIN_TAG", "TWIN_LOGIC.TWIN_TAG"),
        ("MIN_DURATION", "UPWARD_EXCLUSION_RULES.MIN_DURATION_SEC"),
    ],
)
def test_an_unknown_key_suggests_the_closest_known_one(
    tmp_path: Path, key: str, suggestion: str
) -> None:
    message = problems(tmp_path, {**GOOD, key: 1})
    assert bullets(message) == [
        f"• {key}: is not a plexrate setting — did you mean {suggestion}? "
        "(all keys are listed in docs/settings.md)"
    ]


def test_an_unknown_nested_key_suggests_within_its_section(tmp_path: Path) -> None:
    message = problems(tmp_path, {**GOOD, "TWIN_LOGIC": {"ENABLD": True}})
    assert "• TWIN_LOGIC.ENABLD: is not a plexrate setting — did you mean TWIN_LOGIC.ENABLED?" in (
        message
    )


def test_an_unknown_key_with_nothing_close(tmp_path: Path) -> None:
    (bullet,) = bullets(problems(tmp_path, {**GOOD, "XYZZY": 1}))
    assert bullet == (
        "• XYZZY: is not a plexrate setting — remove it, or check the spelling against "
        "docs/settings.md"
    )


def test_a_key_given_twice(tmp_path: Path) -> None:
    text = '{"DRY_RUN": false, "dry_run": true, "RETRIES": 1, "RETRIES": 2}'
    assert bullets(problems(tmp_path, text=text)) == [
        "• RETRIES: appears more than once in the file — keep one (JSON silently uses the last)",
        "• dry_run: is given twice (also as DRY_RUN) — keep one",
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = problems(
        tmp_path,
        {**GOOD, "CONFIDENCE_C": -1, "LIBRAY_NAME": "x", "DRY_RUN": "perhaps", "RETRIES": 99},
    )
    assert message.splitlines()[0] == (
        f"4 problems in the settings (config file {(tmp_path / 'config.json').resolve()}):"
    )
    assert len(bullets(message)) == 4


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        # The wording of most syntax errors is the interpreter's; the place is plexrate's
        # behaviour. A trailing comma is placed and worded by plexrate itself: Python 3.11
        # points at the bracket after it, 3.13 at the comma.
        ('{\n  "PLEX_URL": "http://h:1"\n  "DRY_RUN": true\n}', "line 3, column 3", ""),
        ('{\n  "DRY_RUN": true,\n}', "line 2, column 18", "a comma before the closing }"),
        ('{"KEYWORDS": ["a", "b" ,\n\n  ]}', "line 1, column 24", "a comma before the closing ]"),
        ("", "line 1, column 1", "the file is empty"),
        ("{'DRY_RUN': true}", "line 1, column 2", ""),
    ],
)
def test_unreadable_json_gives_line_and_column(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    message = problems(tmp_path, text=text)
    assert message.splitlines()[0].endswith("is not valid JSON:")
    (bullet,) = bullets(message)
    assert bullet.startswith(f"• {where}: {what}")
    problem = bullet.removeprefix(f"• {where}: ").split(" — ")[0]
    assert problem.strip()
    assert " — " in bullet


@pytest.mark.parametrize(
    ("text", "kind"), [("[1, 2]", "a list"), ('"PLEX_URL"', "a string"), ("42", "a number")]
)
def test_a_config_that_is_not_an_object(tmp_path: Path, text: str, kind: str) -> None:
    (bullet,) = bullets(problems(tmp_path, text=text))
    assert bullet.startswith(f"• config.json: holds {kind}, not a JSON object — ")


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings(config_path=tmp_path, environ={})


def test_env_and_flag_errors_name_the_variable_and_the_flag(tmp_path: Path) -> None:
    message = problems(
        tmp_path,
        GOOD,
        environ={
            "PLEXRATE_TIMEOUT": "soon",
            "PLEXRATE_TWIN_LOGIC__DURATION_TOLERANCE_SEC": "-1",
            "PLEXRATE_TWIN_LOGIC__ENABLD": "true",
        },
        overrides={"retries": 50, "no_such_flag": 1},
    )
    assert set(bullets(message)) == {
        '• PLEXRATE_TIMEOUT: "soon" is not a number — set a number > 0 and ≤ 3600 (default 30.0)',
        '• PLEXRATE_TWIN_LOGIC__DURATION_TOLERANCE_SEC: "-1" is below 0 — set a number ≥ 0 '
        "(default 5.0)",
        "• PLEXRATE_TWIN_LOGIC__ENABLD: is not a plexrate setting — did you mean "
        "PLEXRATE_TWIN_LOGIC__ENABLED? "
        "(all keys are listed in docs/settings.md)",
        "• retries (command line): 50 is above 20 — set a whole number from 0 to 20 (default 5)",
        "• no_such_flag: is not a plexrate setting — remove it, or check the spelling against "
        "docs/settings.md",
    }


def test_an_env_section_that_is_not_json(tmp_path: Path) -> None:
    (bullet,) = bullets(problems(tmp_path, GOOD, environ={"PLEXRATE_TWIN_LOGIC": "{oops"}))
    assert bullet.startswith("• environment: a PLEXRATE_* variable could not be read")
    assert "PLEXRATE_TWIN_LOGIC='{" in bullet


# -- the token never appears -------------------------------------------------------------------

BROKEN_WITH_TOKEN: list[dict[str, Any]] = [
    {**GOOD, "PLEX_TOKEN": f"{TOKEN} extra"},  # the token field itself is invalid
    {**GOOD, "PLEX_TOKEN": [TOKEN]},  # wrong type
    {**GOOD, "CONFIDENCE_C": -1},  # another key is invalid
    {**GOOD, "PLEX_URL": f"http://h:1/?X-Plex-Token={TOKEN}"},
    {**GOOD, "PLEX_TOKN": TOKEN},  # a misspelt key holding the token
    {**GOOD, "TWIN_LOGIC": {"TWIN_TAG": TOKEN, "ENABLD": TOKEN}},
]


@pytest.mark.parametrize("document", BROKEN_WITH_TOKEN)
def test_the_token_is_in_no_error_message(tmp_path: Path, document: dict[str, Any]) -> None:
    message = problems(tmp_path, document)  # asserts TOKEN is absent
    assert "Walrus" not in message


@pytest.mark.parametrize(
    "environ",
    [
        {"PLEXRATE_PLEX_TOKEN": f"{TOKEN}\n{TOKEN}"},
        {"PLEXRATE_PLEX_TOKEN": TOKEN, "PLEXRATE_PLEX_URL": f"http://{TOKEN}@h"},
        {"PLEXRATE_PLEX_TOKEN": TOKEN, "PLEXRATE_RETRIES": TOKEN},
    ],
)
def test_the_token_from_the_environment_is_in_no_error_message(
    tmp_path: Path, environ: dict[str, str]
) -> None:
    message = problems(tmp_path, {}, environ=environ)
    assert "Walrus" not in message


def test_the_token_is_in_no_repr_or_dump(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(GOOD), encoding="utf-8")
    loaded = load_settings(config_path=config, environ={})
    for text in (
        repr(loaded),
        str(loaded.settings),
        repr(loaded.settings.plex_token),
        loaded.settings.model_dump_json(),
        json.dumps(loaded.settings.model_dump(mode="json")),
    ):
        assert TOKEN not in text
    assert loaded.settings.plex_token is not None
    assert loaded.settings.plex_token.get_secret_value() == TOKEN


def test_the_token_is_registered_for_redaction_as_soon_as_it_is_read(tmp_path: Path) -> None:
    from plexrate.redact import redact

    token = "tok-Registered-Early-7731"
    config = tmp_path / "config.json"
    # The file fails validation elsewhere; the token must be known to the redactor all the same.
    config.write_text(json.dumps({"PLEX_TOKEN": token, "RETRIES": -1}), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(config_path=config, environ={})
    assert redact(f"x {token} y") == "x *** y"


def test_write_config_validates_before_writing(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    with pytest.raises(ConfigError) as caught:
        write_config(target, plex_url="plex.local", plex_token=TOKEN, library_name="")
    assert bullets(str(caught.value)) == [
        "• PLEX_URL: must start with http:// or https:// followed by the server's address — "
        "set the server's address, e.g. http://127.0.0.1:32400",
        '• LIBRARY_NAME: is empty — set text (default "Music")',
    ]
    assert TOKEN not in str(caught.value)
    assert not target.exists()


def test_a_near_miss_of_a_v1_5_key_still_gets_a_suggestion(tmp_path: Path) -> None:
    # v1.5's keys are settings now; a key no release knows stays an error with a suggestion.
    (bullet,) = bullets(problems(tmp_path, {**GOOD, "HIJACK_INTEGER_ONLI": True}))
    assert "did you mean HIJACK_INTEGER_ONLY?" in bullet
    (bullet,) = bullets(problems(tmp_path, {**GOOD, "COOLDOWN_SLEEP_SINGEL": 1}))
    assert "did you mean COOLDOWN_SLEEP_SINGLE?" in bullet
