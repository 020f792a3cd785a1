"""How each Looker content type is read: a listing (paged where the API pages) and,
where the listing is not the whole object, a read of one object.

Each object is stored as the SDK returns it (`api_dict` of the model: None fields
dropped at every depth, datetimes as the SDK writes them), MessagePack as lookervault
writes it, with
secrets removed and these additions, which the API spreads over sub-resources:

- group: `user_ids` (direct member users), `group_ids` (member groups);
- role: `user_ids` (users given the role directly), `group_ids` (groups given it);
- folder: `content_metadata` (`{id, inherits, ...}`) and `content_metadata_accesses`
  (each `{id, content_metadata_id, group_id | user_id, permission_type}`);
- alert: `dashboard_id` (the dashboard of its tile) and `follower_ids` (users who
  follow it: Looker tells only the caller whether they follow, so each user is asked
  through `login_user`);
- user attribute: `group_values` (`[{group_id, value, rank}]` in precedence order) and
  `user_values` (`[{user_id, value}]`, values users hold themselves, read per user).

Dashboards come from `dashboard(id)` with their elements (each with its query, look
and result_maker), filters, layouts and layout components; a merged-results tile also
gets `merge_query`: `merge_query(merge_result_id)` with each source query's whole query
under `source_queries[].query` (merge queries are instance-local, lookervault has no
type for them, and a restore elsewhere must recreate them). Looks from `look(id)` with
their query; boards from `board(id)` with sections and items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from restoration.content_types import ContentType
from restoration.looker.calls import LookerCallFailed
from restoration.looker.serialization import api_dict

PAGE_SIZE = 100

Call = Callable[..., Any]

# Keys that must never reach the backup, wherever they appear.
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "password",
        "access_token",
        "refresh_token",
        "secret_parameters",
        "password_reset_url",
        "account_setup_url",
        "api_key",
    }
)
# Of a user's credentials only the email login is restorable (and carries no secret
# once its reset/setup links are gone); the others hold API keys and IdP links.
KEPT_USER_CREDENTIALS = frozenset({"credentials_email"})


def as_dict(model: Any) -> dict[str, Any]:
    """The object as the API's JSON has it (restoration.looker.serialization.api_dict)."""
    return api_dict(model)


