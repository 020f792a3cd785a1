"""GET /sessions/export.csv: the filtered history as streamed CSV."""

import csv
import io

from restoration.models import SessionStatus
from tests.views.conftest import make_session


def test_it_streams_the_filtered_sessions_as_csv(operator_client, operator):
    failed = make_session(status=SessionStatus.FAILED, launched_by=operator, error_count=3)
    make_session(status=SessionStatus.COMPLETED)
    response = operator_client.get("/sessions/export.csv?status=failed")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["session"] for r in rows] == [failed.pk]
    assert rows[0]["launched_by"] == "olivia" and rows[0]["failed"] == "3"


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/sessions/export.csv").status_code == 403


def test_a_destination_that_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(
    operator_client,
):
    make_session(destination_instance="=cmd|' /C calc'!A0", status=SessionStatus.COMPLETED)
    response = operator_client.get("/sessions/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["destination"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["started_at"][:2] == "20"  # times stay plain ISO 8601
