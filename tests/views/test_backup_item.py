"""GET /backup/<type>/<id>/: one object decoded, where it went, and "restore this"."""

from django.urls import reverse

from restoration.content_types import ContentType
from tests.views.conftest import make_content, make_mapping


def test_it_shows_the_decoded_object_and_a_prefilled_restore_link(operator_client):
    make_content("42", ContentType.DASHBOARD, name="Sales overview")
    body = operator_client.get("/backup/dashboard/42/").content.decode()
    assert "&quot;title&quot;: &quot;Sales overview&quot;" in body
    assert 'href="/sessions/new?content_types=1&amp;content_ids=42"' in body


def test_it_shows_where_the_object_was_restored(operator_client):
    make_content("42", ContentType.DASHBOARD)
    make_mapping("42", "1042")
    body = operator_client.get("/backup/dashboard/42/").content.decode()
    assert "Restored as" in body and "/dashboards/1042" in body


def test_auditors_get_no_restore_button(auditor_client):
    make_content("42", ContentType.DASHBOARD)
    assert "Restore this" not in auditor_client.get("/backup/dashboard/42/").content.decode()


def test_unknown_items_and_types_are_404(operator_client, db):
    assert operator_client.get("/backup/dashboard/404/").status_code == 404
    assert operator_client.get("/backup/widget/1/").status_code == 404


ODD_IDS = ["a/b", "model::x/y/", "50%", "..", ".", "q?x=1#frag", "é ü", "%2F"]


def test_any_id_opens_its_own_page(operator_client):
    for i, content_id in enumerate(ODD_IDS):
        make_content(content_id, ContentType.DASHBOARD, name=f"Odd {i}")
    for i, content_id in enumerate(ODD_IDS):
        url = reverse("restoration-backup-item", args=["dashboard", content_id])
        response = operator_client.get(url)
        assert response.status_code == 200, (content_id, url)
        assert response.context["item"].content_id == content_id
        assert f"Odd {i}" in response.content.decode()


def test_an_id_typed_with_a_plain_slash_is_found(operator_client):
    make_content("a/b", ContentType.DASHBOARD, name="Slashed")
    assert "Slashed" in operator_client.get("/backup/dashboard/a/b/").content.decode()
