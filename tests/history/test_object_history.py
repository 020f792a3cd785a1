"""GET /backup/<type>/<id>/history: an object's versions, newest first, with when they were
backed up, when and by whom they changed in Looker, and "restore this version"."""

import re

import pytest
from django.utils.http import urlencode

from restoration.versions import ContentVersion

pytestmark = pytest.mark.django_db


def test_it_lists_each_version_newest_first_with_who_changed_it(operator_client, changed_dashboard):
    d = changed_dashboard
    body = operator_client.get(f"/backup/dashboard/{d.id}/history").content.decode()
    rows = re.findall(r'data-version="(\d+)"', body)
    versions = list(ContentVersion.objects.of_object(1, d.id).order_by("-valid_from"))
    assert rows == [str(v.pk) for v in versions] and len(rows) == 2
    assert versions[0].name == f"{d.title} (edited)" and versions[1].name == d.title
    assert versions[0].changed_by_id  # Looker's last_updater_id of the edit
    assert f"user {versions[0].changed_by_id}" not in body  # resolved to a name
    assert d.second_run.label in body and d.first_run.label in body


def test_restore_this_version_prefills_the_launch_form_with_its_moment(
    operator_client, changed_dashboard
):
    d = changed_dashboard
    first = ContentVersion.objects.of_object(1, d.id).order_by("valid_from").first()
    body = operator_client.get(f"/backup/dashboard/{d.id}/history").content.decode()
    query = urlencode(
        {"content_types": 1, "content_ids": d.id, "as_of": first.valid_from.isoformat()}
    )
    assert f'href="/sessions/new?{query.replace("&", "&amp;")}"' in body
    form = operator_client.get(f"/sessions/new?{query}").content.decode()
    assert f'value="{first.valid_from.isoformat()}"' in form


def test_auditors_see_the_history_but_no_restore_link(auditor_client, changed_dashboard):
    body = auditor_client.get(f"/backup/dashboard/{changed_dashboard.id}/history")
    assert body.status_code == 200
    assert "Restore this version" not in body.content.decode()


def test_an_object_without_history_is_404(operator_client, db):
    assert operator_client.get("/backup/dashboard/404/history").status_code == 404
    assert operator_client.get("/backup/widget/1/history").status_code == 404
