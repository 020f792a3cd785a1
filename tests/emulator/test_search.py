"""Search and list parameters: filters, wildcards, filter_or, sorts, paging, fields, ids."""

import requests


def _get(emulator, path, **params):
    token = requests.post(
        f"{emulator.base_url}/api/4.0/login",
        data={"client_id": emulator.client_id, "client_secret": emulator.client_secret},
    ).json()["access_token"]
    response = requests.get(
        f"{emulator.base_url}/api/4.0{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_sorts_limit_and_offset_page_through_results(looker_source):
    titles = [
        d["title"]
        for d in _get(looker_source, "/dashboards/search", sorts="title desc", fields="title")
    ]
    assert titles == sorted(titles, key=str.lower, reverse=True)
    page = _get(
        looker_source,
        "/dashboards/search",
        sorts="title desc",
        limit="5",
        offset="5",
        fields="title",
    )
    assert [d["title"] for d in page] == titles[5:10]


def test_page_and_per_page_work_too(looker_source):
    everyone = _get(looker_source, "/users", sorts="id")
    second = _get(looker_source, "/users", sorts="id", page="2", per_page="5")
    assert [u["id"] for u in second] == [u["id"] for u in everyone[5:10]]


def test_fields_applies_to_every_item_of_a_list(looker_source):
    users = _get(looker_source, "/users/search", fields="id,email", last_name="%")
    assert users and all(set(u) == {"id", "email"} for u in users)


def test_ids_select_users_and_roles(looker_source):
    assert [u["id"] for u in _get(looker_source, "/users", ids="2,3")] == ["2", "3"]
    assert [r["id"] for r in _get(looker_source, "/roles", ids="1")] == ["1"]


def test_filter_or_widens_instead_of_narrowing(looker_source):
    first, second = _get(looker_source, "/users", sorts="id")[1:3]
    both = _get(
        looker_source,
        "/users/search",
        first_name=first["first_name"],
        last_name=second["last_name"],
        filter_or="true",
    )
    ids = {u["id"] for u in both}
    assert {first["id"], second["id"]} <= ids


def test_an_id_filter_is_exact(looker_source):
    assert [f["id"] for f in _get(looker_source, "/folders/search", id="1")] == ["1"]


def test_a_bad_limit_is_400(looker_source):
    token = requests.post(
        f"{looker_source.base_url}/api/4.0/login",
        data={"client_id": "emulator", "client_secret": "emulator-secret"},
    ).json()
    response = requests.get(
        f"{looker_source.base_url}/api/4.0/looks/search",
        params={"limit": "ten"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert response.status_code == 400
    assert response.json()["documentation_url"].endswith("/400/get/looks/search")
