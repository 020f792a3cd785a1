"""What a Looker error means: status from documentation_url, transient or not."""

import looker_sdk.error
import requests
from looker_sdk.error import ErrorDetail, SDKError

import restoration.looker  # noqa: F401  (switches off the internet error-doc lookup)
from restoration.looker.errors import (
    error_message,
    error_type,
    http_status,
    is_transient,
    network_failure,
)


def looker_error(status: int, path: str = "get/dashboards/:dashboard_id") -> SDKError:
    return SDKError(
        "Not found" if status == 404 else "Failed",
        documentation_url=f"https://cloud.google.com/looker/docs/r/err/4.0/{status}/{path}",
    )


def test_it_reads_the_status_from_documentation_url():
    assert http_status(looker_error(422, "post/dashboards")) == 422
    assert http_status(looker_error(503)) == 503


def test_it_reads_the_status_from_a_field_error_when_the_top_url_is_missing():
    exc = SDKError(
        "Validation Failed",
        errors=[
            ErrorDetail(
                documentation_url="https://cloud.google.com/looker/docs/r/err/4.0/422/post/looks",
                field="title",
                code="missing",
                message="required",
            )
        ],
    )
    assert http_status(exc) == 422


def test_it_reads_the_status_of_a_failed_login_from_the_raw_body():
    body = '{"message":"Not found","documentation_url":"https://cloud.google.com/looker/docs/r/err/4.0/404/post/login"}'
    assert http_status(SDKError(body)) == 404


def test_a_timeout_has_no_status_and_is_transient():
    exc = SDKError("HTTPConnectionPool(host='127.0.0.1', port=1): Read timed out. (read timeout=1)")
    assert http_status(exc) is None
    assert network_failure(exc) == "timeout"
    assert is_transient(exc)


def test_a_refused_connection_is_transient():
    assert is_transient(requests.ConnectionError("Connection refused"))
    assert error_type(None, "connection") == "LookerConnectionError"


def test_429_and_5xx_are_transient_and_validation_errors_are_not():
    assert is_transient(looker_error(429))
    assert is_transient(looker_error(500))
    assert is_transient(looker_error(502))
    for status in (400, 404, 409, 422):
        assert not is_transient(looker_error(status)), status


def test_an_unexplained_sdk_error_is_not_transient():
    assert not is_transient(SDKError("Required auth credentials not found."))


def test_the_status_seen_on_the_wire_wins():
    exc = SDKError("<html>Internal error</html>")
    exc.http_status = 500
    assert http_status(exc) == 500
    assert is_transient(exc)


def test_error_types_name_what_happened():
    assert error_type(422) == "LookerValidationError"
    assert error_type(503) == "LookerServerError"
    assert error_type(None, "timeout") == "LookerTimeout"


def test_importing_the_package_stops_the_internet_error_doc_lookup(monkeypatch):
    def no_internet(*args, **kwargs):
        raise AssertionError("the SDK tried to fetch error docs from the internet")

    monkeypatch.setattr(requests, "get", no_internet)
    helper = looker_sdk.error.ErrorDocHelper()
    url = "https://cloud.google.com/looker/docs/r/err/4.0/404/get/dashboards/:dashboard_id"
    assert helper.parse_and_lookup(url) == ("", "")


def test_an_html_error_page_becomes_a_short_plain_message():
    page = "<!doctype html><html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>The requested resource was not found.</p></body></html>"
    assert (
        error_message(SDKError(page)) == "Not Found Not Found The requested resource was not found."
    )
    assert len(error_message(SDKError("x" * 5000))) == 500
