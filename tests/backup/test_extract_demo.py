"""Extracting the emulator's demo instance: every type, stored exactly as the SDK returns it."""

import pytest

from restoration.backup import extract_instance
from restoration.backup.readers import as_dict, without_secrets
from restoration.content_types import RESTORABLE_TYPES, ContentType
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem, RestorationCheckpoint, SessionKind, SessionStatus
from tests.backup.conftest import fast

pytestmark = pytest.mark.django_db


def keys_of(value) -> set[str]:
    """Every dict key at any depth."""
    if isinstance(value, dict):
        return set(value).union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value))
    return set()


def ids(rows):
    return [str(r.id) for r in rows]


def expected_object(sdk, content_type: int, content_id: str) -> dict:
    """What the SDK returns for one object, read independently of the extractor."""
    ct = ContentType(content_type)
    if ct == ContentType.DASHBOARD:
        data = as_dict(sdk.dashboard(content_id))
        for element in data["dashboard_elements"]:
            # A merged-results tile keeps its merge query and source queries.
            if element.get("merge_result_id"):
                merge = as_dict(sdk.merge_query(element["merge_result_id"]))
                for source in merge["source_queries"]:
                    source["query"] = as_dict(sdk.query(source["query_id"]))
                element["merge_query"] = merge
    elif ct == ContentType.LOOK:
        data = as_dict(sdk.look(content_id))
    elif ct == ContentType.BOARD:
        data = as_dict(sdk.board(content_id))
    elif ct == ContentType.USER:
        data = as_dict(sdk.user(content_id))
    elif ct == ContentType.GROUP:
        data = as_dict(sdk.group(content_id))
        data["user_ids"] = ids(sdk.all_group_users(content_id, sorts="id"))
        data["group_ids"] = ids(sdk.all_group_groups(content_id))
    elif ct == ContentType.ROLE:
        data = as_dict(sdk.role(content_id))
        data["user_ids"] = ids(sdk.role_users(content_id, direct_association_only=True))
        data["group_ids"] = ids(sdk.role_groups(content_id))
    elif ct == ContentType.FOLDER:
        data = as_dict(sdk.folder(content_id))
        meta = data["content_metadata_id"]
        data["content_metadata"] = as_dict(sdk.content_metadata(meta))
        data["content_metadata_accesses"] = [
            as_dict(a) for a in sdk.all_content_metadata_accesses(meta)
        ]
    elif ct == ContentType.PERMISSION_SET:
        data = as_dict(sdk.permission_set(content_id))
    elif ct == ContentType.MODEL_SET:
        data = as_dict(sdk.model_set(content_id))
    elif ct == ContentType.SCHEDULED_PLAN:
        data = as_dict(sdk.scheduled_plan(content_id))
    elif ct == ContentType.LOOKML_MODEL:
        data = as_dict(sdk.lookml_model(content_id))
    elif ct == ContentType.ALERT:
        data = as_dict(sdk.get_alert(content_id))
        data["dashboard_id"] = sdk.dashboard_element(data["dashboard_element_id"]).dashboard_id
        data["follower_ids"] = []
        for user in sdk.all_users(sorts="id"):
            if user.is_disabled:
                continue
            sdk.auth.login_user(user.id)  # Looker tells only the caller whether they follow
            try:
                if sdk.get_alert(content_id).followed:
                    data["follower_ids"].append(user.id)
            finally:
                sdk.auth.logout()
    elif ct == ContentType.USER_ATTRIBUTE:
        data = as_dict(sdk.user_attribute(content_id))
        data["user_values"] = []
        data["group_values"] = []
        if not data["is_system"]:
            data["group_values"] = [
                {"group_id": v.group_id, "value": v.value, "rank": v.rank}
                for v in sdk.all_user_attribute_group_values(content_id)
            ]
            for user in sdk.all_users(sorts="id"):
                for v in sdk.user_attribute_user_values(user.id, user_attribute_ids=[content_id]):
                    if v.source == "user":
                        data["user_values"].append({"user_id": user.id, "value": v.value})
    else:
        model, _, explore = content_id.partition("::")
        data = as_dict(sdk.lookml_model_explore(model, explore))
    return without_secrets(content_type, data)


def test_it_backs_up_every_type_exactly_as_the_sdk_returns_it(source_ini):
    session = extract_instance("source", fast())
    assert session.status == SessionStatus.COMPLETED, session.last_error
    assert session.error_count == 0
    present = set(ContentItem.objects.values_list("content_type", flat=True))
    assert present >= {int(t) for t in RESTORABLE_TYPES} | {ContentType.EXPLORE}

    sdk = make_sdk("source")
    for item in ContentItem.objects.order_by("content_type", "content_id"):
        expected = expected_object(sdk, item.content_type, item.content_id)
        assert item.decoded() == expected, f"{item} differs from the SDK's object"