def scrub(value: Any) -> Any:
    """Copy of value without any secret key, at any depth."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def without_secrets(content_type: int, data: dict[str, Any]) -> dict[str, Any]:
    """The object as stored in the backup: no passwords, tokens, API3 keys or secret parameters."""
    if content_type == ContentType.USER:
        data = {
            k: v
            for k, v in data.items()
            if not (k.startswith("credentials_") and k not in KEPT_USER_CREDENTIALS)
            and k != "sessions"
        }
    return scrub(data)


@dataclass(frozen=True)
class Listed:
    """One object as the listing showed it: its id, last change and, if complete, itself."""

    content_id: str
    updated_at: datetime | None = None
    data: dict[str, Any] | None = None


def _pages(fetch_page: Callable[[int, int], list[Any]]) -> Iterator[Any]:
    offset = 0
    while True:
        page = list(fetch_page(PAGE_SIZE, offset))
        yield from page
        if len(page) < PAGE_SIZE:
            return
        offset += PAGE_SIZE


class Reader:
    """Reads one content type. `list()` runs on the coordinating thread, `read()` on workers."""

    content_type: ContentType
    # True when read() must run for every listed object (the listing is not the whole object).
    reads_each = False
    # True when the listing gives updated_at, so --incremental can skip unchanged objects.
    has_updated_at = False

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        raise NotImplementedError

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        """The whole object; raise LookerCallFailed (404 when it is gone)."""
        if listed.data is None:
            raise ValueError(f"{self.content_type.label} {listed.content_id} has no data")
        return listed.data

    def still_exists(self, sdk: Any, call: Call, content_id: str) -> bool:
        """Ask Looker for one object the listing did not show (offset paging skips an
        object when another one is deleted mid-listing): False only on a 404."""
        method_name, *prefix = GETTERS[self.content_type]
        if self.content_type == ContentType.EXPLORE:
            model_name, _, explore_name = content_id.partition(EXPLORE_ID_SEPARATOR)
            args: list[str] = [model_name, explore_name]
        else:
            args = [content_id]
        method = getattr(sdk, method_name)
        fields = "id,deleted" if self.content_type in TRASHABLE else "id"
        try:
            found = call(method, *prefix, *args, fields=fields)
        except LookerCallFailed as exc:
            if is_gone(exc):
                return False
            raise
        # A dashboard or Look in Looker's trash still answers, with deleted: true.
        return not getattr(found, "deleted", False)


class DashboardReader(Reader):
    content_type = ContentType.DASHBOARD
    reads_each = True
    has_updated_at = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for d in _pages(
            lambda limit, offset: call(
                sdk.search_dashboards,
                fields="id,updated_at",
                sorts="id",
                limit=limit,
                offset=offset,
            )
        ):
            yield Listed(str(d.id), d.updated_at)

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        data = as_dict(call(sdk.dashboard, listed.content_id))
        merges: dict[str, dict[str, Any] | None] = {}
        for element in data.get("dashboard_elements") or []:
            merge_id = element.get("merge_result_id")
            if merge_id:
                if str(merge_id) not in merges:
                    merges[str(merge_id)] = _merge_query(sdk, call, str(merge_id))
                if merges[str(merge_id)] is not None:
                    element[MERGE_QUERY_KEY] = merges[str(merge_id)]
        return data


MERGE_QUERY_KEY = "merge_query"


def _merge_query(sdk: Any, call: Call, merge_id: str) -> dict[str, Any] | None:
    """A tile's merge query with its source queries, or None when Looker no longer has it
    (looker-cli #233: GET merge_queries/{id} answered 404 for a tile's merge_result_id);
    the tile is then backed up without it and the restore says so."""
    try:
        merge = as_dict(call(sdk.merge_query, merge_id))
    except LookerCallFailed as exc:
        if is_gone(exc):
            return None
        raise
    for source in merge.get("source_queries") or []:
        if source.get("query_id"):
            source["query"] = as_dict(call(sdk.query, str(source["query_id"])))
    return merge


class LookReader(Reader):
    content_type = ContentType.LOOK
    reads_each = True
    has_updated_at = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for look in _pages(
            lambda limit, offset: call(
                sdk.search_looks, fields="id,updated_at", sorts="id", limit=limit, offset=offset
            )
        ):
            yield Listed(str(look.id), look.updated_at)

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        return as_dict(call(sdk.look, listed.content_id))


class BoardReader(Reader):
    content_type = ContentType.BOARD
    reads_each = True
    has_updated_at = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for board in _pages(
            lambda limit, offset: call(
                sdk.search_boards, fields="id,updated_at", sorts="id", limit=limit, offset=offset
            )
        ):
            yield Listed(str(board.id), board.updated_at)

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        return as_dict(call(sdk.board, listed.content_id))


class UserReader(Reader):
    content_type = ContentType.USER

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for user in _pages(
            lambda limit, offset: call(sdk.search_users, sorts="id", limit=limit, offset=offset)
        ):
            yield Listed(str(user.id), None, as_dict(user))


def _ids(rows: Any) -> list[str]:
    return [str(r.id) for r in rows]


class GroupReader(Reader):
    content_type = ContentType.GROUP
    reads_each = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for group in _pages(
            lambda limit, offset: call(sdk.search_groups, sorts="id", limit=limit, offset=offset)
        ):
            yield Listed(str(group.id), None, as_dict(group))

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        group_id = listed.content_id
        users = list(
            _pages(
                lambda limit, offset: call(
                    sdk.all_group_users,
                    group_id,
                    fields="id",
                    sorts="id",
                    limit=limit,
                    offset=offset,
                )
            )
        )
        groups = call(sdk.all_group_groups, group_id, fields="id")
        return {**(listed.data or {}), "user_ids": _ids(users), "group_ids": _ids(groups)}


class RoleReader(Reader):
    content_type = ContentType.ROLE
    reads_each = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for role in _pages(
            lambda limit, offset: call(sdk.search_roles, sorts="id", limit=limit, offset=offset)
        ):
            yield Listed(str(role.id), None, as_dict(role))

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        role_id = listed.content_id
        users = call(sdk.role_users, role_id, fields="id", direct_association_only=True)
        groups = call(sdk.role_groups, role_id, fields="id")
        return {**(listed.data or {}), "user_ids": _ids(users), "group_ids": _ids(groups)}


class FolderReader(Reader):
    content_type = ContentType.FOLDER
    reads_each = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for folder in _pages(
            lambda limit, offset: call(sdk.search_folders, sorts="id", limit=limit, offset=offset)
        ):
            yield Listed(str(folder.id), None, as_dict(folder))

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        data = dict(listed.data or {})
        metadata_id = data.get("content_metadata_id")
        if metadata_id:
            data["content_metadata"] = as_dict(call(sdk.content_metadata, str(metadata_id)))
            data["content_metadata_accesses"] = [
                as_dict(a) for a in call(sdk.all_content_metadata_accesses, str(metadata_id))
            ]
        return data


class PermissionSetReader(Reader):
    content_type = ContentType.PERMISSION_SET

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for ps in call(sdk.all_permission_sets):
            yield Listed(str(ps.id), None, as_dict(ps))


class ModelSetReader(Reader):
    content_type = ContentType.MODEL_SET

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for ms in call(sdk.all_model_sets):
            yield Listed(str(ms.id), None, as_dict(ms))


class ScheduledPlanReader(Reader):
    content_type = ContentType.SCHEDULED_PLAN
    has_updated_at = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for plan in call(sdk.all_scheduled_plans, all_users=True):
            yield Listed(str(plan.id), plan.updated_at, as_dict(plan))


def _as_user(call: Call, sdk: Any, user_id: str, method: Any, **kwargs: Any) -> Any:
    """One call made as another user: a `login_user` token for it, then logged out."""
    token = call(sdk.login_user, user_id)
    headers = {"Authorization": f"Bearer {token.access_token}"}
    try:
        return call(method, transport_options={"headers": headers}, **kwargs)
    finally:
        try:
            call(sdk.logout, transport_options={"headers": headers})
        except LookerCallFailed:
            pass  # the token expires on its own


def _active_user_ids(sdk: Any, call: Call) -> list[str]:
    users = _pages(
        lambda limit, offset: call(
            sdk.search_users, fields="id,is_disabled", sorts="id", limit=limit, offset=offset
        )
    )
    return [str(u.id) for u in users if not u.is_disabled]


class AlertReader(Reader):
    content_type = ContentType.ALERT
    reads_each = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        alerts = list(
            _pages(
                lambda limit, offset: call(
                    sdk.search_alerts, all_owners=True, limit=limit, offset=offset
                )
            )
        )
        if not alerts:
            return
        followers: dict[str, list[str]] = {}
        for user_id in _active_user_ids(sdk, call):
            try:
                # Whole alerts: with `fields` the SDK cannot build its Alert model (the
                # spec marks field, cron, destinations... required).
                seen = _as_user(call, sdk, user_id, sdk.search_alerts, all_owners=True)
            except LookerCallFailed as exc:
                if exc.status in (400, 403, 404):
                    continue  # a user Looker will not log in as follows nothing we can see
                raise
            for alert in seen:
                if alert.followed:
                    followers.setdefault(str(alert.id), []).append(user_id)
        for alert in alerts:
            data = as_dict(alert)
            data["follower_ids"] = followers.get(str(alert.id), [])
            yield Listed(str(alert.id), None, data)

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        data = dict(listed.data or {})
        if data.get("investigative_content_type") == "dashboard" and data.get(
            "investigative_content_id"
        ):
            data["dashboard_id"] = str(data["investigative_content_id"])
        elif data.get("dashboard_element_id"):
            element = call(sdk.dashboard_element, str(data["dashboard_element_id"]))
            data["dashboard_id"] = str(element.dashboard_id)
        return data


class UserAttributeReader(Reader):
    content_type = ContentType.USER_ATTRIBUTE
    reads_each = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        attributes = list(call(sdk.all_user_attributes))
        own = {str(a.id) for a in attributes if not a.is_system}
        values: dict[str, list[dict[str, Any]]] = {}
        if own:
            for user in _pages(
                lambda limit, offset: call(
                    sdk.search_users, fields="id", sorts="id", limit=limit, offset=offset
                )
            ):
                for row in call(sdk.user_attribute_user_values, str(user.id)):
                    if row.source == "user" and str(row.user_attribute_id) in own:
                        values.setdefault(str(row.user_attribute_id), []).append(
                            {"user_id": str(user.id), "value": row.value}
                        )
        for attr in attributes:
            data = as_dict(attr)
            data["user_values"] = values.get(str(attr.id), [])
            yield Listed(str(attr.id), None, data)

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        data = dict(listed.data or {})
        if data.get("is_system"):
            data["group_values"] = []
            return data
        rows = call(sdk.all_user_attribute_group_values, listed.content_id)
        data["group_values"] = [
            {"group_id": str(r.group_id), "value": r.value, "rank": r.rank} for r in rows
        ]
        return data


class LookmlModelReader(Reader):
    content_type = ContentType.LOOKML_MODEL

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for model in call(sdk.all_lookml_models):
            yield Listed(str(model.name), None, as_dict(model))


EXPLORE_ID_SEPARATOR = "::"


def explore_id(model_name: str, explore_name: str) -> str:
    return f"{model_name}{EXPLORE_ID_SEPARATOR}{explore_name}"


class ExploreReader(Reader):
    """Explores are defined in LookML: backed up for reference, never restored."""

    content_type = ContentType.EXPLORE
    reads_each = True

    def list(self, sdk: Any, call: Call) -> Iterator[Listed]:
        for model in call(sdk.all_lookml_models, fields="name,explores"):
            for explore in model.explores or []:
                if explore.name:
                    yield Listed(explore_id(str(model.name), str(explore.name)))

    def read(self, sdk: Any, call: Call, listed: Listed) -> dict[str, Any]:
        model_name, _, explore_name = listed.content_id.partition(EXPLORE_ID_SEPARATOR)
        return as_dict(call(sdk.lookml_model_explore, model_name, explore_name))


TRASHABLE = frozenset({ContentType.DASHBOARD, ContentType.LOOK})

# The single-object read of each type (method name), for still_exists().
GETTERS: dict[ContentType, tuple[str, ...]] = {
    ContentType.DASHBOARD: ("dashboard",),
    ContentType.LOOK: ("look",),
    ContentType.BOARD: ("board",),
    ContentType.USER: ("user",),
    ContentType.GROUP: ("group",),
    ContentType.ROLE: ("role",),
    ContentType.FOLDER: ("folder",),
    ContentType.PERMISSION_SET: ("permission_set",),
    ContentType.MODEL_SET: ("model_set",),
    ContentType.SCHEDULED_PLAN: ("scheduled_plan",),
    ContentType.LOOKML_MODEL: ("lookml_model",),
    ContentType.EXPLORE: ("lookml_model_explore",),
    ContentType.ALERT: ("get_alert",),
    ContentType.USER_ATTRIBUTE: ("user_attribute",),
}

# Extraction order: users first, so every later owner_id finds its email.
READERS: dict[ContentType, Reader] = {
    r.content_type: r
    for r in (
        UserReader(),
        GroupReader(),
        PermissionSetReader(),
        ModelSetReader(),
        RoleReader(),
        FolderReader(),
        LookmlModelReader(),
        ExploreReader(),
        LookReader(),
        DashboardReader(),
        BoardReader(),
        ScheduledPlanReader(),
        UserAttributeReader(),
        AlertReader(),
    )
}

EXTRACTABLE_TYPES: tuple[ContentType, ...] = tuple(READERS)


def is_gone(exc: LookerCallFailed) -> bool:
    """The object disappeared between the listing and its read."""
    return exc.status == 404
