"""`manage.py extract --instance SECTION`: take a backup of a Looker instance now."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.backup import ExtractionOptions, extract_instance
from restoration.backup.readers import EXTRACTABLE_TYPES
from restoration.backup.run import Progress
from restoration.content_types import ContentType
from restoration.looker.instances import InstanceNotConfigured
from restoration.models import RAN_THROUGH_STATUSES

BAR_WIDTH = 30


def parse_types(values: list[str] | None) -> list[int]:
    if not values:
        return [int(t) for t in EXTRACTABLE_TYPES]
    types = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                types.append(int(ContentType.from_slug(part)))
    return types


class ProgressBar:
    """One line per content type: redrawn in place on a terminal, printed when done otherwise."""

    def __init__(self, stream: Any, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive
        self.current: ContentType | None = None

    def __call__(self, p: Progress) -> None:
        if self.current is not None and p.content_type != self.current and self.interactive:
            self.stream.write("\n")
        self.current = p.content_type
        total = max(p.listed, p.done)
        filled = int(BAR_WIDTH * p.done / total) if total else (BAR_WIDTH if p.listing_done else 0)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        more = "" if p.listing_done else "+"
        errors = f", {p.errors} failed" if p.errors else ""
        line = (
            f"{p.content_type.label + 's':<16} [{bar}] {p.done}/{total}{more}{errors}"
            f"  {p.items_per_second:.1f} items/s"
        )
        if self.interactive:
            self.stream.write("\r" + line)
            self.stream.flush()
        elif p.listing_done and p.done >= p.listed:
            self.stream.write(line + "\n")

    def close(self) -> None:
        if self.interactive and self.current is not None:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Back up a Looker instance (a looker.ini section) into content_items. "
        "Objects that fail to read are reported and picked up by the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--instance", required=True, help="looker.ini section to read from.")
        parser.add_argument(
            "--types",
            nargs="+",
            help="Content types to read (dashboard look folder ... explore); default: all.",
        )
        parser.add_argument("--workers", type=int, default=4, help="Parallel readers (1-32).")
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Skip reading objects whose updated_at is unchanged since the last backup.",
        )
        parser.add_argument("--rate-per-second", type=int, default=10)
        parser.add_argument("--rate-per-minute", type=int, default=600)
        parser.add_argument("--max-retries", type=int, default=5)
        parser.add_argument("--no-progress", action="store_true", help="Print no progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            extraction = ExtractionOptions(
                types=parse_types(options["types"]),
                workers=options["workers"],
                incremental=options["incremental"],
                rate_limit_per_second=options["rate_per_second"],
                rate_limit_per_minute=options["rate_per_minute"],
                max_retries=options["max_retries"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        bar = None
        if not options["no_progress"]:
            bar = ProgressBar(self.stdout, interactive=sys.stdout.isatty())
        try:
            session = extract_instance(options["instance"], extraction, progress=bar)
        except InstanceNotConfigured as exc:
            raise CommandError(str(exc)) from None
        finally:
            if bar:
                bar.close()
        summary = (session.metadata or {}).get("summary", {})
        self.stdout.write(
            f"Session {session.pk}: {session.status}. "
            f"{session.created_count} new, {session.updated_count} changed, "
            f"{session.skipped_count} unchanged, {summary.get('deleted', 0)} gone from Looker, "
            f"{session.error_count} failed; {session.api_calls} API calls "
            f"in {summary.get('duration_seconds', 0):.1f}s"
        )
        if session.status not in RAN_THROUGH_STATUSES:
            raise CommandError(f"The backup {session.status}: {session.last_error}")
        if session.error_count:
            for error in (session.metadata or {}).get("errors", [])[:20]:
                what = ContentType(error["content_type"]).label
                self.stderr.write(
                    f"  {what} {error['content_id'] or '(listing)'}: {error['message']}"
                )
            raise CommandError(
                f"{session.error_count} object(s) could not be read; run the command again to retry them"
            )
