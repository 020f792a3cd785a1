"""Alerts: on the restored tile of the restored dashboard, owned by the owner mapped by
email, followed by the followers mapped by email, destinations kept; restored disabled
into another instance (as scheduled plans are) unless the launch says otherwise.

looker-sdk 26.12's `create_alert` and `update_alert` fail to serialise their nested
models (field, destinations) before sending, so the alert goes as plain JSON through
the SDK's own transport (`sends_as_json`: `sdk.post("/alerts", ...)`, `sdk.put`), paced,
retried and declared under those two names like every write. Following is per user:
each follower follows through a `login_user` token of their own (`Followed`).

After a lost answer, a create is found by its natural key among every owner's alerts,
an update (PUT: the whole alert) is sent again, and a follow is checked by reading the
alert as the follower (`followed`).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attr
from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import (
    DestinationAPI,
    ItemFailed,
    LostWrite,
    MissingReference,
    as_dict,
    finds_lost_answer,
    retried_as_is,
    sends_as_json,
)
from restoration.engine.content.base import (
    CT,
    UNCHANGED,
    ContentKind,
    Outcome,
    created_by_key,
    diff_fields,
    text_id,
    write_model,
)
from restoration.engine.content.dashboards import tile_ids
from restoration.looker.serialization import api_dict

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer

WRITABLE = tuple(f.name for f in attr.fields(m.WriteAlert))
# Instance-local or derived by Looker from the tile: never copied.
NOT_COPIED = ("query_id", "investigative_content_id", "investigative_content_type")
DISABLED_REASON = "Restored into another instance"


def _plain(value: Any) -> Any:
    """JSON as the alert body needs it: no None fields at any depth, read-only
    `filter_description` of applied dashboard filters dropped."""
    if isinstance(value, dict):
        return {
            k: _plain(v)
            for k, v in value.items()
            if v is not None and k not in ("filter_description", "can")
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class AlertKind(ContentKind):
    content_type = CT.ALERT
    label = "alert"
    # The listing holds whole alerts; who follows one no API lists: followers are
    # compared only with --verify or when the backup item changed.
    stamp_fields = frozenset(WRITABLE)

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        # api_dict: cattrs leaves an Alert's nested field and destinations as models.
        return api_dict(state.paged("search_alerts", all_owners=True))

    def natural_key(self, obj: dict[str, Any]) -> Any:
        tile = text_id(obj.get("dashboard_element_id")) or obj.get("lookml_link_id")
        if tile is None:
            return None
        obj = api_dict(obj)  # a create's recovery hands over SDK models inside the dict
        field = (obj.get("field") or {}).get("name")
        return (tile, text_id(obj.get("owner_id")), field, obj.get("comparison_type"))

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_alerts", {"all_owners": True})

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"alert {entry.content_id}"
        warnings: list[str] = []
        wanted = _plain({k: data[k] for k in WRITABLE if k in data and k not in NOT_COPIED})
        if wanted.get("threshold") is not None:
            wanted["threshold"] = float(wanted["threshold"])  # 1000 and 1000.0 are one value
        if data.get("dashboard_element_id"):
            wanted["dashboard_element_id"] = self._tile(r, data, what)
        owner = r.ref(CT.USER, data.get("owner_id"), required=False)
        if owner is None:
            me = r.state.me or as_dict(r.api.read("me", fields="id")) or {}
            owner = text_id(me.get("id"))
            warnings.append(
                f"owner {data.get('owner_id')} was not restored: the alert is owned by the API user"
            )
        wanted["owner_id"] = owner
        if r.config.schedules_disabled and not data.get("is_disabled"):
            wanted["is_disabled"] = True
            wanted["disabled_reason"] = DISABLED_REASON
        write_model(m.WriteAlert, wanted, what)  # required fields and enums, before any call
        key = self.natural_key(wanted)
        dest_id, _deleted = r.locate(CT.ALERT, entry.content_id, key)
        outcome = self._upsert(r, entry, wanted, key, dest_id, what)
        outcome.warnings += warnings
        if r.config.schedules_disabled and not data.get("is_disabled"):
            outcome.notes.append("restored disabled")
        if not r.dry_run and outcome.destination_id:
            followed = self._followers(r, outcome.destination_id, data, outcome)
            if followed and outcome.status == "skipped":
                outcome.status, outcome.reason = "updated", ""
                outcome.diff["followers"] = ["missing", f"{followed} follower(s) added"]
        return outcome

    def _tile(self, r: Restorer, data: dict[str, Any], what: str) -> str:
        """The destination tile: the backup tile's dashboard restored, then paired."""
        source_tile = str(data["dashboard_element_id"])
        source_dashboard = text_id(data.get("dashboard_id"))
        if source_dashboard is None:
            raise ItemFailed(
                f"{what} is on tile {source_tile}, whose dashboard the backup does not name",
                error_type="MissingReference",
            )
        dest_dashboard = r.ref(CT.DASHBOARD, source_dashboard)
        if r.dry_run and dest_dashboard.startswith("new-"):
            return f"new-tile-{source_tile}"
        found = tile_ids(r, source_dashboard, dest_dashboard).get(source_tile)
        if found is None:
            raise MissingReference(
                f"{what} is on tile {source_tile} of dashboard {source_dashboard}, which the "
                f"restored dashboard {dest_dashboard} does not have"
            )
        return found

    def _upsert(
        self,
        r: Restorer,
        entry: PlanEntry,
        wanted: dict[str, Any],
        key: Any,
        dest_id: str | None,
        what: str,
    ) -> Outcome:
        if dest_id is None:
            if r.dry_run:
                r.mappings.put(CT.ALERT, entry.content_id, f"new-alert-{entry.content_id}")
                return Outcome("created", reason="would create")
            r.api.take_adopted()
            known = r.state.index(CT.ALERT).by_id
            obj = api_dict(r.api.write("create_alert", body=wanted, key=key, known=known))
            new_id = text_id(obj.get("id"))
            r.mappings.put(CT.ALERT, entry.content_id, new_id, created=True)
            r.state.remember(CT.ALERT, obj)
            lost = "the create's answer was lost; found what it made instead of creating it again"
            return Outcome("created", new_id, notes=[lost] if r.api.take_adopted() else [])
        r.mappings.put(CT.ALERT, entry.content_id, dest_id)
        current = r.state.index(CT.ALERT).by_id.get(dest_id)
        if current is None or "field" not in current:
            current = r.api.read("get_alert", dest_id)
        diff = diff_fields(wanted, api_dict(current))
        if not diff:
            return Outcome("skipped", dest_id, reason=UNCHANGED)
        if r.dry_run:
            return Outcome("updated", dest_id, diff=diff)
        # update_alert (PUT) replaces the alert: the whole body, as on create.
        obj = api_dict(r.api.write("update_alert", dest_id, body=wanted))
        r.state.remember(CT.ALERT, obj)
        return Outcome("updated", dest_id, diff=diff)

    def _followers(self, r: Restorer, dest_id: str, data: dict[str, Any], outcome: Outcome) -> int:
        """Each backup follower, mapped by email, follows the alert (as themselves). What a
        user follows is read once per session (`Followed`), so an unchanged re-run costs
        three calls per follower, not per alert and follower, and writes nothing."""
        added = 0
        followed = _followed_for(r)
        for source_user in data.get("follower_ids") or []:
            user = r.ref(CT.USER, source_user, required=False)
            if user is None:
                outcome.warnings.append(f"follower {source_user} was not restored")
                continue
            if followed.follows(user, dest_id):
                continue
            with followed.as_user(user) as options:
                r.api.write("follow_alert", dest_id, transport_options=options)
            followed.add(user, dest_id)
            added += 1
        return added


