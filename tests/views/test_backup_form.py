"""GET /backup/new: the "Take a backup" form, instances named by section and URL, never secrets."""

from restoration.models import SessionKind
from tests.views.conftest import make_session


def test_it_offers_each_instance_and_every_type_with_the_extraction_defaults(
    operator_client, looker_ini_file, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = operator_client.get("/backup/new")
    body = response.content.decode()
    assert response.status_code == 200
    assert "prod — https://prod.looker.example.com" in body
    assert "TOPSECRET" not in body and "ALSOSECRET" not in body
    assert 'name="types" value="1"' in body and " Dashboard</label>" in body  # a type box
    assert 'name="workers" value="4"' in body  # ExtractionOptions' default
    assert 'action="/backup/take"' in body and "csrfmiddlewaretoken" in body
    assert "Take the backup</button>" in body


def test_it_lists_recent_backups(operator_client, looker_ini_file):
    backup = make_session(kind=SessionKind.EXTRACT, source_section="prod")
    restore = make_session()  # a restore is not a backup
    body = operator_client.get("/backup/new").content.decode()
    assert f"/sessions/{backup.pk}/" in body and f"/sessions/{restore.pk}/" not in body


def test_it_says_why_there_is_nothing_to_choose_without_a_looker_ini(
    operator_client, settings, tmp_path
):
    settings.LOOKER_INI = str(tmp_path / "missing.ini")
    body = operator_client.get("/backup/new").content.decode()
    assert 'class="alert alert-danger"' in body and "looker.ini" in body


def test_auditors_read_it_without_a_button(auditor_client, looker_ini_file):
    body = auditor_client.get("/backup/new").content.decode()
    assert "needs the “Can take a backup (extract) of a Looker instance” permission" in body
    assert "Take the backup</button>" not in body


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/backup/new").status_code == 403
