"""User attributes on the emulator through the real SDK: definitions (system ones
included), group values in precedence order, user values, the value a user gets."""

from __future__ import annotations

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

SYSTEM = ["email", "first_name", "id", "last_name", "locale", "name", "number_format"]


def attribute(sdk, name: str = "region", label: str = "Region", **kw) -> m.UserAttribute:
    return sdk.create_user_attribute(
        m.WriteUserAttribute(name=name, label=label, type=kw.pop("type", "string"), **kw)
    )


def problems(exc: pytest.ExceptionInfo) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.value.errors or []]


def test_rule_system_user_attributes_exist(sdk):
    system = [a for a in sdk.all_user_attributes() if a.is_system]
    assert sorted(a.name for a in system) == SYSTEM
    assert all(a.is_permanent for a in system)


def test_rule_user_attribute_name_and_label_unique(sdk):
    attribute(sdk)
    with pytest.raises(error.SDKError) as exc:
        attribute(sdk, label="Another")
    assert problems(exc) == [("name", "already_exists")]
    with pytest.raises(error.SDKError) as exc:
        attribute(sdk, name="another", label="Region")
    assert problems(exc) == [("label", "already_exists")]
    with pytest.raises(error.SDKError) as exc:
        attribute(sdk, name="email", label="E-mail")
    assert problems(exc) == [("name", "already_exists")]
    assert [a.name for a in sdk.all_user_attributes() if not a.is_system] == ["region"]


def test_rule_user_attribute_type_documented(sdk):
    with pytest.raises(error.SDKError) as exc:
        attribute(sdk, type="text")
    assert problems(exc) == [("type", "invalid")]
    assert attribute(sdk, type="advanced_filter_string").type == "advanced_filter_string"


def test_rule_system_user_attribute_cannot_be_changed(sdk):
    email = next(a for a in sdk.all_user_attributes() if a.name == "email")
    with pytest.raises(error.SDKError) as exc:
        sdk.update_user_attribute(
            email.id, m.WriteUserAttribute(label="Mail", name="email", type="string")
        )
    assert exc.value.errors[0].field == "label"
    assert sdk.user_attribute(email.id).label == "Email"
    # Sending it back unchanged is not a change.
    same = m.WriteUserAttribute(name="email", label="Email", type="string")
    assert sdk.update_user_attribute(email.id, same).label == "Email"


def test_rule_permanent_user_attribute_cannot_be_deleted(sdk):
    locale = next(a for a in sdk.all_user_attributes() if a.name == "locale")
    with pytest.raises(error.SDKError):
        sdk.delete_user_attribute(locale.id)
    assert sdk.user_attribute(locale.id).name == "locale"
    mine = attribute(sdk)
    sdk.delete_user_attribute(mine.id)
    assert mine.id not in [a.id for a in sdk.all_user_attributes()]


def _groups(sdk, *names: str) -> list[m.Group]:
    return [sdk.create_group(m.WriteGroup(name=n)) for n in names]


def test_rule_group_values_replace_all_in_precedence_order(sdk):
    attr = attribute(sdk)
    a, b, c = _groups(sdk, "A", "B", "C")
    values = [m.UserAttributeGroupValue(group_id=g.id, value=v) for g, v in ((a, "1"), (b, "2"))]
    sdk.set_user_attribute_group_values(attr.id, values)
    values = [m.UserAttributeGroupValue(group_id=g.id, value=v) for g, v in ((c, "3"), (a, "1"))]
    answer = sdk.set_user_attribute_group_values(attr.id, values)
    assert [(v.group_id, v.value, v.rank) for v in answer] == [(c.id, "3", 1), (a.id, "1", 2)]
    listed = sdk.all_user_attribute_group_values(attr.id)
    assert [v.group_id for v in listed] == [c.id, a.id]
    sdk.update_user_attribute_group_value(b.id, attr.id, m.UserAttributeGroupValue(value="2"))
    sdk.delete_user_attribute_group_value(c.id, attr.id)
    listed = sdk.all_user_attribute_group_values(attr.id)
    assert [(v.group_id, v.rank) for v in listed] == [(a.id, 1), (b.id, 2)]


