"""manage.py restore: launch (or resume) a restore or dry run from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from restoration.config import INVALID_DATE, LaunchRefused, RestorationConfig
from restoration.content_types import ContentType
from restoration.engine.terminal import wait_for
from restoration.looker.instances import InstanceNotConfigured, get_instance
from restoration.models import RestorationSession
from restoration.versions import PointInTimeError
from restoration.workers.clusters import cluster_alive

# RestorationConfig's fields as the options that set them, for error messages.
OPTIONS = {
    "destination_instance": "--destination",
    "source_instance": "--source",
    "content_types": "--types",
    "content_ids": "--ids",
    "date_range": "--since/--until",
    "workers": "--workers",
    "rate_limit_per_second": "--rate-limit-per-second",
    "rate_limit_per_minute": "--rate-limit-per-minute",
    "checkpoint_interval": "--checkpoint-interval",
    "max_retries": "--max-retries",
    "as_of": "--as-of",
    "backup_run": "--backup",
}


def parse_when(value: str, *, end: bool, option: str) -> datetime:
    try:
        when = parse_datetime(value)
        day = parse_date(value) if when is None else None
    except ValueError:  # well formed but no such day: 2026-13-45
        when = day = None
    if when is None:
        if day is None:
            raise CommandError(f"Invalid restore options: {option}: {INVALID_DATE} ({value!r})")
        when = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.get_default_timezone())
    return when


class Command(BaseCommand):
    help = "Restore backup content into a Looker instance (a looker.ini section)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--destination", help="looker.ini section to restore into")
        parser.add_argument(
            "--source",
            default="",
            help="looker.ini section the backup came from (default: the destination)",
        )
        parser.add_argument("--types", nargs="+", default=None, help="dashboard look folder ...")
        parser.add_argument("--ids", nargs="+", default=None, help="content ids to restore")
        parser.add_argument("--since", help="only items updated at or after this date")
        parser.add_argument("--until", help="only items updated at or before this date")
        # Numbers are parsed by RestorationConfig, as the form's are: the same messages.
        parser.add_argument("--workers")
        parser.add_argument("--rate-limit-per-second")
        parser.add_argument("--rate-limit-per-minute")
        parser.add_argument("--checkpoint-interval")
        parser.add_argument("--max-retries")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--skip-if-modified", action="store_true")
        parser.add_argument("--include-deleted", action="store_true")
        parser.add_argument(
            "--keep-extra",
            action="store_true",
            help="add and update only: keep tiles, filters, board sections and items the "
            "backup lacks (by default a restored dashboard or board ends equal to the backup)",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="compare every item in full, even those unchanged in the backup and in the "
            "destination's listings since the last restore (catches hand edits of folder "
            "access, nested groups, role groups, attribute values, alert followers)",
        )
        schedules = parser.add_mutually_exclusive_group()
        schedules.add_argument(
            "--disable-schedules",
            dest="disable_schedules",
            action="store_const",
            const=True,
            help="restore scheduled plans and alerts disabled (default for cross-instance restores)",
        )
        schedules.add_argument(
            "--enable-schedules",
            dest="disable_schedules",
            action="store_const",
            const=False,
            help="restore scheduled plans and alerts enabled as they were, even into another instance",
        )
        point = parser.add_mutually_exclusive_group()
        point.add_argument(
            "--as-of",
            metavar="TIMESTAMP",
            help="restore the selection as the backup held it then (ISO date-time; a date "
            "alone means its end; server time zone unless given)",
        )
        point.add_argument(
            "--backup",
            type=int,
            metavar="RUN_ID",
            help="restore the selection as this backup run left it (see the Backup page)",
        )
        parser.add_argument("--resume", metavar="SESSION_ID", help="resume this session")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="wait for the end with a progress bar (runs here when no cluster is running)",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["resume"]:
            session = self.resume(opts["resume"])
        else:
            session = self.launch(opts)
        self.stdout.write(f"Session {session.pk} ({session.get_kind_display().lower()}) queued")
        if as_of := (session.config or {}).get("as_of"):
            self.stdout.write(f"Point in time: the backup as it was at {as_of}")
        if not opts["wait"]:
            return
        inline = not cluster_alive()
        if inline:
            self.stdout.write("No task cluster is running: running the session here")
        session = wait_for(session, inline=inline, out=self.stdout._out)
        self.report(session, as_json=opts["json"])
        if session.status == "failed":
            raise CommandError(f"Session failed: {session.last_error}", returncode=2)
        if session.error_count:
            raise CommandError(
                f"{session.error_count} item(s) failed; see `manage.py dlq list --session {session.pk}`",
                returncode=1,
            )

    def resume(self, session_id: str) -> RestorationSession:
        session = RestorationSession.objects.filter(pk=session_id).first()
        if session is None:
            raise CommandError(f"No session {session_id}")
        if not session.resume():
            raise CommandError(
                f"Session {session_id} is {session.status}; only failed or cancelled sessions resume"
            )
        return session

    def launch(self, opts: dict[str, Any]) -> RestorationSession:
        if not opts["destination"]:
            raise CommandError("--destination SECTION is required (a section of looker.ini)")
        try:
            destination = get_instance(opts["destination"])
            source = get_instance(opts["source"]) if opts["source"] else destination
        except InstanceNotConfigured as exc:
            raise CommandError(str(exc)) from None
        values: dict[str, Any] = {
            "destination_instance": destination.base_url,
            "source_instance": source.base_url,
            "dry_run": opts["dry_run"],
            "skip_if_modified": opts["skip_if_modified"],
            "include_deleted": opts["include_deleted"],
            "keep_extra": opts["keep_extra"],
            "verify": opts["verify"],
            "disable_schedules": opts["disable_schedules"],
            "content_ids": opts["ids"],
        }
        for name in ("workers", "rate_limit_per_second", "rate_limit_per_minute"):
            if opts[name] is not None:
                values[name] = opts[name]
        for name in ("checkpoint_interval", "max_retries"):
            if opts[name] is not None:
                values[name] = opts[name]
        if opts["types"]:
            try:
                values["content_types"] = [int(ContentType.from_slug(t)) for t in opts["types"]]
            except ValueError as exc:
                raise CommandError(f"Invalid restore options: --types: {exc}") from None
        if opts["since"] or opts["until"]:
            since = (
                parse_when(opts["since"], end=False, option="--since")
                if opts["since"]
                else datetime(1970, 1, 1, tzinfo=UTC)
            )
            until = (
                parse_when(opts["until"], end=True, option="--until")
                if opts["until"]
                else timezone.now()
            )
            values["date_range"] = (since, until)
        if opts.get("as_of"):
            values["as_of"] = parse_when(opts["as_of"], end=True, option="--as-of")
        if opts.get("backup") is not None:
            values["backup_run"] = opts["backup"]
        try:
            config = RestorationConfig.for_launch(**values)
        except LaunchRefused as refused:
            problems = "\n".join(
                f"  {OPTIONS.get(name, name.replace('_', '-'))}: {message}"
                for name, message in refused.problems
            )
            raise CommandError(f"Invalid restore options:\n{problems}") from None
        try:
            return RestorationSession.objects.launch(
                config,
                destination_section=destination.section,
                source_section=source.section if opts["source"] else "",
            )
        except PointInTimeError as exc:  # retention trimmed it between the check and now
            option = "--backup" if config.backup_run is not None else "--as-of"
            raise CommandError(f"Invalid restore options:\n  {option}: {exc}") from None

    def report(self, session: RestorationSession, *, as_json: bool) -> None:
        summary = (session.metadata or {}).get("summary") or {}
        if as_json:
            self.stdout.write(
                json.dumps({"session_id": session.pk, "status": session.status, "summary": summary})
            )
            return
        self.stdout.write(
            f"Session {session.pk} {session.status}: {session.total_items} items, "
            f"{session.created_count} created, {session.updated_count} updated, "
            f"{session.skipped_count} skipped, {session.error_count} failed, "
            f"{session.api_calls} API calls"
        )
        if summary.get("error_breakdown"):
            for kind, n in summary["error_breakdown"].items():
                self.stdout.write(f"  {kind}: {n}")
