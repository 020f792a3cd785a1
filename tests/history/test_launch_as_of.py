"""POST /sessions/launch with a point in time: the form validates it through
RestorationConfig (same messages as the command line), the confirmation names it, and
the launched restore brings the dashboard back as it was."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from restoration.config import RestorationConfig
from restoration.engine import run_session
from restoration.looker.instances import make_sdk
from restoration.models import RestorationSession
from restoration.versions import BackupRun, ContentVersion
from tests.history.conftest import dashboard_state

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator_client(transactional_db) -> Client:
    # A transactional test starts without the migrations' groups: make the operator here.
    user = User.objects.create_user("olivia")
    group, _ = Group.objects.get_or_create(name="Restore operators")
    group.permissions.add(
        *Permission.objects.filter(
            codename__in=["launch_restore", "view_restorationsession", "view_contentitem"]
        )
    )
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


def form(d, **overrides) -> dict:
    values = {
        "destination": "source",
        "source": "",
        "content_types": "1",
        "content_ids": d.id,
        "as_of": d.between.isoformat(),
        "workers": "2",
        "rate_limit_per_second": "10000",
        "rate_limit_per_minute": "600000",
        "checkpoint_interval": "10",
        "max_retries": "1",
        "disable_schedules": "",
    }
    values.update(overrides)
    return values


def test_the_page_restores_the_dashboard_as_it_was(operator_client, changed_dashboard):
    d = changed_dashboard
    confirm = operator_client.post("/sessions/launch", form(d)).content.decode()
    assert 'data-testid="point-in-time"' in confirm and "1 item" in confirm

    token = re.search(r'name="launch_token" value="([0-9a-f-]{36})"', confirm).group(1)
    response = operator_client.post(
        "/sessions/launch", form(d, confirmed="yes", launch_token=token)
    )
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    run_session(session.pk)

    title, tiles, filters = dashboard_state(make_sdk("source"), d.id)
    assert (title, tiles[d.tile_id], filters[d.filter_id]) == (
        d.title,
        d.tile_title,
        d.filter_default,
    )
    page = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-testid="point-in-time"' in page


def test_a_time_before_the_first_backup_is_shown_next_to_the_field(
    operator_client, changed_dashboard
):
    d = changed_dashboard
    body = operator_client.post(
        "/sessions/launch", form(d, as_of="2001-01-01 00:00", dry_run="on")
    ).content.decode()
    assert "is before the first backup" in body
    assert not RestorationSession.objects.exclude(kind="extract").exists()


def test_a_failed_backup_run_is_refused_with_its_reason(operator_client, changed_dashboard):
    failed = BackupRun.objects.create(
        kind="extract", status="failed", taken_at=changed_dashboard.between, last_error="Timeout"
    )
    body = operator_client.post(
        "/sessions/launch",
        form(changed_dashboard, as_of="", backup_run=str(failed.pk), dry_run="on"),
    ).content.decode()
    assert f"Backup run {failed.pk}" in body and "failed (Timeout)" in body
    assert not RestorationSession.objects.exclude(kind="extract").exists()


def test_the_confirmation_counts_the_versions_then_and_recalls_only_a_dry_run_then(
    operator_client, changed_dashboard
):
    d = changed_dashboard
    # A dry run of the latest backup planned something else: not recalled.
    latest = form(d, as_of="", dry_run="on")
    operator_client.post("/sessions/launch", latest)
    confirm = operator_client.post("/sessions/launch", form(d)).content.decode()
    assert 'data-testid="chosen-types">Content types: Dashboard (1)</li>' in confirm
    assert "No dry run of this selection yet" in confirm

    operator_client.post("/sessions/launch", form(d, dry_run="on"))
    then = RestorationSession.objects.filter(kind="dry_run").latest("started_at")
    confirm = operator_client.post("/sessions/launch", form(d)).content.decode()
    assert f"/sessions/{then.pk}/" in confirm
    assert "No dry run of this selection yet" not in confirm


def test_a_point_in_time_retention_trimmed_is_refused_next_to_the_field(
    operator_client, changed_dashboard
):
    d = changed_dashboard
    ContentVersion.objects.apply_retention(7, now=d.second_run.taken_at + timedelta(days=8))
    body = operator_client.post("/sessions/launch", form(d, dry_run="on")).content.decode()
    assert "Retention on" in body and "no longer complete" in body
    assert not RestorationSession.objects.exclude(kind="extract").exists()


def test_a_confirmation_posted_after_retention_trimmed_its_point_in_time_launches_nothing(
    operator_client, changed_dashboard, monkeypatch
):
    """Retention between the form's check and the launch: the launch's own check (under
    the history lock) refuses it and the form shows why."""
    d = changed_dashboard
    confirm = operator_client.post("/sessions/launch", form(d)).content.decode()
    token = re.search(r'name="launch_token" value="([0-9a-f-]{36})"', confirm).group(1)
    real_problems = RestorationConfig.launch_problems

    def checked_then_trimmed(config):
        problems = real_problems(config)
        ContentVersion.objects.apply_retention(7, now=d.second_run.taken_at + timedelta(days=8))
        return problems

    monkeypatch.setattr(RestorationConfig, "launch_problems", checked_then_trimmed)
    body = operator_client.post(
        "/sessions/launch", form(d, confirmed="yes", launch_token=token)
    ).content.decode()
    assert "Retention on" in body and "no longer complete" in body
    assert not RestorationSession.objects.exclude(kind="extract").exists()
