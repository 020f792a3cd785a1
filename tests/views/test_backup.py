"""GET /backup/: the backup by type, searchable by name."""

from datetime import UTC

from django.utils import timezone

from restoration.content_types import ContentType
from tests.views.conftest import make_content


def test_it_lists_content_by_type(operator_client, django_assert_max_num_queries):
    make_content("1", ContentType.DASHBOARD, name="Sales overview")
    make_content("2", ContentType.LOOK, name="Weekly revenue")
    with django_assert_max_num_queries(8):
        body = operator_client.get("/backup/?type=2").content.decode()
    assert "Weekly revenue" in body and "Sales overview" not in body
    assert 'Look <span class="count">1</span>' in body


def test_it_searches_by_name(operator_client):
    make_content("1", name="Sales overview")
    make_content("2", name="Marketing funnel")
    body = operator_client.get("/backup/?q=sales").content.decode()
    assert "Sales overview" in body and "Marketing funnel" not in body


def test_deleted_items_are_hidden_unless_asked_for(operator_client):
    make_content("1", name="Gone dashboard", deleted_at=timezone.now())
    assert "Gone dashboard" not in operator_client.get("/backup/").content.decode()
    assert "Gone dashboard" in operator_client.get("/backup/?deleted=yes").content.decode()


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/backup/").status_code == 403


def test_it_says_when_the_backup_was_last_synced_and_links_to_take_one(operator_client):
    from datetime import datetime

    from restoration.models import SessionKind
    from tests.views.conftest import make_content, make_session

    make_content("1", synced_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    make_content("2", synced_at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
    latest = make_session(kind=SessionKind.EXTRACT, source_section="prod")
    body = operator_client.get("/backup/").content.decode()
    assert "Backup: last synced" in body and "2026-03-02 14:05" in body
    assert f"/sessions/{latest.pk}/" in body
    assert 'href="/backup/new"' in body and "Take a backup</a>" in body


def test_auditors_see_no_take_a_backup_link(auditor_client):
    body = auditor_client.get("/backup/").content.decode()
    assert "Backup: never synced" in body and 'href="/backup/new"' not in body


def test_an_empty_backup_says_how_to_take_one(operator_client):
    body = operator_client.get("/backup/").content.decode()
    assert "The backup is empty." in body and "manage.py import_backup" in body
    assert "Nothing in the backup matches" in operator_client.get("/backup/?q=x").content.decode()


def test_ids_with_slashes_and_dots_link_to_their_own_pages(operator_client):
    make_content("a/b", ContentType.DASHBOARD, name="Slashed")
    make_content("..", ContentType.DASHBOARD, name="Dots")
    response = operator_client.get("/backup/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/backup/dashboard/a%252Fb/"' in body
    assert 'href="/backup/dashboard/%252E%252E/"' in body
    assert "Slashed" in operator_client.get("/backup/dashboard/a%252Fb/").content.decode()
    assert "Dots" in operator_client.get("/backup/dashboard/%252E%252E/").content.decode()
