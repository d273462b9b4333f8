"""Write semantics: ``PUT /library/sections/{id}/all`` multi-edits and ``/:/rate``.

Edit parameters follow Plex's form (plexapi ``EditFieldMixin``/``EditTagsMixin`` and the PMS
"updateItems" description): ``field.value`` / ``field.locked``; ``tag[i].tag.tag`` adds a tag (a
union with the item's existing tags); ``tag[].tag.tag-`` removes a comma-separated list of tags
whose names plexapi quoted once more before the whole query was encoded; ``tag[].tag`` removes
every tag of that type; ``tag.locked`` locks the tag field. A bare field name
(``originallyAvailableAt=…``, what plexapi's generic ``edit()`` sends) is accepted and ignored, as
PMS most likely does.

Every request is validated completely before anything changes, so a 400 leaves the library as it
was.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from plexrate.emulator.library import (
    KIND_BY_SEARCH_TYPE,
    TAG_ELEMENTS,
    AlbumItem,
    AnyItem,
    EmulatorLibrary,
    ItemKind,
    Section,
)
from plexrate.emulator.strictness import STRICT, Strictness


class EditError(ValueError):
    """The request is malformed (400); nothing was changed."""

    status = 400


class EditNotFound(EditError):
    """The request names an item or section the server does not have (404)."""

    status = 404


RATE_IDENTIFIER = "com.plexapp.plugins.library"

# Fields the emulator edits, and the item kinds each applies to.
EDITABLE_FIELDS: dict[str, frozenset[ItemKind]] = {
    "userRating": frozenset({"artist", "album", "track"}),
    "summary": frozenset({"artist", "album", "track"}),
    "originallyAvailableAt": frozenset({"album"}),
    "year": frozenset({"album"}),
    "studio": frozenset({"album"}),
}
# Bare names accepted without effect (see the module docstring).
_BARE_IGNORED = frozenset(
    {*EDITABLE_FIELDS, "title", "titleSort", "originalTitle", "rating", "addedAt", "index"}
)

_VALUE = re.compile(r"^([A-Za-z]+)\.value$")
_LOCKED = re.compile(r"^([A-Za-z]+)\.locked$")
_ADD = re.compile(r"^([A-Za-z]+)\[(\d+)\]\.tag\.tag$")
_REMOVE = re.compile(r"^([A-Za-z]+)\[\]\.tag\.tag-$")
_CLEAR = re.compile(r"^([A-Za-z]+)\[\]\.tag$")


@dataclass
class EditSpec:
    ids: list[int] | None = None
    search_type: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    locks: dict[str, bool] = field(default_factory=dict)
    add: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    remove: dict[str, list[str]] = field(default_factory=dict)
    clear: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)


@dataclass
class WriteResult:
    """What one write request did; ``*_ops`` count requested work (the latency model charges
    for it even when a tag was already present)."""

    items: int = 0
    ratings_written: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    tag_ops: int = 0
    ignored: list[str] = field(default_factory=list)
    rated: list[AnyItem] = field(default_factory=list)
    """Items whose rating a person would see as rated (set or cleared): what ``media.rate``
    webhooks announce."""


def _check_tag_type(name: str) -> str:
    if name not in TAG_ELEMENTS:
        raise EditError(f"unsupported tag type {name!r}")
    return name


def parse_edit(pairs: Sequence[tuple[str, str]]) -> EditSpec:
    spec = EditSpec()
    for key, value in pairs:
        if key.startswith("X-Plex-"):
            continue
        if key == "id":
            try:
                spec.ids = [int(p) for p in value.split(",") if p.strip()]
            except ValueError:
                raise EditError(
                    f"id must be a comma-separated list of numbers: {value!r}"
                ) from None
            if not spec.ids:
                raise EditError("id is empty")
            continue
        if key == "type":
            try:
                spec.search_type = int(value)
            except ValueError:
                raise EditError(f"type must be a number, not {value!r}") from None
            if spec.search_type not in KIND_BY_SEARCH_TYPE:
                raise EditError(f"type {value} is not an artist (8), album (9) or track (10)")
            continue
        if m := _VALUE.match(key):
            name = m.group(1)
            if name not in EDITABLE_FIELDS:
                raise EditError(f"the emulator does not edit field {name!r}")
            spec.fields[name] = value
        elif m := _LOCKED.match(key):
            if value not in ("0", "1"):
                raise EditError(f"{key} must be 0 or 1, not {value!r}")
            spec.locks[m.group(1)] = value == "1"
        elif m := _ADD.match(key):
            tag_type = _check_tag_type(m.group(1))
            if value.strip():
                spec.add.setdefault(tag_type, []).append((int(m.group(2)), value))
        elif m := _REMOVE.match(key):
            tag_type = _check_tag_type(m.group(1))
            names = [unquote(p) for p in value.split(",") if p != ""]
            spec.remove.setdefault(tag_type, []).extend(names)
        elif m := _CLEAR.match(key):
            spec.clear.add(_check_tag_type(m.group(1)))
        elif key in _BARE_IGNORED:
            spec.ignored.append(key)
        else:
            raise EditError(f"unsupported edit parameter {key!r}")
    return spec


def _rating_value(raw: str, *, name: str) -> float | None:
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise EditError(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 10:
        raise EditError(f"{name} must be between 0 and 10, not {raw!r}")
    return value


def _date_value(raw: str) -> str | None:
    if raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        raise EditError(f"originallyAvailableAt must be YYYY-MM-DD, not {raw!r}") from None


def _resolve_items(
    library: EmulatorLibrary, section: Section, spec: EditSpec
) -> tuple[ItemKind, list[AnyItem]]:
    kind = KIND_BY_SEARCH_TYPE.get(spec.search_type) if spec.search_type else None
    if spec.ids is None:
        # PMS applies an edit without ids to every item of the type in the section.
        if kind is None:
            raise EditError("an edit needs an id list or a type")
        return kind, list(section.items(kind))
    items: list[AnyItem] = []
    for key in spec.ids:
        found = library.get(key)
        if found is None or found.section_key != section.key:
            raise EditNotFound(f"item {key} is not in library section {section.key}")
        items.append(found)
    kinds = {i.kind for i in items}
    if kind is None:
        if len(kinds) > 1:
            raise EditError("the items are of different types; give type=")
        kind = items[0].kind
    elif kinds != {kind}:
        raise EditError(f"type={spec.search_type} does not match the items' type")
    return kind, items


def apply_edit(
    library: EmulatorLibrary,
    section: Section,
    spec: EditSpec,
    *,
    now: int,
    strictness: Strictness = STRICT,
) -> WriteResult:
    """Validate ``spec`` against the library, then apply it to every named item."""
    kind, items = _resolve_items(library, section, spec)
    for name in spec.fields:
        if kind not in EDITABLE_FIELDS[name]:
            raise EditError(f"field {name!r} cannot be edited on a {kind}")
    for tag_type in (*spec.add, *spec.remove, *spec.clear):
        if tag_type == "subformat" and kind != "album":
            raise EditError("only albums carry a subformat")
    rating: float | None = None
    if "userRating" in spec.fields:
        rating = strictness.stored_rating(
            _rating_value(spec.fields["userRating"], name="userRating.value")
        )
    released = _date_value(spec.fields.get("originallyAvailableAt", "")) or None
    year: int | None = None
    if spec.fields.get("year"):
        try:
            year = int(spec.fields["year"])
        except ValueError:
            raise EditError(f"year must be a number, not {spec.fields['year']!r}") from None

    additions: dict[str, list[str]] = {}
    for tag_type, entries in spec.add.items():
        names = [name for _, name in sorted(entries)]
        additions[tag_type] = [library.tags.register(tag_type, n)[1] for n in names]

    result = WriteResult(items=len(items), ignored=list(spec.ignored))
    for item in items:
        changed = False
        for tag_type in spec.clear:
            current = item.get_tags(tag_type)
            if current:
                result.tags_removed += len(current)
                item.set_tags(tag_type, ())
                changed = True
        for tag_type, names in spec.remove.items():
            result.tag_ops += len(names)
            drop = {n.casefold() for n in names}
            current = item.get_tags(tag_type)
            kept = tuple(t for t in current if t.casefold() not in drop)
            if len(kept) != len(current):
                result.tags_removed += len(current) - len(kept)
                item.set_tags(tag_type, kept)
                changed = True
        for tag_type, names in additions.items():
            result.tag_ops += len(names)
            current = item.get_tags(tag_type)
            have = {t.casefold() for t in current}
            new = []
            for name in names:
                if name.casefold() not in have:
                    have.add(name.casefold())
                    new.append(name)
            if new:
                result.tags_added += len(new)
                item.set_tags(tag_type, current + tuple(new))
                changed = True
        if "userRating" in spec.fields:
            item.user_rating = rating
            # Whether an edit-form rating moves lastRatedAt is unknown (docs/real-servers.md,
            # "Rating timestamps"); the strict emulator leaves it, so "rated since" listings
            # miss edit-form ratings unless the leniency says otherwise.
            if strictness.edit_sets_last_rated:
                if rating is not None or strictness.clear_sets_last_rated:
                    item.last_rated_at = now
                result.rated.append(item)
            result.ratings_written += 1
            # Not ``changed``: a rating alone leaves updatedAt (see ``set_rating``).
        if "summary" in spec.fields:
            item.summary = spec.fields["summary"] or None
            changed = True
        if isinstance(item, AlbumItem):
            if "originallyAvailableAt" in spec.fields:
                item.originally_available_at = released
                # Whether a real server derives ``year`` from this edit is unknown
                # (docs/real-servers.md, "Album year"); the strict emulator does not.
                if released is not None and strictness.date_sets_year:
                    item.year = int(released[:4])
                changed = True
            if "year" in spec.fields:
                item.year = year
                changed = True
            if "studio" in spec.fields:
                item.studio = spec.fields["studio"] or None
                changed = True
        for name, locked in spec.locks.items():
            if locked and name not in item.locked:
                item.locked = (*item.locked, name)
                changed = True
            elif not locked and name in item.locked:
                item.locked = tuple(n for n in item.locked if n != name)
                changed = True
        if changed:
            item.updated_at = now
    library.bump()
    return result


def check_rate(
    library: EmulatorLibrary, params: dict[str, str]
) -> tuple[AnyItem, float | None, int | None]:
    """Validate a ``/:/rate`` request: the item, the rating (``None`` clears) and ``ratedAt``."""
    raw_key = params.get("key")
    if raw_key is None:
        raise EditError("/:/rate needs key")
    try:
        key = int(raw_key)
    except ValueError:
        raise EditError(f"key must be a number, not {raw_key!r}") from None
    if params.get("identifier") != RATE_IDENTIFIER:
        raise EditError(f"identifier must be {RATE_IDENTIFIER}")
    raw = params.get("rating")
    if raw is None:
        raise EditError("/:/rate needs rating")
    try:
        value = float(raw)
    except ValueError:
        raise EditError(f"rating must be a number, not {raw!r}") from None
    if value == -1:
        rating: float | None = None
    elif math.isfinite(value) and 0 <= value <= 10:
        rating = value
    else:
        raise EditError(f"rating must be between 0 and 10, or -1 to clear; got {raw!r}")
    rated_at: int | None = None
    if params.get("ratedAt"):
        try:
            rated_at = int(float(params["ratedAt"]))
        except ValueError:
            raise EditError("ratedAt must be epoch seconds") from None
    item = library.get(key)
    if item is None:
        raise EditNotFound(f"no item with ratingKey {key}")
    return item, rating, rated_at


def apply_rate(
    library: EmulatorLibrary,
    params: dict[str, str],
    *,
    now: int,
    strictness: Strictness = STRICT,
) -> tuple[AnyItem, WriteResult]:
    """``/:/rate?key=…&identifier=com.plexapp.plugins.library&rating=…`` (``-1`` clears)."""
    item, rating, rated_at = check_rate(library, params)
    rate_item(
        library, item, rating, at=now if rated_at is None else rated_at, strictness=strictness
    )
    return item, WriteResult(items=1, ratings_written=1, rated=[item])


def rate_item(
    library: EmulatorLibrary,
    item: AnyItem,
    rating: float | None,
    *,
    at: int,
    strictness: Strictness = STRICT,
) -> None:
    """What ``/:/rate`` does to one item (``EmulatorLibrary.set_rating``)."""
    library.set_rating(item, rating, at=at, strictness=strictness)