def test_rule_group_values_ranks_all_or_none(sdk):
    attr = attribute(sdk)
    a, b = _groups(sdk, "A", "B")
    partial = [
        m.UserAttributeGroupValue(group_id=a.id, value="1", rank=2),
        m.UserAttributeGroupValue(group_id=b.id, value="2"),
    ]
    with pytest.raises(error.SDKError):
        sdk.set_user_attribute_group_values(attr.id, partial)
    assert sdk.all_user_attribute_group_values(attr.id) == []
    ranked = [
        m.UserAttributeGroupValue(group_id=a.id, value="1", rank=2),
        m.UserAttributeGroupValue(group_id=b.id, value="2", rank=1),
    ]
    answer = sdk.set_user_attribute_group_values(attr.id, ranked)
    assert [v.group_id for v in answer] == [b.id, a.id]
    with pytest.raises(error.SDKError) as exc:
        sdk.set_user_attribute_group_values(
            attr.id, [m.UserAttributeGroupValue(group_id="999", value="x")]
        )
    assert problems(exc) == [("group_id", "missing")]


def test_rule_user_value_wins_over_group_and_default(sdk):
    attr = attribute(sdk, default_value="All")
    (group,) = _groups(sdk, "EMEA team")
    user = sdk.create_user(m.WriteUser(first_name="Ana", last_name="Lyst"))

    def value() -> tuple[str | None, str | None]:
        (found,) = sdk.user_attribute_user_values(user.id, user_attribute_ids=[attr.id])
        return found.value, found.source

    assert value() == ("All", "default")
    sdk.add_group_user(group.id, m.GroupIdForGroupUserInclusion(user_id=user.id))
    sdk.set_user_attribute_group_values(
        attr.id, [m.UserAttributeGroupValue(group_id=group.id, value="EMEA")]
    )
    assert value() == ("EMEA", f"group:{group.id}")
    sdk.set_user_attribute_user_value(user.id, attr.id, m.WriteUserAttributeWithValue(value="X"))
    assert value() == ("X", "user")
    every = sdk.user_attribute_user_values(user.id, user_attribute_ids=[attr.id], all_values=True)
    assert [v.source for v in every] == ["user", f"group:{group.id}", "default"]
    sdk.delete_user_attribute_user_value(user.id, attr.id)
    assert value() == ("EMEA", f"group:{group.id}")


def test_rule_hidden_values_are_not_answered(sdk):
    attr = attribute(sdk, name="secret", label="Secret", value_is_hidden=True)
    (group,) = _groups(sdk, "G")
    sdk.set_user_attribute_group_values(
        attr.id, [m.UserAttributeGroupValue(group_id=group.id, value="s3cret")]
    )
    (row,) = sdk.all_user_attribute_group_values(attr.id)
    assert (row.value, row.value_is_hidden) == (None, True)


def test_the_demo_has_user_attributes_with_group_and_user_values(demo_sdk, looker_source):
    mine = [a for a in demo_sdk.all_user_attributes() if not a.is_system]
    assert [a.name for a in mine] == ["region", "cost_center", "can_see_pii", "warehouse_password"]
    region = mine[0]
    assert len(demo_sdk.all_user_attribute_group_values(region.id)) == 3
    stored = looker_source.store.get("user_attribute", region.id)
    assert len(stored["_user_values"]) == 3


def test_rule_deleting_a_user_value_the_user_lacks_answers_204(sdk):
    attr = attribute(sdk)
    user = sdk.create_user(m.WriteUser(first_name="No", last_name="Value"))
    sdk.delete_user_attribute_user_value(user.id, attr.id)
    (row,) = sdk.user_attribute_user_values(
        user.id, user_attribute_ids=[attr.id], include_unset=True
    )
    assert row.value is None and row.source is None
