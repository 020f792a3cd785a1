"""GET /sessions/: every session, filters, keyset paging."""

from datetime import timedelta

from django.utils import timezone

from restoration.models import RestorationSession, SessionStatus
from tests.views.conftest import make_session


def make_many(n: int) -> list[RestorationSession]:
    now = timezone.now()
    return [
        make_session(started_at=now - timedelta(minutes=i), status=SessionStatus.COMPLETED)
        for i in range(n)
    ]


def test_it_lists_sessions_newest_first(operator_client, django_assert_max_num_queries):
    older, newer = make_session(started_at=timezone.now() - timedelta(days=1)), make_session()
    with django_assert_max_num_queries(10):
        body = operator_client.get("/sessions/").content.decode()
    assert body.index(f"/sessions/{newer.pk}/") < body.index(f"/sessions/{older.pk}/")


def test_it_filters_by_status_destination_launcher_and_date(operator_client, operator):
    wanted = make_session(
        status=SessionStatus.FAILED,
        destination_instance="https://a.example.com",
        launched_by=operator,
    )
    others = [
        make_session(
            status=SessionStatus.FAILED,
            destination_instance="https://b.example.com",
            launched_by=operator,
        ),
        make_session(
            status=SessionStatus.COMPLETED,
            destination_instance="https://a.example.com",
            launched_by=operator,
        ),
        make_session(status=SessionStatus.FAILED, destination_instance="https://a.example.com"),
        make_session(
            status=SessionStatus.FAILED,
            destination_instance="https://a.example.com",
            launched_by=operator,
            started_at=timezone.now() - timedelta(days=10),
        ),
    ]
    today = timezone.localdate().isoformat()
    body = operator_client.get(
        "/sessions/",
        {
            "status": "failed",
            "destination": "https://a.example.com",
            "launcher": "olivia",
            "since": today,
            "until": today,
        },
    ).content.decode()
    assert not [s.pk for s in others if f"/sessions/{s.pk}/" in body]
    assert f"/sessions/{wanted.pk}/" in body


def test_keyset_paging_walks_every_session_once(operator_client, htmx_headers):
    sessions = make_many(60)
    first = operator_client.get("/sessions/").content.decode()
    shown = [s.pk for s in sessions if f"/sessions/{s.pk}/" in first]
    assert len(shown) == 50 and 'id="paging-area"' in first
    next_url = first.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    more = operator_client.get(next_url, **htmx_headers)
    body = more.content.decode()
    assert "<html" not in body
    rest = [s.pk for s in sessions if f"/sessions/{s.pk}/" in body]
    assert len(rest) == 10 and not set(rest) & set(shown)
    assert 'id="paging-area"' not in body


def test_a_mangled_after_key_shows_the_first_page(operator_client):
    make_many(2)
    assert operator_client.get("/sessions/?after=garbage~x").status_code == 200


def test_auditors_may_read_it(auditor_client):
    make_session()
    assert auditor_client.get("/sessions/").status_code == 200


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/sessions/").status_code == 403


def test_a_handed_back_session_says_in_the_list_that_it_waits_for_a_worker(operator_client):
    make_session(
        status=SessionStatus.PENDING,
        resume_count=1,
        last_error="Worker node-a:1 shut down at 2026-01-01 10:00:00 UTC; queued to resume from its checkpoints",
    )
    body = operator_client.get("/sessions/").content.decode()
    assert (
        "Waiting for a worker: worker node-a:1 shut down at 2026-01-01 10:00:00 UTC, "
        "will resume from its checkpoints" in body
    )


def test_a_failed_session_shows_its_error_in_the_list(operator_client):
    make_session(status=SessionStatus.FAILED, last_error="Looker said 401")
    make_session(status=SessionStatus.PENDING)  # a first-time pending session has no note
    body = operator_client.get("/sessions/").content.decode()
    assert 'data-testid="failure-reason"' in body and "Looker said 401" in body
    assert "Waiting for a worker" not in body


def test_it_filters_by_kind_so_backups_can_be_listed_alone(operator_client):
    from restoration.models import SessionKind

    backup = make_session(kind=SessionKind.EXTRACT, source_section="prod")
    restore = make_session()
    body = operator_client.get("/sessions/?kind=extract").content.decode()
    assert f"/sessions/{backup.pk}/" in body and f"/sessions/{restore.pk}/" not in body
    assert "from prod" in body  # a backup reads from its instance


def test_with_no_session_yet_it_points_to_a_dry_run(operator_client, auditor_client):
    assert "Launch a dry run</a>" in operator_client.get("/sessions/").content.decode()
    body = auditor_client.get("/sessions/").content.decode()
    assert "No session yet." in body and "Launch a dry run" not in body


def test_completed_with_errors_has_its_own_badge_filter_and_csv_value(operator_client):
    partial = make_session(status=SessionStatus.COMPLETED_WITH_ERRORS, error_count=81)
    clean = make_session(status=SessionStatus.COMPLETED)
    body = operator_client.get("/sessions/").content.decode()
    assert '<option value="completed_with_errors">Completed with errors</option>' in body
    assert 'tone-warn" data-status="completed_with_errors">Completed with errors</span>' in body
    assert 'tone-ok" data-status="completed">Completed</span>' in body
    only = operator_client.get("/sessions/?status=completed_with_errors").content.decode()
    assert f"/sessions/{partial.pk}/" in only and f"/sessions/{clean.pk}/" not in only
    csv_text = b"".join(
        operator_client.get("/sessions/export.csv?status=completed_with_errors").streaming_content
    ).decode()
    assert f"{partial.pk},restore,completed_with_errors," in csv_text
    assert clean.pk not in csv_text


def test_every_status_has_a_badge_tone(operator_client):
    from restoration.models import STATUS_TONES

    assert set(STATUS_TONES) == set(SessionStatus.values)
    css = (
        __import__("pathlib").Path(__file__).parents[2] / "restoration/static/restoration/site.css"
    ).read_text()
    for tone in set(STATUS_TONES.values()):
        assert f".tone-{tone} " in css, tone


def test_a_session_waiting_for_its_destination_says_for_which_session(operator_client):
    running = make_session(status=SessionStatus.RUNNING)
    make_session(status=SessionStatus.PENDING, waiting_for=running)
    body = operator_client.get("/sessions/").content.decode()
    assert (
        f'Waits for <a href="/sessions/{running.pk}/">session {running.pk[:8]}…</a> '
        "into the same Looker" in body
    )
