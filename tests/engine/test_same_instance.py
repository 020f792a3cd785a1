"""Restoring into the instance the backup came from, after things were deleted or changed."""

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.looker.instances import make_sdk
from tests.engine.conftest import fast_config, restore
from tests.engine.test_cross_instance import filters, tiles

pytestmark = pytest.mark.django_db(transaction=True)


def test_deleted_and_changed_content_comes_back(backup, looker_source):
    sdk = make_sdk("source")
    dashboards = [sdk.dashboard(d.id) for d in sdk.all_dashboards()]
    dashboards = [d for d in dashboards if len(d.dashboard_elements) >= 2][:3]
    gone, trashed, edited = dashboards
    before = {d.id: (tiles(sdk, d.id, None), filters(sdk, d.id)) for d in dashboards}
    look = sdk.all_looks()[0]
    group = next(g for g in sdk.all_groups() if not g.include_by_default and g.user_count)
    members = sorted(u.id for u in sdk.all_group_users(group.id))
    folder = next(
        f
        for f in sdk.all_folders()
        if f.parent_id and not f.is_personal and not f.is_personal_descendant
    )

    sdk.delete_dashboard(gone.id)
    sdk.update_dashboard(trashed.id, m.WriteDashboard(deleted=True))
    sdk.delete_dashboard_element(edited.dashboard_elements[0].id)
    component = edited.dashboard_layouts[0].dashboard_layout_components[-1]
    sdk.update_dashboard_layout_component(component.id, m.WriteDashboardLayoutComponent(row=99))
    sdk.delete_look(look.id)
    sdk.delete_group(group.id)
    sdk.update_folder(folder.id, m.UpdateFolder(name="Renamed by mistake"))

    session = restore(
        fast_config(looker_source, looker_source), destination="source", source="source"
    )
    assert session.status == "completed_with_errors", session.last_error

    titles = {d.title: d.id for d in sdk.all_dashboards()}
    back = titles[gone.title]
    assert back != gone.id  # a hard-deleted dashboard is created anew
    assert (tiles(sdk, back, None), filters(sdk, back)) == before[gone.id]
    assert titles[trashed.title] == trashed.id  # undeleted in place, same id
    assert (tiles(sdk, trashed.id, None), filters(sdk, trashed.id)) == before[trashed.id]
    assert (tiles(sdk, edited.id, None), filters(sdk, edited.id)) == before[edited.id]
    assert look.title in {lk.title for lk in sdk.all_looks()}
    new_group = next(g for g in sdk.all_groups() if g.name == group.name)
    assert sorted(u.id for u in sdk.all_group_users(new_group.id)) == members
    assert sdk.folder(folder.id).name == folder.name
    assert session.created_count >= 3 and session.updated_count >= 3

    # A second restore finds nothing to do.
    looker_source.reset_counters()
    again = restore(
        fast_config(looker_source, looker_source), destination="source", source="source"
    )
    assert again.status == "completed_with_errors"
    assert looker_source.counters()["writes"] == 0
    assert again.created_count == 0 and again.updated_count == 0
