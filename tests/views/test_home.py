"""The home page: running sessions (live), recent ones, dead letters by type, inventory, cluster."""

from restoration.content_types import ContentType
from restoration.models import SessionStatus
from tests.views.conftest import make_content, make_dead_letter, make_running_session, make_session


def test_it_shows_running_sessions_dead_letters_and_inventory(
    operator_client, django_assert_max_num_queries
):
    running = make_running_session()
    make_dead_letter(running)
    make_content("7", ContentType.LOOK, name="Weekly revenue")
    with django_assert_max_num_queries(12):
        response = operator_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/sessions/{running.pk}/" in body
    assert 'hx-trigger="every 5s' in body  # the running list polls
    assert "Dead letters by type" in body and "Dashboard" in body
    assert "Look" in body and "Backup inventory" in body


def test_it_warns_loudly_when_sessions_wait_without_a_cluster(operator_client):
    make_session(status=SessionStatus.PENDING)
    response = operator_client.get("/")
    assert "Sessions are waiting and no task cluster is running" in response.content.decode()


def test_htmx_poll_returns_only_the_running_list(operator_client, htmx_headers):
    running = make_running_session()
    response = operator_client.get("/", **htmx_headers)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and f"/sessions/{running.pk}/" in body


def test_the_running_list_polls_every_5s_even_when_nothing_runs_at_load(operator_client):
    body = operator_client.get("/").content.decode()
    assert "Nothing is running" in body
    assert 'hx-get="/running"' in body
    assert "hx-trigger=\"every 5s [document.visibilityState === 'visible']" in body


def test_a_session_launched_after_the_page_loaded_appears_in_the_next_poll(
    operator_client, htmx_headers, django_assert_max_num_queries
):
    assert "Nothing is running" in operator_client.get("/running", **htmx_headers).content.decode()
    later = make_running_session()
    with django_assert_max_num_queries(5):  # login session, user, 2 x permissions, sessions
        response = operator_client.get("/running", **htmx_headers)
    body = response.content.decode()
    assert response.status_code == 200  # never 286: the poll keeps going
    assert "<html" not in body and f"/sessions/{later.pk}/" in body
    assert body.lstrip().startswith('<div id="active-sessions"')


def test_the_poll_warns_when_sessions_start_waiting_without_a_cluster(operator_client):
    assert "no task cluster" not in operator_client.get("/running").content.decode()
    make_session(status=SessionStatus.PENDING)
    body = operator_client.get("/running").content.decode()
    assert 'data-testid="no-cluster"' in body and 'role="alert"' in body


def test_it_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_refuses_users_without_view_permission(outsider_client):
    assert outsider_client.get("/").status_code == 403


def test_auditors_see_it_read_only(auditor_client):
    response = auditor_client.get("/")
    assert response.status_code == 200
    assert "read-only" in response.content.decode()


def test_a_handed_back_session_shows_why_it_waits_among_the_running(operator_client):
    make_session(
        status=SessionStatus.PENDING,
        resume_count=2,
        last_error="Worker node-c:9 shut down at 2026-01-01 10:00:00 UTC; queued to resume from its checkpoints",
    )
    body = operator_client.get("/", HTTP_HX_REQUEST="true").content.decode()
    assert "Waiting for a worker: worker node-c:9 shut down" in body


def test_it_links_to_take_a_backup_beside_the_inventory(operator_client):
    make_content("7", ContentType.LOOK)
    body = operator_client.get("/").content.decode()
    assert "Backup: last synced" in body and 'href="/backup/new"' in body


def test_the_running_lists_triggers_put_each_filter_right_after_its_event(operator_client):
    body = operator_client.get("/").content.decode()
    # htmx reads "event[filter] from:source"; a filter after "from:" is a syntax error.
    assert "visibilitychange[document.visibilityState === 'visible'] from:document\"" in body


def test_it_says_why_explores_in_the_backup_cannot_be_restored(operator_client):
    from restoration.content_types import ContentType
    from tests.views.conftest import make_content

    make_content("thelook::orders", ContentType.EXPLORE, name="orders")
    body = operator_client.get("/").content.decode()
    assert "Looker has no API that writes them" in body


def test_every_page_has_a_favicon(operator_client):
    body = operator_client.get("/").content.decode()
    assert 'rel="icon" href="/static/restoration/favicon.svg"' in body
