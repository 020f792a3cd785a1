"""GET /mappings/: filter, search by either id, keyset paging, links into Looker and the backup."""

from restoration.content_types import ContentType
from restoration.models import IDMapping
from tests.views.conftest import DESTINATION, make_mapping, make_session


def test_it_links_to_the_object_in_the_destination_looker_and_the_backup_row(
    operator_client, django_assert_max_num_queries
):
    make_mapping("42", "1042")
    make_mapping("5", "77", content_type=ContentType.USER)
    with django_assert_max_num_queries(10):
        body = operator_client.get("/mappings/").content.decode()
    assert f'href="{DESTINATION}/dashboards/1042"' in body
    assert f'href="{DESTINATION}/admin/users/77/edit"' in body
    assert 'href="/backup/dashboard/42/"' in body


def test_it_finds_a_mapping_by_source_or_destination_id(operator_client):
    make_mapping("42", "1042")
    make_mapping("43", "1043")
    by_source = operator_client.get("/mappings/?q=42").content.decode()
    by_destination = operator_client.get("/mappings/?q=1043").content.decode()
    assert "/dashboards/1042" in by_source and "/dashboards/1043" not in by_source
    assert "/dashboards/1043" in by_destination and "/dashboards/1042" not in by_destination


def test_it_filters_by_instance_type_and_session(operator_client):
    session = make_session()
    make_mapping("1", "101", session=session)
    make_mapping("2", "102", content_type=ContentType.LOOK)
    make_mapping("3", "103", destination_instance="https://other.example.com")
    body = operator_client.get(
        f"/mappings/?destination={DESTINATION}&type=1&session={session.pk}"
    ).content.decode()
    assert "/dashboards/101" in body
    assert "/looks/102" not in body and "103" not in body


def test_keyset_paging_continues_below_the_last_row(operator_client, htmx_headers):
    IDMapping.objects.bulk_create(
        IDMapping(
            source_instance="s",
            destination_instance=DESTINATION,
            content_type=1,
            source_id=str(i),
            destination_id=f"d{i}",
        )
        for i in range(120)
    )
    first = operator_client.get("/mappings/").content.decode()
    assert first.count("/dashboards/d") == 50
    last_pk = IDMapping.objects.order_by("-pk").values_list("pk", flat=True)[49]
    more = operator_client.get(f"/mappings/?after={last_pk}", **htmx_headers).content.decode()
    assert "<html" not in more and more.count("/dashboards/d") == 50
    assert 'href="https://staging.looker.example.com/dashboards/d69"' in more


def test_auditors_see_no_clear_form(auditor_client):
    make_mapping()
    body = auditor_client.get("/mappings/").content.decode()
    assert "Clear mappings" not in body


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/mappings/").status_code == 403


def test_with_no_mapping_yet_it_says_where_they_come_from(operator_client):
    body = operator_client.get("/mappings/").content.decode()
    assert "No mapping yet: each restore records here where every object went." in body
    assert "No mapping matches." in operator_client.get("/mappings/?q=9").content.decode()


def test_instances_show_their_looker_ini_name_with_the_url_beside_it(
    operator_client, looker_ini_file
):
    make_mapping("42", "1042")
    body = operator_client.get("/mappings/").content.decode()
    assert f'<td>staging <span class="instance-url muted">{DESTINATION}</span></td>' in body
    assert f'<option value="{DESTINATION}">staging — {DESTINATION}</option>' in body


def test_open_in_looker_uses_web_url_or_drops_the_api_port(operator_client, tmp_path, settings):
    path = tmp_path / "looker.ini"
    path.write_text(
        "[api-port]\nbase_url=https://a.example.com:19999\nclient_id=x\nclient_secret=y\n\n"
        "[own-ui]\nbase_url=https://b.example.com:19999\nweb_url=https://ui.example.com\n"
        "client_id=x\nclient_secret=y\n"
    )
    settings.LOOKER_INI = str(path)
    make_mapping("1", "11", destination_instance="https://a.example.com:19999")
    make_mapping("2", "22", destination_instance="https://b.example.com:19999")
    body = operator_client.get("/mappings/").content.decode()
    assert 'href="https://a.example.com/dashboards/11"' in body
    assert 'href="https://ui.example.com/dashboards/22"' in body


def test_ids_with_slashes_are_listed_and_linked(operator_client):
    make_mapping("a/b", "c/d")
    response = operator_client.get("/mappings/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/backup/dashboard/a%252Fb/"' in body
    assert f'href="{DESTINATION}/dashboards/c%2Fd"' in body
