"""Alerts and user attributes, backed up and restored: built on the source through the
SDK (an alert with followers on a query tile, an attribute with group and user values),
restored into an empty instance and found equal after mapping ids, exactly once; a second
run writes nothing; deleted in the source, restored back into it."""

from __future__ import annotations

from typing import Any

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType as CT
from restoration.engine.api import as_dict
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem, IDMapping
from tests.engine.conftest import fast_config, restore, take_backup

pytestmark = pytest.mark.django_db(transaction=True)


def build(src, store) -> dict[str, Any]:
    """On the source: a dashboard with a text tile and a query tile, an alert on the query
    tile followed by two users, an attribute with two group values and a user value."""
    folder = next(f.id for f in src.all_folders() if f.is_shared_root)
    dash = src.create_dashboard(m.WriteDashboard(title="Stock watch", folder_id=folder))
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="Read me")
    )
    query = src.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["order_items.count"])
    )
    tile = src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="vis", query_id=query.id, title="Orders")
    )
    users = [u for u in src.all_users() if not u.is_disabled and u.id != "1"][:3]
    alert = src.post(
        "/alerts",
        m.Alert,
        body={
            "dashboard_element_id": tile.id,
            "owner_id": users[0].id,
            "cron": "0 6 * * *",
            "comparison_type": "GREATER_THAN",
            "threshold": 500,
            "field": {"title": "Count", "name": "order_items.count"},
            "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}],
            "custom_title": "Orders spike",
        },
    )
    for user in users[1:]:
        token = src.login_user(user.id)
        src.follow_alert(
            alert.id,
            transport_options={"headers": {"Authorization": f"Bearer {token.access_token}"}},
        )
    groups = src.all_groups()[:2]
    attr = src.create_user_attribute(
        m.WriteUserAttribute(name="territory", label="Territory", type="string", default_value="-")
    )
    src.set_user_attribute_group_values(
        attr.id,
        [
            m.UserAttributeGroupValue(group_id=groups[1].id, value="North"),
            m.UserAttributeGroupValue(group_id=groups[0].id, value="South"),
        ],
    )
    src.set_user_attribute_user_value(
        users[2].id, attr.id, m.WriteUserAttributeWithValue(value="East")
    )
    assert len(store.get("alert", alert.id)["_follower_ids"]) == 2
    return {"alert": alert, "attribute": attr, "tile": tile}


def emails(sdk) -> dict[str, str]:
    return {u.id: u.email for u in sdk.all_users()}


def alerts_as_seen(sdk, store) -> list[tuple]:
    """Every alert by what it is, with ids replaced by what they stand for: the tile's
    dashboard title and tile title, owner and followers by email."""
    who = emails(sdk)
    out = []
    for a in sdk.search_alerts(all_owners=True):
        tile = sdk.dashboard_element(a.dashboard_element_id)
        followers = sorted(who[u] for u in store.get("alert", a.id)["_follower_ids"])
        out.append(
            (
                sdk.dashboard(tile.dashboard_id).title,
                tile.title,
                a.field.name,
                str(a.comparison_type.value),
                a.threshold,
                a.cron,
                a.custom_title,
                tuple((d.destination_type.value, d.email_address) for d in a.destinations),
                who[a.owner_id],
                tuple(followers),
            )
        )
    return sorted(out, key=repr)


def attributes_as_seen(sdk) -> list[tuple]:
    groups = {g.id: g.name for g in sdk.all_groups()}
    who = emails(sdk)
    out = []
    for a in sdk.all_user_attributes():
        values = [(groups[v.group_id], v.value) for v in sdk.all_user_attribute_group_values(a.id)]
        own = sorted(
            (who[u.id], v.value)
            for u in sdk.all_users()
            for v in sdk.user_attribute_user_values(u.id, user_attribute_ids=[a.id])
            if v.source == "user"
        )
        out.append((a.name, a.label, a.type, a.default_value, a.is_system, values, own))
    return sorted(out, key=repr)


def test_alerts_and_user_attributes_are_restored_into_another_instance_exactly_once(
    looker_ini, looker_source, looker_destination
):
    src, dst = make_sdk("source"), make_sdk("destination")
    build(src, looker_source.store)
    take_backup("source")
    assert ContentItem.objects.filter(content_type=CT.ALERT).count() == 9
    assert ContentItem.objects.filter(content_type=CT.USER_ATTRIBUTE).count() == 12

    session = restore(fast_config(looker_source, looker_destination))
    assert session.status == "completed", session.last_error
    # The demo dead-letters a few dashboards (tiles on Looks in the trash); an alert on
    # one of them fails naming it, and every other alert arrives.
    lost = {
        d.content_id: src.dashboard(d.content_id).title
        for d in session.dead_letters.filter(content_type=CT.DASHBOARD)
    }
    letters = session.dead_letters.filter(content_type__in=[CT.ALERT, CT.USER_ATTRIBUTE])
    for letter in letters:
        assert letter.content_type == CT.ALERT
        assert any(f"dashboard {i} " in letter.error_message for i in lost), letter.error_message

    want = [a for a in alerts_as_seen(src, looker_source.store) if a[0] not in lost.values()]
    got = alerts_as_seen(dst, looker_destination.store)
    assert got == want and len(got) == 9 - letters.count()
    # Copied into another instance, alerts are disabled, as scheduled plans are.
    assert all(a.is_disabled for a in dst.search_alerts(all_owners=True))
    assert attributes_as_seen(dst) == attributes_as_seen(src)
    # System attributes are mapped by name and never written.
    system = {a.name: a.id for a in dst.all_user_attributes() if a.is_system}
    mapped = dict(
        IDMapping.objects.filter(content_type=CT.USER_ATTRIBUTE).values_list(
            "source_id", "destination_id"
        )
    )
    src_system = {a.name: a.id for a in src.all_user_attributes() if a.is_system}
    assert {name: mapped[sid] for name, sid in src_system.items()} == system

    looker_destination.reset_counters()
    again = restore(fast_config(looker_source, looker_destination))
    counters = looker_destination.counters()
    assert counters["creates"] == {}
    assert counters["writes"] == 0, {
        k: v for k, v in counters["calls"].items() if not k.startswith("GET")
    }
    assert again.created_count == 0 and again.updated_count == 0


