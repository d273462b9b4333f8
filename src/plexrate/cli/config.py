"""``plexrate config``: write a starting config file and show the settings in effect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from plexrate.cli.context import get_app
from plexrate.cli.options import (
    ConfigOpt,
    DryRunOpt,
    ForceOpt,
    JsonOpt,
    LibraryOpt,
    YesOpt,
    refuse_overwrite,
)
from plexrate.errors import UsageError
from plexrate.fileio import expand_user
from plexrate.settings import (
    CONFIG_ENV,
    CONFIG_FILENAME,
    PLACEHOLDER_URL,
    PlatformFolders,
    check_plex_url,
    public_config,
    public_value,
    setting_keys,
    write_config,
)

TOKEN_HELP_URL = (
    "https://support.plex.tv/articles/204059436-finding-an-authentication-token-x-plex-token/"
)

config_app = typer.Typer(
    name="config",
    help="Write a starting config file and show the settings in effect.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _url(value: str) -> str:
    try:
        return check_plex_url(value)
    except ValueError as exc:
        raise typer.BadParameter(f"the URL {exc}; for example {PLACEHOLDER_URL}") from None


def _token(value: str) -> str:
    value = value.strip()
    if not value or any(ch.isspace() for ch in value):
        raise typer.BadParameter("the token must be one word without spaces")
    return value


@config_app.command("init")
def init(
    ctx: typer.Context,
    *,
    path: Annotated[
        Path | None,
        typer.Argument(
            envvar=CONFIG_ENV,
            show_default=False,
            help="Where to write the config (default: ./config.json).",
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", show_default=False, help=f"The Plex server, e.g. {PLACEHOLDER_URL}."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="PLEXRATE_PLEX_TOKEN",
            show_default=False,
            help="Your Plex token; prefer the environment variable, which stays out of history.",
        ),
    ] = None,
    library: LibraryOpt = None,
    yes: YesOpt = False,
    force: ForceOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Write a config file: every setting at its default, plus your server.

    Asks for the server URL, the token (typed hidden) and the library name,
    unless they are given as flags. With --yes nothing is asked, and --url
    and --token are required. The file is readable only by you, because it
    holds the token; an existing file is replaced only with --force.

    Example: plexrate config init --url http://192.168.1.20:32400 --library Music
    """
    app = get_app(ctx)
    target = expand_user(path or Path(CONFIG_FILENAME)).absolute()
    # Refuse before asking anything, so nobody types a token for nothing.
    refuse_overwrite(target, force=force)
    if yes:
        missing = [flag for flag, value in (("--url", url), ("--token", token)) if not value]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise UsageError(
                f"{' and '.join(missing)} {verb} required with --yes",
                hint="the token may come from PLEXRATE_PLEX_TOKEN instead, out of shell history",
            )
    else:
        if url is None:
            url = typer.prompt("Plex server URL", default=PLACEHOLDER_URL, value_proc=_url)
        if token is None:
            app.err.print(
                f"Finding your Plex token: {TOKEN_HELP_URL}", markup=False, soft_wrap=True
            )
            token = typer.prompt("Plex token (input hidden)", hide_input=True, value_proc=_token)
        if library is None:
            library = typer.prompt("Music library name", default="Music")
    assert url is not None and token is not None
    written = write_config(
        target, plex_url=url, plex_token=token, library_name=library or "Music", force=force
    )

    if json_output:
        app.out.print_json(json.dumps({"config_path": str(written)}))
        return
    where = "" if written == Path.cwd() / CONFIG_FILENAME else f" --config {written}"
    app.err.print(
        f"Wrote {written} (only you can read it: it holds your Plex token).\n"
        "Next steps:\n"
        f"  plexrate config check{where}    # connect and find the library\n"
        f"  plexrate run --dry-run{where}   # see what plexrate would write, writing nothing",
        markup=False,
        soft_wrap=True,
    )