def test_it_finds_every_object_the_instance_lists(source_ini):
    extract_instance("source", fast())
    sdk = make_sdk("source")
    listed = {
        ContentType.DASHBOARD: ids(sdk.all_dashboards()),
        ContentType.LOOK: ids(sdk.all_looks()),
        ContentType.USER: ids(sdk.all_users()),
        ContentType.GROUP: ids(sdk.all_groups()),
        ContentType.ROLE: ids(sdk.all_roles()),
        ContentType.BOARD: ids(sdk.all_boards()),
        ContentType.SCHEDULED_PLAN: ids(sdk.all_scheduled_plans(all_users=True)),
        ContentType.PERMISSION_SET: ids(sdk.all_permission_sets()),
        ContentType.MODEL_SET: ids(sdk.all_model_sets()),
        ContentType.LOOKML_MODEL: [m.name for m in sdk.all_lookml_models()],
        ContentType.ALERT: ids(sdk.search_alerts(all_owners=True)),
        ContentType.USER_ATTRIBUTE: ids(sdk.all_user_attributes()),
    }
    for content_type, expected in listed.items():
        stored = ContentItem.objects.filter(content_type=content_type).values_list(
            "content_id", flat=True
        )
        assert sorted(stored) == sorted(expected), content_type.label


def test_dashboards_keep_their_tiles_filters_and_layouts(source_ini):
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    blobs = [i.decoded() for i in ContentItem.objects.filter(content_type=ContentType.DASHBOARD)]
    elements = [e for b in blobs for e in b.get("dashboard_elements", [])]
    assert any(e.get("query", {}).get("model") for e in elements)
    assert any(b.get("dashboard_filters") for b in blobs)
    layouts = [lay for b in blobs for lay in b.get("dashboard_layouts", [])]
    assert layouts and all(lay.get("dashboard_layout_components") is not None for lay in layouts)
    assert any(lay["dashboard_layout_components"] for lay in layouts)


def test_the_searchable_columns_are_filled(source_ini):
    extract_instance("source", fast())
    dashboard = ContentItem.objects.filter(content_type=ContentType.DASHBOARD).first()
    data = dashboard.decoded()
    assert dashboard.name == data["title"]
    assert dashboard.folder_id == str(data["folder_id"])
    assert dashboard.owner_id == str(data["user_id"])
    owner = ContentItem.objects.get(content_type=ContentType.USER, content_id=dashboard.owner_id)
    assert dashboard.owner_email == owner.decoded()["email"]
    assert dashboard.created_at is not None and dashboard.updated_at is not None
    assert dashboard.content_size == len(bytes(dashboard.content_data))
    assert not ContentItem.objects.filter(synced_at__isnull=True).exists()
    folder = ContentItem.objects.filter(content_type=ContentType.FOLDER).exclude(folder_id=None)
    assert folder.exists(), "a folder's folder_id is its parent"


def test_no_secret_reaches_the_backup(source_ini, looker_source):
    sdk = make_sdk("source")
    user_id = sdk.all_users()[-1].id
    with looker_source.store.lock:  # a user who also signs in through Google and SAML
        user = looker_source.store.get("user", user_id)
        user["credentials_google"] = {"email": "g@example.com", "google_user_id": "g-1"}
        user["credentials_saml"] = {"email": "s@example.com", "saml_user_id": "s-1"}
    extract_instance("source", fast())
    forbidden_keys = {
        "client_secret",
        "credentials_api3",
        "credentials_google",
        "credentials_saml",
        "secret_parameters",
        "password_reset_url",
        "account_setup_url",
        "access_token",
        "sessions",
    }
    for item in ContentItem.objects.all():
        assert looker_source.client_secret.encode() not in bytes(item.content_data)
        found = forbidden_keys & keys_of(item.decoded())
        assert not found, f"{found} in {item}"
    stored_user = ContentItem.objects.get(content_type=ContentType.USER, content_id=user_id)
    assert stored_user.decoded()["credentials_email"]["email"]


def test_secrets_are_removed_at_any_depth():
    user = {
        "id": "7",
        "credentials_email": {
            "email": "a@example.com",
            "password_reset_url": "https://x/reset/t0k",
        },
        "credentials_api3": [{"client_id": "abc", "client_secret": "s3cret"}],
        "credentials_totp": {"verified": True},
        "sessions": [{"ip_address": "10.0.0.1"}],
    }
    assert without_secrets(ContentType.USER, user) == {
        "id": "7",
        "credentials_email": {"email": "a@example.com"},
    }
    plan = {"id": "3", "scheduled_plan_destination": [{"type": "s3", "secret_parameters": "k"}]}
    assert without_secrets(ContentType.SCHEDULED_PLAN, plan) == {
        "id": "3",
        "scheduled_plan_destination": [{"type": "s3"}],
    }


def test_the_run_is_recorded_as_an_extract_session(source_ini, looker_source):
    session = extract_instance("source", fast())
    assert session.kind == SessionKind.EXTRACT
    assert session.destination_instance == looker_source.base_url
    assert session.destination_section == "source"
    stored = ContentItem.objects.count()
    assert session.created_count == stored
    assert session.total_items == session.success_count == stored
    assert session.planned_items == stored
    assert session.api_calls >= stored // 10
    per_type = session.metadata["per_type"]
    assert per_type["dashboard"]["created"] == ContentItem.objects.filter(content_type=1).count()
    checkpoints = RestorationCheckpoint.objects.filter(session=session)
    assert checkpoints.count() == len(session.metadata["extraction"]["types"])
    assert all(c.completed_at for c in checkpoints)
    assert looker_source.client_secret not in str(session.config) + str(session.metadata)


def test_only_the_chosen_types_are_read(source_ini, looker_source):
    looker_source.reset_counters()
    extract_instance("source", fast(types=[ContentType.BOARD]))
    assert set(ContentItem.objects.values_list("content_type", flat=True)) == {ContentType.BOARD}
    calls = looker_source.counters()["calls"]
    assert not any("/dashboards" in key for key in calls)
