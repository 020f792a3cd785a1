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
