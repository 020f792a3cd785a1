"""Logged-in clients for the cast, and small builders of sessions, dead letters and backup rows."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from restoration.content_types import ContentType
from restoration.models import (
    ContentItem,
    DeadLetterItem,
    IDMapping,
    RestorationCheckpoint,
    RestorationSession,
    SessionStatus,
    encode_blob,
)

DESTINATION = "https://staging.looker.example.com"
SOURCE = "https://prod.looker.example.com"


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def auditor_client(auditor) -> Client:
    client = Client()
    client.force_login(auditor)
    return client


@pytest.fixture
def outsider_client(outsider) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def looker_ini_file(tmp_path, settings):
    path = tmp_path / "looker.ini"
    path.write_text(
        "[prod]\nbase_url=https://prod.looker.example.com\nclient_id=abc\nclient_secret=TOPSECRET\n\n"
        "[staging]\nbase_url=https://staging.looker.example.com\nclient_id=def\nclient_secret=ALSOSECRET\n"
    )
    settings.LOOKER_INI = str(path)
    return path


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true"}


def make_session(**fields: Any) -> RestorationSession:
    values: dict[str, Any] = {
        "status": SessionStatus.RUNNING,
        "destination_instance": DESTINATION,
        "source_instance": SOURCE,
        "destination_section": "staging",
        "source_section": "prod",
        "config": {"workers": 4, "destination_instance": DESTINATION, "source_instance": SOURCE},
        "metadata": {},
    }
    values.update(fields)
    return RestorationSession.objects.create(**values)


def make_running_session(**fields: Any) -> RestorationSession:
    """A restore halfway through: 40 of 80 items, with checkpoints and throughput samples."""
    now = timezone.now()
    session = make_session(
        started_at=now - timedelta(seconds=40),
        planned_items=80,
        total_items=40,
        success_count=38,
        created_count=30,
        updated_count=8,
        error_count=2,
        metadata={
            "plan": {
                "per_type": {str(int(ContentType.FOLDER)): 20, str(int(ContentType.DASHBOARD)): 60}
            },
            "throughput": [
                [(now - timedelta(seconds=40 - 4 * i)).isoformat(), 4 * i] for i in range(11)
            ],
            "throttled": True,
        },
        **fields,
    )
    RestorationCheckpoint.objects.create(
        session=session, content_type=ContentType.FOLDER, item_count=20, error_count=0
    )
    RestorationCheckpoint.objects.create(
        session=session, content_type=ContentType.DASHBOARD, item_count=20, error_count=2
    )
    return session


def make_dead_letter(session: RestorationSession, **fields: Any) -> DeadLetterItem:
    values: dict[str, Any] = {
        "session": session,
        "content_id": "42",
        "content_type": ContentType.DASHBOARD,
        "content_data": encode_blob({"id": "42", "title": "Sales overview"}),
        "error_message": "title: must be unique within the folder",
        "error_type": "LookerValidationError",
        "stack_trace": "Traceback (most recent call last):\n  ...",
        "retry_count": 0,
        "metadata": {
            "request_payload": {"title": "Sales overview"},
            "response_status": 422,
            "response_body": {"message": "Validation Failed"},
            "retry_history": [
                {
                    "attempt": 1,
                    "status": 422,
                    "error": "Validation Failed",
                    "at": "2026-01-01T00:00:00Z",
                    "waited_s": 0,
                }
            ],
        },
    }
    values.update(fields)
    return DeadLetterItem.objects.create(**values)


def make_content(
    content_id: str = "42", content_type: int = ContentType.DASHBOARD, **fields: Any
) -> ContentItem:
    data = {"id": content_id, "title": fields.pop("name", "Sales overview")}
    values: dict[str, Any] = {
        "content_id": content_id,
        "content_type": content_type,
        "name": data["title"],
        "content_data": encode_blob(data),
        "synced_at": timezone.now(),
        "updated_at": timezone.now(),
    }
    values.update(fields)
    return ContentItem.objects.create(**values)


def make_mapping(source_id: str = "42", destination_id: str = "1042", **fields: Any) -> IDMapping:
    values: dict[str, Any] = {
        "source_instance": SOURCE,
        "destination_instance": DESTINATION,
        "content_type": ContentType.DASHBOARD,
        "source_id": source_id,
        "destination_id": destination_id,
    }
    values.update(fields)
    return IDMapping.objects.create(**values)
