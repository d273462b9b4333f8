"""Check a parsed bulk CSV against the live library and turn its edits into a Plan.

Every row is compared with the snapshot read just now, not with the file as exported, so an
unedited export plans nothing, and a rerun after an interrupted import skips what already landed.
Per row ("changed" = more than 0.005 stars, i.e. 0.01 on Plex's scale, from Plex's value):

* userRating changed: it becomes the person's rating, whatever ratingType says; plexrate's claim
  and tags go. An edited row still marked ``inferred`` (the old tool's trap) is warned about.
* userRating emptied (or 0) on a rated item: the rating is cleared, claim and tags go.
* unchanged, ``inferred``, and not plexrate's: handed back to inference (ownership only, plus the
  inferred tag); the next run recomputes its value.
* unchanged, ``manual``, and plexrate's: the person claims it; the claim and tags go.
* albums: a releaseYear that differs from the album's year sets ``originallyAvailableAt``.

A row that would change the rating or the ownership of an item whose rating changed in Plex
after the file was last saved is stale and left alone, with a warning: the file cannot know the
newer value, and re-importing the same file must not undo what the first import (or a run since)
wrote. "Changed after" is read from Plex's ``lastRatedAt`` and, independently of Plex's clock,
from plexrate's own journal: a rerun of an interrupted import must skip the rows it applied even
when Plex's clock runs behind this machine's (the file's mtime is this machine's time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from plexrate.bulk.columns import KEY, YEAR, RatingType, article
from plexrate.bulk.reader import CsvFile, CsvRow, Problem
from plexrate.errors import InputFileError
from plexrate.model import (
    Album,
    Change,
    Item,
    LibrarySnapshot,
    OwnedItem,
    Phase,
    Plan,
    label,
    plex_rating,
)
from plexrate.wording import stars_or_unrated

CHANGE_TOLERANCE = 0.01
"""On Plex's 0–10 scale: a CSV value within 0.005 stars of Plex's is unchanged (the file keeps
three decimals of stars, so an exported value always re-imports as unchanged)."""
MIN_YEAR = 1000
_SLACK = 1e-9


class BulkInputError(InputFileError):
    """The CSV has problems; ``problems`` lists every one, with its row and column."""

    def __init__(self, problems: Sequence[Problem], *, source: str, fatal: bool) -> None:
        self.problems = tuple(problems)
        self.fatal = fatal
        rows = len({p.row for p in self.problems if p.row is not None})
        if fatal or len(self.problems) == 1:
            message = f"{source}: {self.problems[0]}"
        else:
            message = (
                f"{source}: {len(self.problems):,} problems in {rows:,} "
                f"row{'s' if rows != 1 else ''} (first: {self.problems[0]})"
            )
        hint = (
            None
            if fatal
            else "nothing was written; fix the rows and import again, or pass --skip-invalid "
            "to import only the valid rows"
        )
        super().__init__(message, hint=hint)


@dataclass(frozen=True, slots=True)
class ImportPlan:
    plan: Plan
    skipped: tuple[Problem, ...] = ()
    """Problems of the rows left out under ``skip_invalid``."""
    warnings: tuple[str, ...] = ()
    """Rows applied otherwise than they say (an edited row still marked inferred)."""


def library_problems(
    csv_file: CsvFile, snapshot: LibrarySnapshot, *, max_year: int | None = None
) -> list[Problem]:
    """Keys the library does not have or holds as another type; implausible new years."""
    item_type = csv_file.item_type
    top_year = max_year if max_year is not None else dt.date.today().year + 1
    problems: list[Problem] = []
    keys = [(r.row, r.key) for r in csv_file.rows]
    keys.extend(csv_file.invalid_keys.items())
    for row, key in keys:
        item = snapshot.item(key)
        if item is None:
            problems.append(
                Problem(
                    row,
                    KEY,
                    f"ratingKey {key} is not in library {snapshot.section_title!r} "
                    "(deleted, or the file is from another library)",
                )
            )
        elif item.item_type is not item_type:
            problems.append(
                Problem(
                    row,
                    KEY,
                    f"ratingKey {key} is {article(item.item_type.value)} ({label(item)}), not "
                    f"{article(item_type.value)}",
                )
            )
    for parsed in csv_file.rows:
        album = snapshot.albums.get(parsed.key)
        year = parsed.year
        if album is None or year is None or year == album.year:
            continue
        if not MIN_YEAR <= year <= top_year:
            problems.append(
                Problem(
                    parsed.row,
                    YEAR,
                    f"{year} is not a plausible release year ({MIN_YEAR}–{top_year}"
                    + ("; write all four digits" if year < 100 else "")
                    + ")",
                )
            )
    return problems


def plan_import(
    csv_file: CsvFile,
    snapshot: LibrarySnapshot,
    *,
    owned: Mapping[int, OwnedItem],
    inferred_tag: str = "",
    twin_tag: str = "",
    skip_invalid: bool = False,
    source: str = "the CSV",
    tolerance: float = CHANGE_TOLERANCE,
    max_year: int | None = None,
    saved_at: float | None = None,
    rated_since_saved: Collection[int] = (),
) -> ImportPlan:
    """Validate the whole file against ``snapshot``, then plan the changes of its valid rows.

    ``saved_at`` is when the file was last saved (its mtime). A row that would change the rating
    or the ownership of an item rated in Plex since then is stale: it is left out, with a warning,
    rather than overwrite the newer value (re-importing a file is therefore harmless). Items in
    ``rated_since_saved`` (plexrate's journal says it wrote their rating after ``saved_at``) are
    stale whatever Plex's ``lastRatedAt`` says.

    Raises ``BulkInputError`` listing every problem when the file cannot be read at all, or when
    any row has a problem and ``skip_invalid`` is False. Nothing is planned before that check.
    """
    if csv_file.fatal:
        raise BulkInputError(csv_file.problems, source=source, fatal=True)
    problems = sorted(
        [*csv_file.problems, *library_problems(csv_file, snapshot, max_year=max_year)],
        key=Problem.sort_key,
    )
    if problems and not skip_invalid:
        raise BulkInputError(problems, source=source, fatal=False)
    invalid = {p.row for p in problems}
    planner = _Planner(
        snapshot,
        owned,
        inferred_tag=inferred_tag,
        twin_tag=twin_tag,
        tolerance=tolerance,
        years=csv_file.has_year,
        saved_at=saved_at,
        rated_since_saved=rated_since_saved,
    )
    for row in csv_file.rows:
        if row.row not in invalid:
            planner.row(row)
    stats: dict[str, float | int] = {
        "rows": csv_file.data_rows,
        "valid": csv_file.data_rows - len(invalid),
        "skipped": len(invalid),
        **planner.counts,
    }
    notes = list(csv_file.notes)
    if planner.counts["unrated_inferred"]:
        count = planner.counts["unrated_inferred"]
        notes.append(
            f"{count:,} unrated {'row says' if count == 1 else 'rows say'} 'inferred': nothing "
            "to hand back, inference fills unrated items anyway"
        )
    if planner.counts["cleared"]:
        notes.append(
            "cleared ratings are unrated now: the next run may infer them, as any unrated item"
        )
    return ImportPlan(
        Plan(changes=planner.changes, stats=stats, notes=notes),
        skipped=tuple(problems),
        warnings=tuple(planner.warnings),
    )


class _Action(NamedTuple):
    kind: str
    """The stats counter it adds to: rated, cleared, handed_back or claimed."""
    reason: str
    after: float | None
    set_rating: bool
    own: bool
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


class _Planner:
    def __init__(
        self,
        snapshot: LibrarySnapshot,
        owned: Mapping[int, OwnedItem],
        *,
        inferred_tag: str,
        twin_tag: str,
        tolerance: float,
        years: bool,
        saved_at: float | None,
        rated_since_saved: Collection[int] = (),
    ) -> None:
        self.snapshot = snapshot
        self.owned = owned
        self.inferred_tag = inferred_tag
        self.tags = tuple(t for t in (inferred_tag, twin_tag) if t)
        self.tolerance = tolerance + _SLACK
        self.years = years
        # Plex stamps lastRatedAt in whole seconds: a rating in the second the file was saved
        # counts as later (the cautious side: the row is left alone).
        self.saved_second = None if saved_at is None else int(saved_at)
        self.rated_since_saved = frozenset(rated_since_saved)
        self.changes: list[Change] = []
        self.warnings: list[str] = []
        self.counts = dict.fromkeys(
            (
                "rated",
                "cleared",
                "handed_back",
                "claimed",
                "years",
                "unchanged_rows",
                "stale",
                "inferred_edited",
                "unrated_inferred",
            ),
            0,
        )

    def row(self, row: CsvRow) -> None:
        item = self.snapshot.item(row.key)
        if item is None:  # library_problems reported it; never planned
            return
        action = self.action(item, row)
        if action is not None and self.echo(item, row, action):
            action = None
        stale = action is not None and self.stale(item)
        if stale:
            self.counts["stale"] += 1
            self.warnings.append(
                f"row {row.row} ({label(item)}): rated in Plex after this file was last saved; "
                f"left at {stars_or_unrated(item.rating)}. Export again to edit it"
            )
            action = None
        year = self.new_year(item, row)
        where = f"CSV row {row.row}"
        if action is None:
            if year is None:
                self.counts["unchanged_rows"] += 0 if stale else 1
                return
            reason = f"{where}: release year {_year(item)} → {year}"
            self.add(item, reason, item.rating, set_rating=False, own=None, year=year)
            return
        self.counts[action.kind] += 1
        if action.kind == "rated" and row.rating_type is RatingType.INFERRED:
            self.counts["inferred_edited"] += 1
            self.warnings.append(
                f"row {row.row} ({label(item)}): userRating changed to "
                f"{stars_or_unrated(action.after)} but ratingType still says 'inferred'; applied "
                "as your own (manual) rating. To let inference rate an item, empty its "
                "userRating, or leave it as exported and set ratingType to inferred"
            )
        reason = f"{where}: {action.reason}"
        if year is not None:
            reason += f"; release year {_year(item)} → {year}"
        self.add(
            item,
            reason,
            action.after,
            set_rating=action.set_rating,
            own=action.own,
            add=action.add,
            remove=action.remove,
            year=year,
        )

    def action(self, item: Item, row: CsvRow) -> _Action | None:
        """What the row asks of the item's rating and ownership (None: nothing)."""
        current, new = item.rating, row.rating
        claim = self.owned.get(item.key)
        plexrates = (
            claim is not None
            and current is not None
            and abs(current - claim.value) <= self.tolerance
        )
        carried = tuple(t for t in self.tags if self.snapshot.has_tag(t, item.key))
        if new is None and current is not None:
            reason = f"rating cleared (was {stars_or_unrated(current)})"
            return _Action("cleared", reason, None, set_rating=True, own=False, remove=carried)
        # Compared as Plex will store it: 3.33★ is kept as 3.35★, and the same file imported
        # again must find nothing to do (issue 19: a false "stale row" on the second import).
        if new is not None and (
            current is None or abs(plex_rating(new) - plex_rating(current)) > self.tolerance
        ):
            reason = f"{stars_or_unrated(current)} → {stars_or_unrated(new)}, your rating"
            return _Action("rated", reason, new, set_rating=True, own=False, remove=carried)
        if current is None:
            if row.rating_type is RatingType.INFERRED:
                self.counts["unrated_inferred"] += 1
            return None
        if row.rating_type is RatingType.INFERRED and not plexrates:
            add = (
                (self.inferred_tag,)
                if self.inferred_tag and self.inferred_tag not in carried
                else ()
            )
            reason = (
                f"marked inferred: {stars_or_unrated(current)} handed to inference, which sets its "
                "own value on the next run"
            )
            return _Action("handed_back", reason, current, set_rating=False, own=True, add=add)
        if row.rating_type is RatingType.MANUAL and plexrates:
            reason = f"marked manual: {stars_or_unrated(current)} is your rating now"
            return _Action("claimed", reason, current, set_rating=False, own=False, remove=carried)
        return None

    def echo(self, item: Item, row: CsvRow, action: _Action) -> bool:
        """The row asks to hand back a value that an import wrote as the person's own since the
        file was saved, and that Plex still holds: the same file imported again, its edited
        row still saying 'inferred'. That import already decided (your rating), so the row is
        unchanged, not stale (issue 19: a second import of an unchanged file warned)."""
        return (
            action.kind == "handed_back"
            and item.key in self.rated_since_saved
            and row.rating is not None
            and item.rating is not None
            and abs(plex_rating(row.rating) - plex_rating(item.rating)) <= self.tolerance
        )

    def stale(self, item: Item) -> bool:
        if item.key in self.rated_since_saved:
            return True
        return (
            self.saved_second is not None
            and item.rated_at is not None
            and item.rated_at >= self.saved_second
        )

    def new_year(self, item: Item, row: CsvRow) -> int | None:
        if not self.years or not isinstance(item, Album) or row.year is None:
            return None
        if row.year == item.year:
            return None
        self.counts["years"] += 1
        return row.year

    def add(
        self,
        item: Item,
        reason: str,
        after: float | None,
        *,
        set_rating: bool,
        own: bool | None,
        add: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
        year: int | None,
    ) -> None:
        self.changes.append(
            Change(
                key=item.key,
                item_type=item.item_type,
                title=label(item),
                phase=Phase.IMPORT,
                reason=reason,
                before=item.rating,
                after=after,
                set_rating=set_rating,
                add_tags=add,
                remove_tags=remove,
                own=own,
                guid=item.guid,
                year=year,
            )
        )


def _year(item: Item) -> str:
    year = item.year if isinstance(item, Album) else None
    return "none" if year is None else str(year)
