"""Generate ``docs/commands.md`` from the registered command tree.

``python -m plexrate.cli.docgen > docs/commands.md`` rewrites it; a test fails when the file and
the commands differ, so the reference cannot drift from the code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import typer

HEADER = """# Command reference

Generated from the command definitions by `python -m plexrate.cli.docgen > docs/commands.md`;
a test fails when this file and the commands disagree. Every command also prints this with `-h`.

Exit codes everywhere: 0 ok, 1 error (or, for `admin verify`, inconsistencies found), 2 usage,
3 configuration (including an unknown library), 4 Plex unreachable or refusing the token,
130 interrupted.
"""


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command below ``command`` (depth first, in registration order), with its path."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    if path:
        yield path, command
    for name, sub in subcommands.items():
        if getattr(sub, "hidden", False):
            continue
        yield from walk(sub, (*path, name))


def _option_row(param: Any) -> str | None:
    if getattr(param, "hidden", False) or param.name in {"help"}:
        return None
    if param.param_type_name == "argument":
        names = f"`{(param.metavar or param.name).upper()}`"
    else:
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    help_text = " ".join((getattr(param, "help", None) or "").split())
    default = getattr(param, "default", None)
    extra = []
    if (
        param.param_type_name == "option"
        and default not in (None, False, (), "")
        and not callable(default)
    ):
        extra.append(f"default: `{default}`")
    envvar = getattr(param, "envvar", None)
    if envvar:
        extra.append(f"env: `{envvar}`")
    if extra:
        help_text = f"{help_text} ({'; '.join(extra)})" if help_text else "; ".join(extra)
    escaped = help_text.replace("|", "\\|")
    return f"| {names} | {escaped} |"


def render(root: Any) -> str:
    lines = [HEADER]
    for path, command in walk(root):
        name = "plexrate " + " ".join(path)
        is_group = getattr(command, "commands", None) is not None
        lines.append(f"{'##' if len(path) == 1 else '###'} `{name}`")
        lines.append("")
        text = (command.help or "").strip()
        if text:
            lines.append(text)
            lines.append("")
        if is_group:
            names = [n for n, c in command.commands.items() if not getattr(c, "hidden", False)]
            lines.append("Subcommands: " + ", ".join(f"`{n}`" for n in names) + ".")
            lines.append("")
            continue
        rows = [row for p in command.params if (row := _option_row(p)) is not None]
        if rows:
            lines.append("| Option | Meaning |")
            lines.append("|---|---|")
            lines.extend(rows)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def generate() -> str:
    from plexrate.cli.app import app

    return render(typer.main.get_command(app))


if __name__ == "__main__":
    sys.stdout.write(generate())