@config_app.command("show")
def show(
    ctx: typer.Context,
    *,
    config: ConfigOpt = None,
    library: LibraryOpt = None,
    dry_run: DryRunOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Show the settings in effect and where each came from.

    Each value comes from a flag, the environment, the config file or the
    defaults. The token is shown as *** (or "(not set)"). --library and
    --dry-run/--apply show how those flags change the settings of a command.

    Example: plexrate config show --json
    """
    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library, "dry_run": dry_run})
    loaded = app.loaded
    assert loaded is not None
    config_path = str(loaded.config_path) if loaded.config_path else None

    if json_output:
        document = {
            "config_path": config_path,
            "settings": public_config(settings),
            "sources": {key.file_key: loaded.sources[key.path] for key in setting_keys()},
        }
        app.out.print_json(json.dumps(document, ensure_ascii=False))
        return

    app.out.print(
        f"Config file: {config_path or 'none (defaults, environment and flags only)'}",
        markup=False,
    )
    table = Table(box=None, pad_edge=False)
    table.add_column("Key", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("Source", overflow="fold")
    for key in setting_keys():
        source = loaded.sources[key.path]
        origin = f"env {key.env_var}" if source == "env" else source
        value = public_value(settings, key)
        shown = (
            "(not set: adaptive pacing)"
            if value is None and key.path.startswith("cooldown_")
            else _text(value)
        )
        table.add_row(key.file_key, shown, origin)
    app.out.print(table)


@config_app.command("path")
def path_command(
    ctx: typer.Context,
    *,
    config: ConfigOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Show where plexrate reads its config and keeps its state and log.

    The config is the first of: --config, PLEXRATE_CONFIG, ./config.json, then config.json in
    your platform's config folder. The state sits beside the config (in the platform's data
    folder when the config is in its config folder); the log goes to the platform's log
    folder unless LOG_FILE says otherwise.

    Example: plexrate config path --json
    """
    app = get_app(ctx)
    settings = app.load_settings(config)
    loaded = app.loaded
    assert loaded is not None
    folders = PlatformFolders.current()
    searched = ["--config", CONFIG_ENV, str(Path.cwd() / CONFIG_FILENAME), str(folders.config_file)]
    document = {
        "config": {
            "path": None if loaded.config_path is None else str(loaded.config_path),
            "found_by": loaded.found_by,
            "searched": searched,
        },
        "state": str(settings.state_path),
        "legacy_state": str(settings.legacy_state_path),
        "log_file": None if settings.log_file is None else str(settings.log_file),
        "platform": {
            "config": str(folders.config),
            "data": str(folders.data),
            "log": str(folders.log),
        },
    }
    if json_output:
        app.out.print_json(json.dumps(document, ensure_ascii=False))
        return
    found = {
        "--config": "named by --config",
        "PLEXRATE_CONFIG": f"named by {CONFIG_ENV}",
        "working folder": "found in the working folder",
        "platform": "found in the platform's config folder",
    }
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column("What", no_wrap=True)
    table.add_column("Where", overflow="fold")
    if loaded.config_path is None:
        table.add_row("Config file", "none (looked for " + ", ".join(searched) + ")")
    else:
        table.add_row("Config file", f"{loaded.config_path} ({found[str(loaded.found_by)]})")
    table.add_row("State", str(settings.state_path))
    table.add_row("Old tool's state", str(settings.legacy_state_path))
    table.add_row(
        "Log file", "none (LOG_FILE)" if settings.log_file is None else str(settings.log_file)
    )
    table.add_row("Platform config", str(folders.config))
    table.add_row("Platform data", str(folders.data))
    table.add_row("Platform log", str(folders.log))
    app.out.print(table)


def _text(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    if value == "":
        return '""'
    return str(value)


@config_app.command("check")
def check(
    ctx: typer.Context,
    *,
    config: ConfigOpt = None,
    library: LibraryOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Connect to Plex and report the server, the music library and its item counts.

    Exits 0 when everything is reachable, 3 for a configuration problem (no URL or token, unknown
    library, a certificate that fails) and 4 when Plex cannot be reached or refuses the token.
    `plexrate doctor` checks more: whose token it is, the page size, how ratings are stored.

    Example: plexrate config check --library "Music"
    """
    from plexrate.doctor.usecases import check_connection

    app = get_app(ctx)
    settings = app.load_settings(config, {"library_name": library})
    checked = check_connection(settings)
    report = checked.document
    if json_output:
        app.out.print_json(json.dumps(report))
        return
    server, where = report["server"], report["library"]
    table = Table(title=None, show_header=False, box=None, pad_edge=False)
    table.add_row("Server", f"{server['name']} (Plex {server['version']}) at {report['url']}")
    table.add_row("Library", f"{where['title']} (uuid {where['uuid']})")
    for name, count in checked.counts.items():
        table.add_row(name.capitalize(), f"{count:,}")
    app.out.print(table)
    app.err.print("[green]OK[/] plexrate can reach this library. Next: plexrate run --dry-run")
    if not checked.doctor_ran():
        app.err.print(
            "Before the first big run, `plexrate doctor` checks what plexrate will do on this "
            "server (token rights, page size, how ratings are stored) and remembers it."
        )