def test_deleted_alerts_and_attributes_come_back_into_the_same_instance(
    looker_ini, looker_source, looker_destination, settings
):
    src = make_sdk("source")
    built = build(src, looker_source.store)
    take_backup("source")
    want_alerts = alerts_as_seen(src, looker_source.store)
    want_attributes = attributes_as_seen(src)
    for a in src.search_alerts(all_owners=True):
        src.delete_alert(a.id)
    src.delete_user_attribute(built["attribute"].id)

    config = fast_config(
        looker_source,
        looker_source,
        content_types=[CT.ALERT, CT.USER_ATTRIBUTE],
    )
    session = restore(config, destination="source")
    assert session.status == "completed", session.last_error
    assert session.error_count == 0
    assert alerts_as_seen(src, looker_source.store) == want_alerts
    assert attributes_as_seen(src) == want_attributes
    # Into the instance they came from, alerts keep their enabled state.
    assert not all(a.is_disabled for a in src.search_alerts(all_owners=True))
    assert any(
        a.dashboard_element_id == built["tile"].id for a in src.search_alerts(all_owners=True)
    )


def test_the_dry_run_lists_alerts_and_attributes_without_writing(
    looker_ini, looker_source, looker_destination
):
    build(make_sdk("source"), looker_source.store)
    take_backup("source")
    looker_destination.reset_counters()
    session = restore(fast_config(looker_source, looker_destination, dry_run=True))
    assert session.status == "completed", session.last_error
    assert looker_destination.counters()["writes"] == 0
    rows = session.dry_run_rows.filter(content_type__in=[CT.ALERT, CT.USER_ATTRIBUTE])
    actions = {(r.content_type, r.action) for r in rows}
    assert (CT.ALERT, "create") in actions and (CT.USER_ATTRIBUTE, "create") in actions
    assert rows.filter(content_type=CT.USER_ATTRIBUTE, action="skip").count() == 7


def test_an_alert_changed_in_the_destination_would_be_updated_with_a_field_diff(
    looker_ini, looker_source, looker_destination
):
    src, dst = make_sdk("source"), make_sdk("destination")
    built = build(src, looker_source.store)
    take_backup("source")
    restore(fast_config(looker_source, looker_destination))
    target = next(a for a in dst.search_alerts(all_owners=True) if a.custom_title == "Orders spike")
    dst.update_alert_field(target.id, m.AlertPatch(threshold=1))
    looker_destination.reset_counters()
    session = restore(fast_config(looker_source, looker_destination, dry_run=True))
    row = session.dry_run_rows.get(content_type=CT.ALERT, content_id=built["alert"].id)
    assert row.action == "update"
    assert as_dict(row.diff)["threshold"] == [1.0, 500.0]
    assert looker_destination.counters()["writes"] == 0


def test_a_follower_who_stopped_following_in_the_destination_follows_again(
    looker_ini, looker_source, looker_destination
):
    src, dst = make_sdk("source"), make_sdk("destination")
    built = build(src, looker_source.store)
    take_backup("source")
    restore(fast_config(looker_source, looker_destination, content_types=_PEOPLE_AND_ALERTS))
    source_followers = looker_source.store.get("alert", built["alert"].id)["_follower_ids"]
    mapped = IDMapping.objects.get(content_type=CT.ALERT, source_id=built["alert"].id)
    stored = looker_destination.store.get("alert", mapped.destination_id)
    assert len(stored["_follower_ids"]) == len(source_followers) == 2
    gone = stored["_follower_ids"][0]
    token = dst.login_user(gone)
    dst.unfollow_alert(
        mapped.destination_id,
        transport_options={"headers": {"Authorization": f"Bearer {token.access_token}"}},
    )
    assert gone not in looker_destination.store.get("alert", mapped.destination_id)["_follower_ids"]

    # No API lists who follows an alert: an unchanged alert's re-run does not look
    # (docs/restore.md, "Re-runs"); a run with --verify does, and follows again.
    looker_destination.reset_counters()
    plain = restore(fast_config(looker_source, looker_destination, content_types=[CT.ALERT]))
    assert plain.updated_count == 0 and looker_destination.counters()["writes"] == 0
    assert gone not in looker_destination.store.get("alert", mapped.destination_id)["_follower_ids"]

    looker_destination.reset_counters()
    again = restore(
        fast_config(looker_source, looker_destination, content_types=[CT.ALERT], verify=True)
    )
    assert again.updated_count == 1
    assert gone in looker_destination.store.get("alert", mapped.destination_id)["_follower_ids"]
    assert looker_destination.counters()["writes"] == 1  # the one follow


_PEOPLE_AND_ALERTS = [
    CT.USER,
    CT.GROUP,
    CT.FOLDER,
    CT.LOOKML_MODEL,
    CT.LOOK,
    CT.DASHBOARD,
    CT.ALERT,
]
