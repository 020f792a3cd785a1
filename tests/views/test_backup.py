"""GET /backup/: the backup by type, searchable by name."""

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
