"""GET /backup/schedules/: each instance's schedule with its next and last run, the form,
and the backup runs a point-in-time restore can name."""

import re

import pytest
from django_q.models import Schedule

from restoration.versions import BackupRun, BackupSchedule

pytestmark = pytest.mark.django_db


def test_it_shows_each_schedule_with_its_next_and_last_run(operator_client, looker_ini):
    BackupSchedule.objects.set_for("source", cron="0 3 * * *", keep_days=14)
    last = BackupRun.objects.create(
        kind="extract",
        status="completed",
        taken_at="2026-11-30T03:00:00Z",
        started_at="2026-11-30T03:00:00Z",
        section="source",
        scheduled=True,
    )
    body = operator_client.get("/backup/schedules/").content.decode()
    next_run = Schedule.objects.get(name="Backup of source").next_run
    assert re.search(r'data-section="source"', body)
    assert f'data-testid="next-run"><time datetime="{next_run:%Y-%m-%dT%H:%M}' in body
    assert 'data-testid="last-run">2026-11-30 03:00 UTC (completed)' in body
    assert "14 days" in body
    assert f'data-run="{last.pk}"' in body


def test_it_prefills_the_form_with_an_instances_schedule(operator_client, looker_ini):
    BackupSchedule.objects.set_for("source", cron="15 1 * * *", keep_days=9, incremental=False)
    body = operator_client.get("/backup/schedules/?instance=source").content.decode()
    assert 'value="15 1 * * *"' in body and 'value="9"' in body


def test_auditors_read_it_without_the_save_button(auditor_client, looker_ini):
    body = auditor_client.get("/backup/schedules/").content.decode()
    assert "No instance is backed up on a schedule" in body
    assert "Save the schedule" not in body
