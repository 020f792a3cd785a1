"""Every error the emulator gives reaches callers of the real SDK as an SDKError carrying
Looker's documentation_url, never as a cattrs validation error."""

import re

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for

STATUS = re.compile(r"/r/err/[^/]+/(\d{3})/")


def _status(exc: error.SDKError) -> int | None:
    match = STATUS.search(exc.documentation_url or "")
    return int(match.group(1)) if match else None


CASES = [
    ("unknown id", lambda sdk: sdk.dashboard("424242"), 404),
    (
        "validation",
        lambda sdk: sdk.create_dashboard(m.WriteDashboard(title="x", folder_id="999")),
        422,
    ),
    ("unknown look", lambda sdk: sdk.update_look("1", m.WriteLookWithQuery(title="x")), 404),
    ("built-in", lambda sdk: sdk.delete_role("1"), 405),
    ("yourself", lambda sdk: sdk.delete_user("1"), 403),
    (
        "bad query parameter",
        lambda sdk: sdk.search_dashboards(limit=1, title="x", deleted="maybe"),
        400,
    ),
]


@pytest.mark.parametrize("name,action,status", CASES, ids=[c[0] for c in CASES])
def test_errors_reach_the_sdk_as_sdkerror_with_a_status(sdk, name, action, status):
    with pytest.raises(error.SDKError) as exc:
        action(sdk)
    assert type(exc.value) is error.SDKError
    assert _status(exc.value) == status
    assert exc.value.message


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_injected_failures_reach_the_sdk_as_sdkerror(sdk, looker_destination, status):
    sdk.me()  # log in before the faults start
    looker_destination.set_faults(error_rate=1.0, error_statuses=[status])
    with pytest.raises(error.SDKError) as exc:
        sdk.all_dashboards()
    assert _status(exc.value) == status


def test_rate_limiting_reaches_the_sdk_as_sdkerror(sdk, looker_destination):
    sdk.me()
    looker_destination.set_faults(rate_limit_per_second=1)
    with pytest.raises(error.SDKError) as exc:
        for _ in range(5):
            sdk.all_dashboards()
    assert _status(exc.value) == 429


def test_a_wrong_type_is_422_with_the_field_named(sdk, looker_destination):
    response = sdk.transport.session.post(
        f"{looker_destination.base_url}/api/4.0/dashboards",
        json={"title": "X", "folder_id": "1", "hidden": "sometimes"},
        headers=sdk.auth.authenticate({}),
    )
    assert response.status_code == 422
    [detail] = response.json()["errors"]
    assert (detail["field"], detail["code"]) == ("hidden", "invalid")
    assert detail["documentation_url"].endswith("/422/post/dashboards")


def test_malformed_json_is_400(sdk, looker_destination):
    response = sdk.transport.session.post(
        f"{looker_destination.base_url}/api/4.0/dashboards",
        data=b'{"title": ',
        headers={**sdk.auth.authenticate({}), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message", "documentation_url"}


def test_an_expired_session_is_an_sdkerror_not_a_retry(looker_destination):
    sdk = sdk_for(looker_destination)
    sdk.me()
    looker_destination.store.meta["tokens"].clear()
    with pytest.raises(error.SDKError) as exc:
        sdk.me()
    assert _status(exc.value) == 401
