"""A dashboard's folder is remapped by name under the mapped parent: restoring only the
dashboard into an instance that already has the same folder tree (other ids) puts it
in that folder, and never in a folder that merely shares the name elsewhere."""

from __future__ import annotations

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from tests.engine.conftest import fast_config, restore, take_backup

pytestmark = pytest.mark.django_db(transaction=True)


def shared_root(sdk) -> str:
    return next(f.id for f in sdk.all_folders() if f.is_shared_root)


def test_the_dashboard_lands_in_the_folder_of_the_same_name_under_the_mapped_parent(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    parent = src.create_folder(m.CreateFolder(name="Treasury", parent_id=shared_root(src)))
    child = src.create_folder(m.CreateFolder(name="Monthly", parent_id=parent.id))
    dash = src.create_dashboard(m.WriteDashboard(title="Close", folder_id=child.id))
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="Read me")
    )
    take_backup("source")

    dst = make_sdk("destination")
    root = shared_root(dst)
    # A decoy first: "Monthly" under another parent must not be chosen.
    decoy_parent = dst.create_folder(m.CreateFolder(name="Procurement", parent_id=root))
    dst.create_folder(m.CreateFolder(name="Monthly", parent_id=decoy_parent.id))
    dst_parent = dst.create_folder(m.CreateFolder(name="Treasury", parent_id=root))
    dst_child = dst.create_folder(m.CreateFolder(name="Monthly", parent_id=dst_parent.id))

    session = restore(
        fast_config(
            looker_source, looker_destination, content_types=[CT.DASHBOARD], content_ids=[dash.id]
        )
    )
    assert session.status == "completed", session.last_error
    assert session.success_count == 1
    restored = [d for d in dst.search_dashboards(title="Close")]
    assert [str(d.folder_id) for d in restored] == [str(dst_child.id)]
    tiles = dst.dashboard(restored[0].id).dashboard_elements
    assert [t.title_text for t in tiles] == ["Read me"]


def test_a_dashboard_whose_folder_is_nowhere_fails_naming_the_folder(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    folder = src.create_folder(m.CreateFolder(name="Nowhere", parent_id=shared_root(src)))
    dash = src.create_dashboard(m.WriteDashboard(title="Lost", folder_id=folder.id))
    take_backup("source")

    session = restore(
        fast_config(
            looker_source, looker_destination, content_types=[CT.DASHBOARD], content_ids=[dash.id]
        )
    )
    assert session.error_count == 1
    letter = session.dead_letters.get()
    assert f"folder {folder.id} 'Nowhere' was not restored" in letter.error_message