class Followed:
    """Which alerts each destination user follows, as that user sees it (`login_user`):
    Looker answers `followed` for the caller only and lists no followers."""

    def __init__(self, r: Restorer) -> None:
        self.r = r
        self._lock = threading.Lock()
        self._by_user: dict[str, set[str]] = {}

    @contextlib.contextmanager
    def as_user(self, user: str) -> Iterator[dict[str, Any]]:
        """Transport options that make a call as `user`; the token is logged out after."""
        # A read to the engine: it makes a token to act as the user and changes no
        # content, so a dry run may make it and a repeat after a lost answer is harmless.
        token = as_dict(self.r.api.read("login_user", user))
        options = {"headers": {"Authorization": f"Bearer {token.get('access_token')}"}}
        try:
            yield options
        finally:
            try:
                self.r.api.read("logout", transport_options=options)
            except ItemFailed:
                pass  # the token expires on its own

    def follows(self, user: str, alert_id: str) -> bool:
        with self._lock:
            known = self._by_user.get(user)
        if known is None:
            with self.as_user(user) as options:
                seen = self.r.api.read("search_alerts", all_owners=True, transport_options=options)
            known = {str(a.id) for a in seen or [] if a.followed}
            with self._lock:
                known = self._by_user.setdefault(user, known)
        return alert_id in known

    def add(self, user: str, alert_id: str) -> None:
        with self._lock:
            self._by_user.setdefault(user, set()).add(alert_id)


_FOLLOWED: weakref.WeakKeyDictionary[Any, Followed] = weakref.WeakKeyDictionary()
_FOLLOWED_LOCK = threading.Lock()


def _followed_for(r: Restorer) -> Followed:
    """One `Followed` per session (Restorer); kinds are shared by every session."""
    with _FOLLOWED_LOCK:
        found = _FOLLOWED.get(r)
        if found is None:
            found = _FOLLOWED[r] = Followed(r)
        return found


sends_as_json("create_alert", "post", "/alerts", m.Alert)
sends_as_json("update_alert", "put", "/alerts/{}", m.Alert)
finds_lost_answer("create_alert")(created_by_key(CT.ALERT))
retried_as_is("PUT replaces the whole alert with the body sent", "update_alert")


@finds_lost_answer("follow_alert")
def find_follow(api: DestinationAPI, lost: LostWrite) -> Any:
    """The alert, if the follower (whose token the follow was sent with) follows it:
    Looker answers `followed` for the caller only. The spec does not say what following
    twice answers, so the follow is checked rather than sent again."""
    alert = api.read("get_alert", lost.args[0], transport_options=lost.options)
    return alert if getattr(alert, "followed", False) else None
