"""The use cases of ``plexrate report``: one report of a session's library, and its file.

Every report starts from the same classification of the snapshot (``analyse``); which report is
built from it is the command's choice (``make``: ``coverage``, ``histogram``, ...).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from plexrate.engine import Inference
from plexrate.fileio import atomic_writer
from plexrate.model import LibrarySnapshot
from plexrate.reports import Report, analyse, document
from plexrate.reports.views import exported, plain_text
from plexrate.session import Session


def build_report(session: Session, make: Callable[[Inference], Report]) -> Report:
    """Classify the session's library once and build one report from it."""
    inference = analyse(
        session.snapshot, owned=session.owned(), config=session.settings.engine_config()
    )
    return make(inference)


class OutputFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"
    HTML = "html"
    SVG = "svg"


def output_format(path: Path) -> OutputFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "htm":
        return OutputFormat.HTML
    if suffix in {"csv", "json", "html", "svg"}:
        return OutputFormat(suffix)
    return OutputFormat.TEXT


def write_report_file(path: Path, report: Report, *, snapshot: LibrarySnapshot) -> OutputFormat:
    """Write ``report`` to ``path`` in the format its extension names; returns that format."""
    kind = output_format(path)
    if kind == OutputFormat.CSV:
        with atomic_writer(path, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(report.csv_header())
            writer.writerows(report.csv_rows())
    elif kind == OutputFormat.JSON:
        with atomic_writer(path) as handle:
            json.dump(document(report, snapshot=snapshot), handle, ensure_ascii=False, indent=2)
            handle.write("\n")
    elif kind in (OutputFormat.HTML, OutputFormat.SVG):
        title = f"plexrate {report.name} of {snapshot.section_title}"
        text = exported(report, kind.value, title=title)
        with atomic_writer(path) as handle:
            handle.write(text)
    else:
        text = plain_text(report)
        with atomic_writer(path) as handle:
            handle.write(text)
    return kind
