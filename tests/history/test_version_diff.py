"""GET /backup/<type>/<id>/diff?a=&b=: two versions side by side; for dashboards the
tiles and filters added, removed and changed."""

import re

import pytest

from restoration.versions import ContentVersion

pytestmark = pytest.mark.django_db


def test_it_shows_exactly_the_three_changes_of_the_dashboard(operator_client, changed_dashboard):
    d = changed_dashboard
    older, newer = ContentVersion.objects.of_object(1, d.id).order_by("valid_from")
    body = operator_client.get(
        f"/backup/dashboard/{d.id}/diff?a={older.pk}&b={newer.pk}"
    ).content.decode()
    assert re.search(r'data-testid="change-count"><strong>3</strong> changes', body)
    fields = re.findall(r'data-testid="field-change"><th scope="row"><code>([^<]+)</code>', body)
    assert fields == ["title"]
    parts = re.findall(r'data-testid="part-change" data-kind="(\w+)" data-change="(\w+)"', body)
    assert sorted(parts) == [("filter", "changed"), ("tile", "changed")]
    assert "A tile renamed by mistake" in body and "changed default" in body
    assert d.tile_title in body and f"{d.title} (edited)" in body


def test_without_versions_named_it_compares_the_latest_with_the_one_before(
    operator_client, changed_dashboard
):
    body = operator_client.get(f"/backup/dashboard/{changed_dashboard.id}/diff").content.decode()
    assert re.search(r"<strong>3</strong> changes", body)


def test_the_order_of_the_two_versions_does_not_matter(operator_client, changed_dashboard):
    d = changed_dashboard
    older, newer = ContentVersion.objects.of_object(1, d.id).order_by("valid_from")
    body = operator_client.get(
        f"/backup/dashboard/{d.id}/diff?a={newer.pk}&b={older.pk}"
    ).content.decode()
    before = re.search(r'data-testid="before-time">([^<]+)<', body).group(1)
    assert before.startswith(f"{older.valid_from:%Y-%m-%d %H:%M}")


def test_it_offers_to_restore_the_older_version(operator_client, changed_dashboard):
    body = operator_client.get(f"/backup/dashboard/{changed_dashboard.id}/diff").content.decode()
    assert "Restore the older version" in body


def test_bad_version_ids_are_404(operator_client, changed_dashboard):
    d = changed_dashboard
    assert operator_client.get(f"/backup/dashboard/{d.id}/diff?a=x").status_code == 404
    assert operator_client.get(f"/backup/dashboard/{d.id}/diff?a=999999").status_code == 404
    assert operator_client.get("/backup/dashboard/404/diff").status_code == 404
