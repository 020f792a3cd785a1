"""manage.py dlq list|retry|delete."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from restoration.models import AuditEvent, DeadLetterItem, RestorationSession
from tests.engine.conftest import fast_config, restore

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rejected(backup, looker_source, looker_destination):
    looker_destination.set_faults(
        rejections=[{"kind": "group", "field": "name", "pattern": ".", "status": 422}]
    )
    session = restore(fast_config(looker_source, looker_destination, content_types=[8]))
    assert session.error_count == 7  # every group of the demo
    return session


def test_it_lists_dead_letters_as_a_table_and_as_json(rejected):
    out = io.StringIO()
    call_command("dlq", "list", stdout=out)
    assert "LookerValidationError" in out.getvalue() and "7 dead letter(s)" in out.getvalue()
    out = io.StringIO()
    call_command("dlq", "list", "--json", "--type", "group", stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 7 and rows[0]["metadata"]["response_status"] == 422


def test_retry_restores_them_once_looker_accepts(rejected, looker_destination, monkeypatch):
    monkeypatch.setattr("restoration.management.commands.dlq.cluster_alive", lambda: False)
    looker_destination.set_faults(clear=True)
    out = io.StringIO()
    call_command("dlq", "retry", "--all", "--wait", stdout=out)
    assert "7 restored, 0 still failing" in out.getvalue()
    assert not DeadLetterItem.objects.exists()
    assert RestorationSession.objects.filter(kind="dlq_retry", status="completed").count() == 1


def test_delete_needs_ids_or_all_and_is_audited(rejected):
    with pytest.raises(CommandError, match="--all"):
        call_command("dlq", "delete")
    first = DeadLetterItem.objects.order_by("pk").first()
    call_command("dlq", "delete", str(first.pk), stdout=io.StringIO())
    assert DeadLetterItem.objects.count() == 6
    assert AuditEvent.objects.filter(action="delete_dead_letters").exists()
    with pytest.raises(CommandError, match="No dead letter"):
        call_command("dlq", "delete", "999999")
