"""What every content type's restore module builds on: the `ContentKind` a type fills
in (listing, natural key, search by key, restore), the `Outcome` of one item, and the
payload helpers (the SDK's Write models, field diffs).

A new type joins by adding one module with a `ContentKind` subclass and listing it in
`restoration.engine.content.KINDS`. The module also declares, for each write method it
calls, how that write survives a lost answer (`restoration.engine.api`): a finder
(`finds_lost_answer`; `created_by_key` for a top-level create), `retried_as_is` for a
PATCH or PUT; deletes need nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attr
from django.utils.dateparse import parse_datetime
from looker_sdk.rtl.serialize import converter40

from restoration.content_types import ContentType
from restoration.engine.api import DestinationAPI, Finder, ItemFailed, LostWrite, as_dict
from restoration.looker.serialization import api_dict

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer

CT = ContentType
UNCHANGED = "already matches the backup"
UNCHANGED_SINCE_RESTORE = "unchanged in the backup and in the destination since the last restore"
MODIFIED_IN_DESTINATION = "changed in the destination after the backup"
# Part of every item's hash (Restorer.source_hash): raise it when a release restores some
# type differently, so that items recorded by the old code are compared in full once.
RESTORE_FORMAT = 1


@dataclass
class Outcome:
    """What happened to one item (or, in a dry run, what would)."""

    status: str  # created | updated | skipped | failed
    destination_id: str | None = None
    reason: str = ""
    diff: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Parts of the item that could not be restored while the rest was (e.g. a tile
    # whose Look is not in the backup): shown on the session page, the plan and summary.
    warnings: list[str] = field(default_factory=list)
    # The destination object as compared, when a kind's restore wrote nothing and the
    # listing is not what it compared against (dashboards: the prefetched whole object).
    compared: dict[str, Any] | None = None


class ContentKind:
    """Everything about restoring one Looker content type. Subclasses fill in what
    differs; one instance serves every session (state lives on the Restorer)."""

    content_type: ContentType
    label = "item"  # as error messages name it: "folder 42 'Finance' was not restored"
    id_field = "id"  # LookML models are known by name
    # The fields of the type's bulk listing whose fingerprint shows a change of the
    # destination object (`stamp`); empty: no cheap check, every re-run compares in full.
    # `updated_at` belongs here only where the spec documents one for the type.
    stamp_fields: frozenset[str] = frozenset()
    # Do the type's writes leave, in DestinationState, the object as the listing will
    # show it (every write that changes a stamped field is remembered)? Then a written
    # item's fingerprint is recorded at once; else only after a run that wrote nothing.
    stamped_after_write = True

    def stamp(self, obj: dict[str, Any] | None) -> str | None:
        """A fingerprint of the stamped fields of a destination object, or None."""
        if not self.stamp_fields or not obj:
            return None
        picked = {name: _stable(obj.get(name)) for name in sorted(self.stamp_fields)}
        text = json.dumps(normalized(_settled(picked)), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def still_restorable(self, r: Restorer, data: dict[str, Any]) -> None:
        """The checks of the destination's environment (LookML, connections) a restore of
        the item makes, made again for an item the re-run check is about to skip, since
        a redeploy can break an object nobody touched: ItemFailed as the restore would.
        From listings only."""

    def listed(self, r: Restorer, dest_id: str) -> dict[str, Any] | None:
        """The destination object as this session's bulk reads show it (the listing; a
        type may prefetch more), for the re-run check `Restorer.unchanged_since_restore`."""
        return r.state.index(self.content_type).by_id.get(dest_id)

    def stamps_after_type(self, r: Restorer, dest_ids: list[str]) -> dict[str, str]:
        """Fingerprints of objects written this session, for a type whose writes do not
        leave them in DestinationState: its listing once more, after the type is done."""
        listed = {text_id(obj.get(self.id_field)): obj for obj in self.listing(r.state)}
        stamps = {dest: self.stamp(listed.get(dest)) for dest in dest_ids}
        return {dest: stamp for dest, stamp in stamps.items() if stamp is not None}

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        """What the destination holds of this type, in as few bulk calls as the API allows."""
        return []

    def natural_key(self, obj: dict[str, Any]) -> Any:
        """How an object is recognised without an id: the same rule for backup and
        destination objects (a backup object's references must already be translated)."""
        return None

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]] | None:
        """A search method and its parameters that find an object by natural key; used
        only to check whether a create whose answer was lost landed (`created_by_key`)."""
        return None

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        return Outcome("skipped", reason="this type cannot be written through the API")

    def prepare(self, r: Restorer) -> None:
        """Prefetch what this type's items need, once, before the workers start."""

    def after_type(self, r: Restorer, entries: Any) -> None:
        """Work that needs every item of the type in place."""

    def prefetch(self, r: Restorer, entries: list[PlanEntry]) -> None:
        """Read in bulk, before a batch of items starts, what each would read alone
        (Restorer.keep_prefetched / take_prefetched)."""

    def match_unrestored(self, r: Restorer, sid: str) -> str | None:
        """A referenced object outside this session's plan: the destination object with
        the natural key of its backup row, once the references in that key are translated
        (`translated_for_key`). MissingReference when one cannot be."""
        with r.db_lock:
            data = r.source.blob(self.content_type, sid)
        if data is None:
            return None
        key = self.natural_key(self.translated_for_key(r, data))
        return r.state.index(self.content_type).by_key.get(key) if key is not None else None

    def translated_for_key(self, r: Restorer, data: dict[str, Any]) -> dict[str, Any]:
        """The backup row with the references its natural key contains translated."""
        return data


