"""The session page and its progress partial, polled by htmx until the session ends."""

from django.utils import timezone

from restoration.content_types import ContentType
from restoration.models import DryRunItem, SessionKind, SessionStatus
from tests.views.conftest import make_dead_letter, make_running_session, make_session


def test_it_shows_live_progress_of_a_running_session(
    operator_client, django_assert_max_num_queries
):
    session = make_running_session()
    dead = make_dead_letter(session)
    with django_assert_max_num_queries(10):
        response = operator_client.get(f"/sessions/{session.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="overall-bar" max="100" value="50.0"' in body
    assert "hx-trigger=\"every 1s [document.visibilityState === 'visible']\"" in body
    # Per-type bars in dependency order: folders before dashboards.
    assert body.index(">Folder</th>") < body.index(">Dashboard</th>")
    assert "Throttled by the rate limit" in body
    assert "<svg" in body and "<polyline" in body
    assert f"/dead-letters/{dead.pk}/" in body
    assert "1.0 items/s" in body  # 4 items every 4 s
    assert "Configuration used" in body and "<dt>Workers</dt><dd>4</dd>" in body
    assert ">Cancel</button>" in body


def test_the_htmx_poll_renders_only_the_progress_partial(
    operator_client, htmx_headers, django_assert_max_num_queries
):
    session = make_running_session()
    with django_assert_max_num_queries(8):
        response = operator_client.get(f"/sessions/{session.pk}/", **htmx_headers)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="progress"')
    assert "<html" not in body and "Configuration used" not in body


def test_the_poll_stops_with_286_when_the_session_has_finished(operator_client, htmx_headers):
    session = make_session(
        status=SessionStatus.COMPLETED,
        completed_at=timezone.now(),
        planned_items=3,
        total_items=3,
        created_count=3,
        metadata={
            "summary": {
                "duration_seconds": 12,
                "total_items": 3,
                "created_count": 3,
                "updated_count": 0,
                "skipped_count": 0,
                "error_count": 0,
                "average_throughput": 0.25,
                "api_calls": 9,
            }
        },
    )
    response = operator_client.get(f"/sessions/{session.pk}/", **htmx_headers)
    body = response.content.decode()
    assert response.status_code == 286
    assert "hx-trigger" not in body
    assert 'value="100.0"' in body and "Summary" in body and "12s" in body


def test_a_failed_session_offers_resume_not_cancel(operator_client):
    session = make_session(
        status=SessionStatus.FAILED, completed_at=timezone.now(), last_error="Looker said 401"
    )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert ">Resume</button>" in body and ">Cancel</button>" not in body
    assert "Looker said 401" in body


def test_a_dry_run_lists_its_plan_with_field_diffs(operator_client):
    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    DryRunItem.objects.create(
        session=session,
        content_type=ContentType.DASHBOARD,
        content_id="42",
        name="Sales overview",
        action="update",
        diff={"title": ["Sales (old)", "Sales overview"]},
    )
    DryRunItem.objects.create(
        session=session,
        content_type=ContentType.LOOK,
        content_id="7",
        name="Weekly",
        action="create",
    )
    DryRunItem.objects.create(
        session=session,
        content_type=ContentType.USER,
        content_id="5",
        name="Unchanged user",
        action="skip",
        reason="already matches the backup",
    )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Dry-run plan" in body
    assert "Sales (old)" in body and "Sales overview" in body
    assert "action-update" in body and "action-create" in body
    # What would change comes first; what would be left alone is one click away.
    assert "Unchanged user" not in body
    assert 'Would skip <span class="count">1</span>' in body
    skips = operator_client.get(f"/sessions/{session.pk}/?plan=skip").content.decode()
    assert "Unchanged user" in skips and "Sales overview" not in skips


def test_a_finished_dry_run_reloads_the_page_once_to_show_its_plan(operator_client, htmx_headers):
    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    response = operator_client.get(f"/sessions/{session.pk}/", **htmx_headers)
    assert response.status_code == 286 and response["HX-Refresh"] == "true"


def test_auditors_see_progress_without_action_buttons(auditor_client):
    session = make_running_session()
    body = auditor_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "overall-bar" in body
    assert ">Cancel</button>" not in body


def test_an_unknown_session_is_404(operator_client):
    assert operator_client.get("/sessions/nope/").status_code == 404


def test_a_session_handed_back_by_a_shutting_down_worker_says_it_waits_for_another(
    operator_client,
):
    session = make_running_session(worker="node-a:4242")
    assert session.hand_back("node-a:4242")
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-status="pending"' in body
    assert "Waiting for a worker:" in body
    assert "worker node-a:4242 shut down at" in body
    assert "will resume from its checkpoints" in body
    assert "resumed 1 time" in body
    assert 'class="alert alert-danger"' not in body  # waiting is not a failure


def test_a_session_the_reaper_took_back_says_its_worker_went_silent(operator_client):
    from datetime import timedelta

    from restoration.workers.reaper import reap_stale_sessions

    session = make_running_session(
        worker="node-b:7", heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    assert [s.pk for s in reap_stale_sessions(stale_after=60)] == [session.pk]
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Waiting for a worker:" in body and "worker node-b:7 stopped beating at" in body


def test_a_failed_session_shows_why_above_its_counters(operator_client):
    session = make_session(
        status=SessionStatus.FAILED,
        completed_at=timezone.now(),
        last_error="Looker said 401: client_id rejected\n(check looker.ini)",
    )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    reason = body.index('data-testid="failure-reason"')
    assert "Why it failed:" in body
    assert reason < body.index('id="overall-bar"')
    assert "client_id rejected\n(check looker.ini)" in body  # whole text, line breaks kept


def test_a_finished_backup_shows_what_it_read_per_type_and_what_it_could_not(
    operator_client, looker_ini, looker_source
):
    from restoration.backup import ExtractionOptions, extract_instance

    # Every dashboard read answers 500: listed, counted, reported, not stored.
    looker_source.set_faults(
        error_rate=1,
        error_statuses=[500],
        route_pattern=r"^GET /api/4\.0/dashboards/\{dashboard_id\}$",
    )
    session = extract_instance(
        "source",
        ExtractionOptions(
            types=[int(ContentType.FOLDER), int(ContentType.DASHBOARD)],
            workers=2,
            rate_limit_per_second=10000,
            rate_limit_per_minute=600000,
            max_retries=0,
            retry_base_delay=0.01,
        ),
    )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Backup of source" in body
    assert "Read from Looker, by content type" in body
    assert body.index(">Folder</a></th>") < body.index(">Dashboard</a></th>")
    assert "New in the backup" in body and "Could not read" in body
    assert "Created</dt>" not in body  # restore words do not describe a backup
    assert "Rate limits</dt><dd>10000 calls/s" in body
    assert session.error_count > 0
    assert 'id="extract-errors-heading"' in body
    assert "Dashboard " in body and "(500)" in body


def make_plan(session, n_dashboards: int, n_skipped_looks: int) -> None:
    rows = [
        DryRunItem(
            session=session,
            content_type=ContentType.DASHBOARD,
            content_type_rank=10,
            position=i,
            content_id=str(1000 + i),
            name=f"Dashboard {i}",
            action="create",
        )
        for i in range(n_dashboards)
    ] + [
        DryRunItem(
            session=session,
            content_type=ContentType.LOOK,
            content_type_rank=9,
            position=i,
            content_id=str(i),
            name=f"Look {i}",
            action="skip",
        )
        for i in range(n_skipped_looks)
    ]
    DryRunItem.objects.bulk_create(rows)


def test_a_long_plan_pages_by_key_past_what_one_page_holds(
    operator_client, htmx_headers, django_assert_max_num_queries
):
    import re

    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    make_plan(session, n_dashboards=250, n_skipped_looks=3)
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "253 items compared: 250 would be created, 0 updated, 3 left as they are." in body
    assert 'Would create <span class="count">250</span>' in body
    assert "Dashboard 99<" in body and "Dashboard 100<" not in body
    seen = set(re.findall(r">Dashboard (\d+)<", body))
    after = re.search(r'hx-get="([^"]*after=[^"]*)"', body).group(1).replace("&amp;", "&")
    while after:
        with django_assert_max_num_queries(6):  # no COUNT, no progress: one page of rows
            page = operator_client.get(after, **htmx_headers).content.decode()
        assert "<html" not in page and "Dry-run plan" not in page
        seen |= set(re.findall(r">Dashboard (\d+)<", page))
        more = re.search(r'hx-get="([^"]*after=[^"]*)"', page)
        after = more.group(1).replace("&amp;", "&") if more else None
    assert seen == {str(i) for i in range(250)}  # every row once, none lost between pages


def test_the_plan_filters_by_action_and_type_with_counts_per_type(operator_client):
    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    make_plan(session, n_dashboards=2, n_skipped_looks=3)
    DryRunItem.objects.create(
        session=session,
        content_type=ContentType.LOOK,
        content_type_rank=9,
        position=99,
        content_id="77",
        name="New look",
        action="create",
    )
    body = operator_client.get(f"/sessions/{session.pk}/?plan=all").content.decode()
    assert '<option value="2">Look (4)</option>' in body
    assert '<option value="1">Dashboard (2)</option>' in body
    looks = operator_client.get(
        f"/sessions/{session.pk}/?plan=create&type={int(ContentType.LOOK)}"
    ).content.decode()
    assert "New look" in looks and "Dashboard 0" not in looks and "Look 0" not in looks
    # A plain link with ?after= (no htmx) still gets a whole page.
    plain = operator_client.get(f"/sessions/{session.pk}/?after=9~0~0").content.decode()
    assert "<html" in plain and "Dry-run plan" in plain


def test_a_finished_plans_counts_are_read_once_then_cached(operator_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    make_plan(session, n_dashboards=3, n_skipped_looks=2)

    def group_bys() -> int:
        with CaptureQueriesContext(connection) as queries:
            body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
        assert 'Would skip <span class="count">2</span>' in body
        return sum("GROUP BY" in q["sql"] and "dry_run_items" in q["sql"] for q in queries)

    assert group_bys() == 1
    assert group_bys() == 0


def test_the_plan_lists_failures_first_then_what_would_change(operator_client):
    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    make_plan(session, n_dashboards=150, n_skipped_looks=2)
    DryRunItem.objects.create(
        session=session,
        content_type=ContentType.DASHBOARD,
        content_type_rank=10,
        position=500,
        content_id="9999",
        name="Broken dashboard",
        action="fail",
        reason="look 50 was not restored (it is not in the backup)",
    )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    # On the first page, before the 150 creates, although it comes last in the plan.
    assert "Broken dashboard" in body
    assert body.index("Broken dashboard") < body.index(">Dashboard 0<")
    assert '<a href="?plan=fail#plan-heading"><strong>1 would fail</strong></a>' in body
    assert "Failures are listed first." in body
    # The "Would fail" chip comes first among the actions.
    assert body.index(">Would fail <span") < body.index(">Would create <span")


def test_numeric_ids_sort_as_numbers_and_named_ones_as_text(operator_client):
    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    ids = ["10", "2", "100", "11", "1"]
    # The engine's plan positions follow text order (1, 10, 100, 11, 2).
    for position, content_id in enumerate(sorted(ids)):
        DryRunItem.objects.create(
            session=session,
            content_type=ContentType.LOOK,
            content_type_rank=9,
            position=position,
            content_id=content_id,
            name=f"Look {content_id}",
            action="create",
        )
    for position, name in enumerate(["zeta", "alpha", "beta_long_name"]):
        DryRunItem.objects.create(
            session=session,
            content_type=ContentType.LOOKML_MODEL,
            content_type_rank=7,
            position=position,
            content_id=name,
            name=name,
            action="create",
        )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    import re

    shown = re.findall(r">Look (\d+)<", body)
    assert shown == ["1", "2", "10", "11", "100"]
    models = [m for m in re.findall(r"<td>(alpha|beta_long_name|zeta)</td>", body)]
    assert models == ["alpha", "beta_long_name", "zeta"]


def test_a_would_create_row_shows_the_fields_it_would_write(operator_client):
    session = make_session(
        kind=SessionKind.DRY_RUN, status=SessionStatus.COMPLETED, completed_at=timezone.now()
    )
    DryRunItem.objects.create(
        session=session,
        content_type=ContentType.LOOK,
        content_type_rank=9,
        position=0,
        content_id="7",
        name="Revenue",
        action="create",
        reason="would create",
        diff={"title": [None, "Revenue"], "folder_id": [None, "new-folder-3"]},
    )
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Would be written" in body
    assert '<code>title</code></th><td class="after"><code>Revenue</code>' in body
    assert "<code>new-folder-3</code>" in body
    assert "In the destination" not in body  # a create has nothing there to compare


def test_a_pending_session_says_when_no_task_cluster_runs(operator_client, htmx_headers):
    session = make_session(status=SessionStatus.PENDING)
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-testid="no-cluster"' in body and "this session waits until one starts" in body
    # The polled partial carries it too, so it goes away by itself once a cluster starts.
    partial = operator_client.get(f"/sessions/{session.pk}/", **htmx_headers).content.decode()
    assert 'data-testid="no-cluster"' in partial


def test_a_pending_session_says_nothing_while_a_cluster_runs(operator_client, monkeypatch):
    monkeypatch.setattr(
        "restoration.views.sessions.cluster_health",
        lambda: {"ok": True, "alive": 1, "clusters": []},
    )
    session = make_session(status=SessionStatus.PENDING)
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-testid="no-cluster"' not in body


def test_a_dead_letter_retry_names_what_it_retried(operator_client):
    from restoration.models import DeadLetterItem
    from tests.views.conftest import make_dead_letter

    origin = make_session(status=SessionStatus.COMPLETED)
    make_dead_letter(origin, content_type=ContentType.LOOK, content_id="50")
    make_dead_letter(origin, content_type=ContentType.DASHBOARD, content_id="7")
    retry = DeadLetterItem.objects.all().retry()
    body = operator_client.get(f"/sessions/{retry.pk}/").content.decode()
    assert "Dead letters retried</dt><dd>Dashboard 7, Look 50</dd>" in body
    assert "Content ids" not in body


def test_a_session_waiting_for_its_destination_links_the_session_it_waits_for(operator_client):
    running = make_session(status=SessionStatus.RUNNING)
    waiting = make_session(status=SessionStatus.PENDING, waiting_for=running)
    body = operator_client.get(f"/sessions/{waiting.pk}/").content.decode()
    assert 'data-testid="waiting-for"' in body
    assert (
        f'Waits for <a href="/sessions/{running.pk}/">session {running.pk}</a> into the same Looker'
        in body
    )


def test_a_restore_with_failures_shows_completed_with_errors_not_a_green_completed(
    operator_client,
):
    session = make_session(status=SessionStatus.COMPLETED_WITH_ERRORS, error_count=81)
    body = operator_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'tone-warn" data-status="completed_with_errors">Completed with errors</span>' in body
    assert 'data-status="completed">' not in body
