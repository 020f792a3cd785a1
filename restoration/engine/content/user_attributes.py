"""User attributes: definitions by name (the system ones Looker ships are mapped by name
and never written), their group values in precedence order (groups mapped by name) and
the values users hold themselves (users mapped by email).

Group values are set as a whole (`set_user_attribute_group_values` replaces them), so
the destination ends with exactly the backup's. User values are added and updated, never
removed: the API lists them per user only, and reading every user of the destination
for each attribute would cost more than the restore itself.

After a lost answer: a definition's create is found by name (unique), its update (PATCH)
and a user's value (PATCH) are sent again, and group values, set as a whole by a POST,
are read back: the list sent, if it is there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import (
    DestinationAPI,
    ItemFailed,
    LostWrite,
    as_dict,
    finds_lost_answer,
    retried_as_is,
)
from restoration.engine.content.base import (
    CT,
    UNCHANGED,
    ContentKind,
    Outcome,
    body_dict,
    created_by_key,
    diff_fields,
    text_id,
    write_fields,
    write_model,
)

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer

NOT_DEFINITION = ("id", "group_values", "user_values", "is_system", "is_permanent", "can")
HIDDEN = "its values are hidden (value_is_hidden): Looker does not answer them, so they were not backed up"


class UserAttributeKind(ContentKind):
    content_type = CT.USER_ATTRIBUTE
    label = "user attribute"
    stamp_fields = write_fields(m.WriteUserAttribute)

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_user_attributes")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return obj.get("name")

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("all_user_attributes", {})

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"user attribute {entry.content_id} {data.get('name')!r}"
        name = data.get("name")
        if data.get("is_system"):
            dest = r.state.index(CT.USER_ATTRIBUTE).by_key.get(name)
            if dest is None:
                raise ItemFailed(
                    f"{what} is a system attribute the destination does not have",
                    error_type="MissingReference",
                )
            return r.map_only(CT.USER_ATTRIBUTE, entry, dest, "a system attribute: never written")
        wanted = body_dict(
            m.WriteUserAttribute, {k: v for k, v in data.items() if k not in NOT_DEFINITION}, what
        )
        dest_id, _deleted = r.locate(CT.USER_ATTRIBUTE, entry.content_id, name)
        if dest_id is None:
            outcome, _obj = r.upsert(
                CT.USER_ATTRIBUTE,
                entry,
                wanted,
                create="create_user_attribute",
                update="update_user_attribute",
                create_cls=m.WriteUserAttribute,
                update_cls=m.WriteUserAttribute,
                key=name,
                target=(None, False),
            )
        else:
            outcome = self._update(r, entry, wanted, dest_id, what)
        dest = outcome.destination_id
        if data.get("value_is_hidden") and (data.get("group_values") or data.get("user_values")):
            outcome.warnings.append(HIDDEN)
        if dest is None or dest.startswith("new-"):
            return outcome
        writes = self._group_values(r, dest, data, outcome)
        writes += self._user_values(r, dest, data, outcome)
        if writes and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""
        return outcome

    def _update(
        self, r: Restorer, entry: PlanEntry, wanted: dict[str, Any], dest_id: str, what: str
    ) -> Outcome:
        """The definition; Looker's Write model needs name, label and type in every update."""
        r.mappings.put(CT.USER_ATTRIBUTE, entry.content_id, dest_id)
        current = r.state.index(CT.USER_ATTRIBUTE).by_id.get(dest_id)
        if current and current.get("is_system"):
            return Outcome("skipped", dest_id, reason="a system attribute: never written")
        diff = diff_fields(wanted, current)
        if not diff:
            return Outcome("skipped", dest_id, reason=UNCHANGED)
        if r.dry_run:
            return Outcome("updated", dest_id, diff=diff)
        body = {k: wanted[k] for k in diff if k in wanted}
        body.update({k: wanted.get(k) for k in ("name", "label", "type")})
        obj = r.api.write(
            "update_user_attribute",
            dest_id,
            body=write_model(m.WriteUserAttribute, body, what),
        )
        r.state.remember(CT.USER_ATTRIBUTE, obj)
        return Outcome("updated", dest_id, diff=diff)

    def _group_values(self, r: Restorer, dest: str, data: dict[str, Any], outcome: Outcome) -> int:
        if data.get("value_is_hidden"):
            return 0
        wanted: list[tuple[str, Any]] = []
        for row in sorted(data.get("group_values") or [], key=lambda g: g.get("rank") or 0):
            group = r.ref(CT.GROUP, row.get("group_id"), required=False)
            if group is None:
                outcome.warnings.append(
                    f"the value for group {row.get('group_id')} was not restored: the group was not"
                )
                continue
            wanted.append((group, row.get("value")))
        have = [
            (text_id(g.get("group_id")), g.get("value"))
            for g in as_dict(r.api.read("all_user_attribute_group_values", dest)) or []
        ]
        if have == wanted:
            return 0
        outcome.diff["group values"] = [have, wanted]
        if r.dry_run:
            return 1
        body = [m.UserAttributeGroupValue(group_id=g, value=v) for g, v in wanted]
        r.api.write("set_user_attribute_group_values", dest, body=body)
        return 1

    def _user_values(self, r: Restorer, dest: str, data: dict[str, Any], outcome: Outcome) -> int:
        if data.get("value_is_hidden"):
            return 0
        writes = 0
        for row in data.get("user_values") or []:
            user = r.ref(CT.USER, row.get("user_id"), required=False)
            if user is None:
                outcome.warnings.append(
                    f"the value of user {row.get('user_id')} was not restored: the user was not"
                )
                continue
            found = (
                as_dict(r.api.read("user_attribute_user_values", user, user_attribute_ids=[dest]))
                or []
            )
            mine = next((v for v in found if v.get("source") == "user"), None)
            if mine is not None and mine.get("value") == row.get("value"):
                continue
            outcome.diff[f"value of user {user}"] = [
                mine.get("value") if mine else None,
                row.get("value"),
            ]
            writes += 1
            if not r.dry_run:
                r.api.write(
                    "set_user_attribute_user_value",
                    user,
                    dest,
                    body=m.WriteUserAttributeWithValue(value=row.get("value")),
                )
        return writes


finds_lost_answer("create_user_attribute")(created_by_key(CT.USER_ATTRIBUTE))
retried_as_is(
    "PATCH sets the fields it names", "update_user_attribute", "set_user_attribute_user_value"
)


@finds_lost_answer("set_user_attribute_group_values")
def find_group_values(api: DestinationAPI, lost: LostWrite) -> Any:
    """The attribute's group values, if they are the list sent, in its order. The write
    is a POST that replaces the whole list (so a repeat would be harmless too); read
    back, a lost answer costs one read and no second write."""
    sent = [(text_id(v.get("group_id")), v.get("value")) for v in lost.body or []]
    have = as_dict(api.read("all_user_attribute_group_values", lost.args[0])) or []
    return have if [(text_id(g.get("group_id")), g.get("value")) for g in have] == sent else None
