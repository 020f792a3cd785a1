"""Backups: read a Looker instance through the SDK into content_items (lookervault's format)."""

from restoration.backup.run import (
    ExtractionOptions,
    create_extraction_session,
    extract_instance,
    launch_extraction,
    run_extraction,
)

__all__ = [
    "ExtractionOptions",
    "create_extraction_session",
    "extract_instance",
    "launch_extraction",
    "run_extraction",
]
