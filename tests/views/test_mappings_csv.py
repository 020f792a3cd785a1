"""GET /mappings/export.csv."""

import csv
import io

from restoration.content_types import ContentType
from tests.views.conftest import make_mapping


def test_it_streams_the_filtered_mappings(operator_client):
    make_mapping("42", "1042")
    make_mapping("7", "77", content_type=ContentType.LOOK)
    response = operator_client.get("/mappings/export.csv?type=2")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"] == "text/csv"
    assert [(r["content_type"], r["source_id"], r["destination_id"]) for r in rows] == [
        ("look", "7", "77")
    ]


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/mappings/export.csv").status_code == 403


def test_ids_that_a_spreadsheet_would_run_as_formulas_are_exported_as_text(operator_client):
    make_mapping('=HYPERLINK("http://evil.example","x")', "+1042")
    make_mapping("@SUM(A1)", "-7", content_type=ContentType.LOOK)
    make_mapping("\tcmd", "\rcmd", content_type=ContentType.FOLDER)
    make_mapping("12", "1012", content_type=ContentType.BOARD)
    response = operator_client.get("/mappings/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [(r["source_id"], r["destination_id"]) for r in rows]
    assert cells == [
        ('\'=HYPERLINK("http://evil.example","x")', "'+1042"),
        ("'@SUM(A1)", "'-7"),
        ("'\tcmd", "'\rcmd"),
        ("12", "1012"),
    ]
