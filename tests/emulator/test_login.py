"""Login, tokens and logout behave like Looker's."""

import pytest
import requests
from looker_sdk import error

from tests.emulator.sdk_client import sdk_for


def _login(emulator, **kw):
    return requests.post(f"{emulator.base_url}/api/4.0/login", **kw)


def test_it_logs_in_with_form_encoded_credentials(looker_destination):
    response = _login(
        looker_destination, data={"client_id": "emulator", "client_secret": "emulator-secret"}
    )
    assert response.status_code == 200
    token = response.json()
    assert token["expires_in"] == 3600
    assert token["token_type"] == "Bearer"
    assert token["access_token"]


def test_it_still_accepts_credentials_as_query_parameters(looker_destination):
    response = _login(
        looker_destination, params={"client_id": "emulator", "client_secret": "emulator-secret"}
    )
    assert response.status_code == 200


def test_it_answers_bad_credentials_with_404(looker_destination):
    response = _login(looker_destination, data={"client_id": "emulator", "client_secret": "wrong"})
    assert response.status_code == 404
    assert response.json()["documentation_url"].endswith("/404/post/login")


def test_the_sdk_raises_sdkerror_on_bad_credentials(emulator_factory):
    emulator = emulator_factory(client_secret="the-real-secret")
    emulator.client_secret = "not-it"
    with pytest.raises(error.SDKError):
        sdk_for(emulator).me()


def test_several_tokens_of_one_client_are_valid_at_once(looker_destination):
    tokens = [
        _login(
            looker_destination, data={"client_id": "emulator", "client_secret": "emulator-secret"}
        ).json()["access_token"]
        for _ in range(4)
    ]
    for token in tokens:
        response = requests.get(
            f"{looker_destination.base_url}/api/4.0/user",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200


def test_it_accepts_the_documented_token_scheme_too(looker_destination):
    token = _login(
        looker_destination, data={"client_id": "emulator", "client_secret": "emulator-secret"}
    ).json()["access_token"]
    response = requests.get(
        f"{looker_destination.base_url}/api/4.0/user", headers={"Authorization": f"token {token}"}
    )
    assert response.json()["id"] == "1"


def test_it_rejects_an_unknown_token_with_401(looker_destination):
    response = requests.get(
        f"{looker_destination.base_url}/api/4.0/user", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Requires authentication."


def test_logout_revokes_the_token_at_both_paths(looker_destination):
    base = looker_destination.base_url
    for path in ("/api/4.0/logout", "/api/logout"):
        token = _login(
            looker_destination, data={"client_id": "emulator", "client_secret": "emulator-secret"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.delete(base + path, headers=headers).status_code == 204
        assert requests.get(f"{base}/api/4.0/user", headers=headers).status_code == 401


def test_the_sdk_context_manager_logs_out(looker_destination):
    sdk = sdk_for(looker_destination)
    with sdk:
        sdk.me()
    assert looker_destination.counters()["calls"]["DELETE /api/4.0/logout"] == 1


def test_versions_needs_no_login(looker_destination):
    response = requests.get(f"{looker_destination.base_url}/api/4.0/versions")
    assert response.json()["current_version"]["version"] == "4.0"


def test_me_is_the_api_user(sdk):
    me = sdk.me()
    assert me.display_name == "Looker API"
    assert me.role_ids == ["1"]
    assert me.personal_folder_id is not None
