"""POST /backup/schedules/set: an operator sets an instance's backup schedule; it becomes
a django-q2 cron Schedule, and the change is in the audit log."""

import pytest
from django_q.models import Schedule

from restoration.models import AuditEvent
from restoration.versions import BackupSchedule

pytestmark = pytest.mark.django_db

VALID = {
    "instance": "source",
    "cron": "30 2 * * *",
    "incremental": "on",
    "keep_days": "30",
    "rate_limit_per_second": "10",
    "rate_limit_per_minute": "600",
    "enabled": "on",
}


def test_it_sets_a_cron_schedule_run_by_django_q(operator_client, looker_ini, operator):
    response = operator_client.post("/backup/schedules/set", VALID)
    assert response.status_code == 302
    schedule = BackupSchedule.objects.get(section="source")
    assert (schedule.cron, schedule.incremental, schedule.keep_days) == ("30 2 * * *", True, 30)
    assert schedule.updated_by == operator
    q = Schedule.objects.get(name="Backup of source")
    assert q.schedule_type == Schedule.CRON and q.cron == "30 2 * * *"
    assert q.func == "restoration.tasks.scheduled_backup" and q.args == "'source'"
    assert (q.next_run.hour, q.next_run.minute) == (2, 30)
    event = AuditEvent.objects.get(action="schedule_backup")
    assert event.user == operator and "30 2 * * *" in event.description


def test_changing_it_replaces_the_django_q_schedule(operator_client, looker_ini):
    operator_client.post("/backup/schedules/set", VALID)
    operator_client.post("/backup/schedules/set", {**VALID, "cron": "0 4 * * 1"})
    assert list(
        Schedule.objects.filter(name="Backup of source").values_list("cron", flat=True)
    ) == ["0 4 * * 1"]
    assert AuditEvent.objects.filter(action="schedule_backup").count() == 2


def test_pausing_removes_it_from_the_scheduler(operator_client, looker_ini):
    operator_client.post("/backup/schedules/set", VALID)
    operator_client.post("/backup/schedules/set", {**VALID, "enabled": ""})
    assert not Schedule.objects.filter(name="Backup of source").exists()
    assert BackupSchedule.objects.get().enabled is False


def test_a_bad_cron_is_explained_and_nothing_is_saved(operator_client, looker_ini):
    body = operator_client.post("/backup/schedules/set", {**VALID, "cron": "every night"})
    assert "is not a cron expression of five fields" in body.content.decode()
    assert not BackupSchedule.objects.exists()
    assert not Schedule.objects.filter(func="restoration.tasks.scheduled_backup").exists()
    assert not AuditEvent.objects.exists()


def test_auditors_and_get_are_refused(auditor_client, operator_client, looker_ini):
    assert auditor_client.post("/backup/schedules/set", VALID).status_code == 403
    assert operator_client.get("/backup/schedules/set").status_code == 405
    assert not BackupSchedule.objects.exists()
