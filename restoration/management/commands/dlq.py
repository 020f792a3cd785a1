"""manage.py dlq list|retry|delete: the dead-letter queue from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.content_types import ContentType
from restoration.engine.terminal import wait_for
from restoration.models import DeadLetterItem, DeadLetterQuerySet
from restoration.workers.clusters import cluster_alive


class Command(BaseCommand):
    help = "List, retry or delete dead letters (items that failed to restore)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("list", "show dead letters"),
            ("retry", "retry dead letters as a session of their own"),
            ("delete", "delete dead letters (recorded in the audit log)"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("ids", nargs="*", type=int, help="dead-letter ids")
            p.add_argument("--session", help="only this session's dead letters")
            p.add_argument("--type", help="only this content type (dashboard, look, ...)")
            if name == "list":
                p.add_argument("--limit", type=int, default=100)
                p.add_argument("--json", action="store_true")
            else:
                p.add_argument("--all", action="store_true", help="every matching dead letter")
            if name == "retry":
                p.add_argument("--wait", action="store_true")

    def selection(self, opts: dict[str, Any]) -> DeadLetterQuerySet:
        content_type = None
        if opts.get("type"):
            try:
                content_type = int(ContentType.from_slug(opts["type"]))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        qs = DeadLetterItem.objects.filtered(opts.get("session"), content_type)
        if opts["ids"]:
            qs = qs.filter(pk__in=opts["ids"])
            missing = set(opts["ids"]) - set(qs.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No dead letter(s) {', '.join(map(str, sorted(missing)))}")
        elif opts["action"] != "list" and not opts.get("all"):
            raise CommandError(
                "Name dead-letter ids, or pass --all (with --session/--type to narrow)"
            )
        return qs

    def handle(self, *args: Any, **opts: Any) -> None:
        qs = self.selection(opts)
        getattr(self, f"do_{opts['action']}")(qs, opts)

    def do_list(self, qs: DeadLetterQuerySet, opts: dict[str, Any]) -> None:
        rows = list(
            qs.defer("content_data", "stack_trace").order_by("-failed_at", "-id")[: opts["limit"]]
        )
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "id": r.pk,
                            "session_id": r.session_id,
                            "content_type": ContentType(r.content_type).slug,
                            "content_id": r.content_id,
                            "error_type": r.error_type,
                            "error_message": r.error_message,
                            "retry_count": r.retry_count,
                            "failed_at": r.failed_at.isoformat(),
                            "metadata": r.metadata,
                        }
                        for r in rows
                    ]
                )
            )
            return
        self.stdout.write(
            f"{'ID':>6}  {'TYPE':<15} {'CONTENT ID':<12} {'ERROR':<24} {'RETRIES':>7}  MESSAGE"
        )
        for r in rows:
            self.stdout.write(
                f"{r.pk:>6}  {ContentType(r.content_type).slug:<15} {r.content_id:<12} "
                f"{r.error_type:<24} {r.retry_count:>7}  {r.error_message[:80]}"
            )
        self.stdout.write(f"{qs.count()} dead letter(s)")

    def do_retry(self, qs: DeadLetterQuerySet, opts: dict[str, Any]) -> None:
        if not qs.exists():
            raise CommandError("No dead letters match")
        session = qs.retry(None)
        self.stdout.write(f"Retry session {session.pk} queued for {qs.count()} dead letter(s)")
        if opts["wait"]:
            session = wait_for(session, inline=not cluster_alive(), out=self.stdout._out)
            self.stdout.write(
                f"Retry {session.status}: {session.success_count} restored, {session.error_count} still failing"
            )

    def do_delete(self, qs: DeadLetterQuerySet, opts: dict[str, Any]) -> None:
        deleted = qs.delete_recorded(None, "deleted with manage.py dlq delete")
        self.stdout.write(f"Deleted {deleted} dead letter(s)")
