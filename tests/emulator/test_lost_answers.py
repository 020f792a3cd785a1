"""Lost answers: a write is applied, then its answer never reaches the caller (connection
closed, a 502 with a text or Looker-shaped body, or a hang past the client's timeout).
The counters show the write happened."""

import time

import pytest
import requests
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for


def _folder_names(sdk) -> list[str]:
    return [f.name for f in sdk.search_folders(parent_id="1")]


def test_a_closed_connection_loses_the_answer_of_an_applied_write(sdk, looker_destination):
    sdk.me()
    looker_destination.lose_answers("POST /api/4.0/folders$", ways=["close"])
    with pytest.raises(error.SDKError) as exc:
        sdk.create_folder(m.CreateFolder(name="Finance", parent_id="1"))
    assert "Remote end closed connection" in str(exc.value)
    assert "Finance" in _folder_names(sdk)
    counters = looker_destination.counters()
    assert counters["lost_answers"] == {"POST /api/4.0/folders": 1}
    assert counters["creates"]["folder"] == 1


def test_a_502_with_a_text_body_loses_the_answer_of_an_applied_write(sdk, looker_destination):
    sdk.me()
    looker_destination.lose_answers("POST /api/4.0/folders$", ways=["502_text"])
    answer = requests.post(
        f"{looker_destination.base_url}/api/4.0/folders",
        json={"name": "Raw", "parent_id": "1"},
        headers={"Authorization": f"token {sdk.auth.token.access_token}"},
    )
    assert answer.status_code == 502
    assert answer.headers["Content-Type"] == "text/html"
    assert answer.text.startswith("<html>")
    looker_destination.lose_answers("POST /api/4.0/folders$", ways=["502_text"])
    with pytest.raises(error.SDKError) as exc:
        sdk.create_folder(m.CreateFolder(name="Finance", parent_id="1"))
    assert "Bad Gateway" in str(exc.value)
    assert {"Raw", "Finance"} <= set(_folder_names(sdk))
    assert looker_destination.counters()["lost_answers"] == {"POST /api/4.0/folders": 2}


def test_a_502_with_a_looker_body_loses_the_answer_of_an_applied_write(sdk, looker_destination):
    sdk.me()
    looker_destination.lose_answers(r"PATCH /api/4.0/folders/\{folder_id\}", ways=["502_json"])
    folder = sdk.create_folder(m.CreateFolder(name="Finance", parent_id="1"))
    with pytest.raises(error.SDKError) as exc:
        sdk.update_folder(folder.id, m.UpdateFolder(name="Finance (old)"))
    assert exc.value.documentation_url.endswith("/502/patch/folders/:folder_id")
    assert sdk.folder(folder.id).name == "Finance (old)"
    assert looker_destination.counters()["lost_answers"] == {
        "PATCH /api/4.0/folders/{folder_id}": 1
    }


def test_a_hang_past_the_client_timeout_loses_the_answer_of_an_applied_write(
    looker_destination,
):
    sdk = sdk_for(looker_destination, timeout=1)
    sdk.me()
    looker_destination.lose_answers("DELETE", ways=["hang"], hang_seconds=3)
    folder = sdk.create_folder(m.CreateFolder(name="Old", parent_id="1"))
    began = time.perf_counter()
    with pytest.raises(error.SDKError) as exc:
        sdk.delete_folder(folder.id)
    assert time.perf_counter() - began < 2.5
    assert "timed out" in str(exc.value).lower()
    assert "Old" not in _folder_names(sdk)
    assert looker_destination.counters()["lost_answers"] == {
        "DELETE /api/4.0/folders/{folder_id}": 1
    }


def test_only_the_next_writes_lose_their_answer_then_calls_answer_again(sdk, looker_destination):
    sdk.me()
    looker_destination.lose_answers("folders", ways=["502_json"], count=2)
    for name in ("A", "B"):
        with pytest.raises(error.SDKError):
            sdk.create_folder(m.CreateFolder(name=name, parent_id="1"))
    assert sdk.create_folder(m.CreateFolder(name="C", parent_id="1")).name == "C"
    assert looker_destination.set_faults()["lost_answer_next"] == 0
    assert looker_destination.counters()["lost_answers"] == {"POST /api/4.0/folders": 2}
    assert looker_destination.counters()["creates"]["folder"] == 3


def test_reads_and_failed_writes_never_lose_their_answer(sdk, looker_destination):
    sdk.me()
    looker_destination.lose_answers("", ways=["close"], rate=1.0, count=0)
    assert sdk.all_folders()  # a GET is answered
    with pytest.raises(error.SDKError) as exc:
        sdk.create_folder(m.CreateFolder(name="X", parent_id="999"))  # rejected: nothing applied
    assert exc.value.documentation_url.endswith("/422/post/folders")
    assert looker_destination.counters()["lost_answers"] == {}


def test_writes_outside_the_route_are_answered(sdk, looker_destination):
    sdk.me()
    looker_destination.lose_answers("POST /api/4.0/groups$", ways=["close"], rate=1.0)
    assert sdk.create_folder(m.CreateFolder(name="Kept", parent_id="1")).name == "Kept"
    with pytest.raises(error.SDKError):
        sdk.create_group(m.WriteGroup(name="Lost"))
    assert [g.name for g in sdk.search_groups(name="Lost")] == ["Lost"]


def test_lost_answers_are_set_through_the_control_api(looker_destination):
    settings = looker_destination.control(
        "POST",
        "/_emulator/faults",
        {"lost_answer_route": "POST", "lost_answer_next": 1, "lost_answer_ways": ["502_text"]},
    )
    assert settings["lost_answer_next"] == 1
    assert settings["lost_answer_ways"] == ["502_text"]
    with pytest.raises(requests.HTTPError) as exc:
        answer = requests.post(
            f"{looker_destination.base_url}/_emulator/faults",
            json={"lost_answer_ways": ["vanish"]},
        )
        answer.raise_for_status()
    assert (
        "lost_answer_ways must name some of close, 502_text, 502_json, hang"
        in (exc.value.response.json()["message"])
    )
    assert looker_destination.set_faults()["lost_answer_ways"] == ["502_text"]