# Fields that move without anyone editing the object (views, favourites, the caller's
# own permissions and follow state, a linked object's own change time): never stamped.
VOLATILE = frozenset(
    {
        "view_count",
        "favorite_count",
        "content_favorite_id",
        "last_viewed_at",
        "last_accessed_at",
        "content_updated_at",
        "can",
        "followed",
        "followable",
    }
)


def write_fields(cls: type) -> frozenset[str]:
    """The fields of an SDK Write model: what a restore writes of an object."""
    return frozenset(f.name for f in attr.fields(cls))


def _settled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _settled(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_settled(v) for v in value]
    return value


def _stable(value: Any) -> Any:
    """Lists of ids in one order: a listing and a write's answer may order them apart."""
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return sorted(str(v) for v in value)
    return value


def created_by_key(content_type: int) -> Finder:
    """The lost-answer finder of a top-level create (Restorer.upsert passes the natural
    key): one search by that key (`ContentKind.search_by_key`), compared exactly, since
    Looker's search ignores case and treats % and _ as wildcards."""

    def find(api: DestinationAPI, lost: LostWrite) -> Any:
        from restoration.engine.content import kind_of

        kind = kind_of(content_type)
        search = kind.search_by_key(lost.key) if lost.key is not None else None
        if search is None:
            return None
        method, params = search
        for obj in api.read(method, **params) or []:
            if kind.natural_key(as_dict(obj)) == lost.key:
                return obj
        return None

    return find


def text_id(value: Any) -> str | None:
    """An id as the engine keeps ids: a string, or None for no id."""
    return None if value in (None, "") else str(value)


def write_model(cls: type, data: dict[str, Any], what: str) -> Any:
    """The SDK's Write model for `data`: read-only keys dropped, nested types converted."""
    try:
        return converter40.structure(data, cls)
    except Exception as exc:  # cattrs raises an ExceptionGroup naming each bad field
        detail = "; ".join(_flatten_errors(exc)) or str(exc)
        raise ItemFailed(
            f"{what} cannot be written: {detail}", error_type="InvalidPayload"
        ) from exc


def _flatten_errors(exc: BaseException) -> list[str]:
    subs = getattr(exc, "exceptions", None)
    if not subs:
        return [str(exc)]
    out: list[str] = []
    for sub in subs:
        out.extend(_flatten_errors(sub))
    return out


def body_dict(cls: type, data: dict[str, Any], what: str) -> dict[str, Any]:
    """The writable fields of `data` for `cls`, as plain data at every depth (None left
    out; the SDK's own unstructure leaves nested models such as result_maker as objects)."""
    return api_dict(write_model(cls, data, what))


def diff_fields(wanted: dict[str, Any], current: dict[str, Any] | None) -> dict[str, list[Any]]:
    """{field: [destination, backup]} for each writable field that differs."""
    current = current or {}
    out: dict[str, list[Any]] = {}
    for key, value in wanted.items():
        have = current.get(key)
        if normalized(have) != normalized(value):
            out[key] = [have, value]
    return out


def normalized(value: Any) -> Any:
    """A value as compared for a diff: empty fields dropped, numbers as text."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list | tuple):
        return [normalized(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value.replace("Z", "+00:00"))
    return None


def id_order(obj: dict[str, Any]) -> tuple[int, str]:
    """Sub-resources (tiles, sections) in the order Looker created them."""
    text = str(obj.get("id") or "")
    return (int(text), text) if text.isdigit() else (1 << 62, text)
