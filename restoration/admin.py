"""The Django admin over the backup and the restoration tables, for ops staff fixing data.

Big tables (backup items, mappings, dead letters, audit events, dry-run rows) never
run COUNT(*): lists page with `BoundedCountPaginator`, order by indexed columns and
leave blobs out of the list query. Blobs are shown decoded, read-only. Deleting dead
letters and clearing mappings go through the same model methods the app uses, so
each leaves an audit event.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html

from restoration.models import (
    AuditEvent,
    BackupRun,
    BackupSchedule,
    BlobDecodeError,
    ContentItem,
    DeadLetterItem,
    DestinationLock,
    DryRunItem,
    IDMapping,
    RateLimitState,
    RestorationCheckpoint,
    RestorationSession,
    decode_blob,
)

# Pages beyond this many rows are not numbered; filters and search narrow the list.
COUNT_LIMIT = 10_000


class BoundedCountPaginator(Paginator):
    """Counts at most COUNT_LIMIT + 1 primary keys instead of running COUNT(*).

    COUNT(*) reads the whole table (blobs included on SQLite), which takes seconds
    on a large backup; reading a bounded list of keys from the index does not.
    """

    @cached_property
    def count(self) -> int:
        keys = self.object_list.order_by().values_list("pk", flat=True)[: COUNT_LIMIT + 1]
        return len(list(keys))


class BigTableAdmin(admin.ModelAdmin):
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facets are one COUNT per filter choice
    list_per_page = 50
    deferred_fields: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return queryset.defer(*self.deferred_fields) if self.deferred_fields else queryset


class ReadOnlyAdmin(BigTableAdmin):
    """Rows written by the app or the engine only: ops look, they do not edit."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecordedDeleteAdmin(ReadOnlyAdmin):
    """Every delete (an object's page, a selection) goes through a queryset method that
    also writes an audit event: `recorded_delete` names it (delete_recorded, clear_recorded).
    """

    recorded_delete: str

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by a confirmed, recorded action
        return actions

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        queryset = type(obj).objects.filter(pk=obj.pk)
        getattr(queryset, self.recorded_delete)(request.user, f"Deleted {obj} in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        getattr(queryset, self.recorded_delete)(request.user, "Deleted in the admin")


def pretty_json(value: Any) -> str:
    return format_html(
        '<pre class="restoreadmin-json" style="white-space: pre-wrap">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False),
    )


def pretty_blob(blob: bytes | memoryview | None, label: str) -> str:
    try:
        return pretty_json(decode_blob(blob, label=label))
    except BlobDecodeError as exc:
        return format_html('<p class="errornote">{}</p>', str(exc))


def confirm_recorded_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    verb: str,
    consequence: str,
    button: str,
    perform,
) -> HttpResponse | None:
    """Show a confirmation page with a 'why' box; on confirm, call perform(user, why)."""
    if request.POST.get("confirmed") == "yes":
        why = request.POST.get("description", "").strip()
        if not why:
            modeladmin.message_user(
                request, "Say why, for the audit log; nothing was changed.", messages.ERROR
            )
            return None
        changed = perform(request.user, why)
        modeladmin.message_user(
            request, f"{verb.capitalize()} {changed} {modeladmin.model._meta.verbose_name_plural}."
        )
        return None
    sample = list(queryset.order_by("-pk")[:20])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "verb": verb,
        "consequence": consequence,
        "button": button,
        "sample": sample,
        "selected_count": BoundedCountPaginator(queryset, 1).count,
        "count_limit": COUNT_LIMIT,
        "opts": modeladmin.model._meta,
        "action_name": request.POST.get("action", ""),
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/restoration/confirm_recorded_action.html", context)


# --------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------


@admin.register(ContentItem)
class ContentItemAdmin(ReadOnlyAdmin):
    list_display = [
        "content_id",
        "content_type",
        "name",
        "folder_id",
        "owner_email",
        "updated_at",
        "synced_at",
        "deleted_at",
        "content_size",
    ]
    list_filter = ["content_type", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["=content_id", "name", "=folder_id", "=owner_email"]
    search_help_text = "Exact id, folder id or owner email; or part of the name."
    ordering = ["-row_id"]
    deferred_fields = ("content_data",)
    exclude = ["content_data"]
    readonly_fields = ["looker_object"]

    @admin.display(description="Looker object (decoded from content_data)")
    def looker_object(self, item: ContentItem) -> str:
        return pretty_blob(item.content_data, f"{item.get_content_type_display()} {item.pk}")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The backup is what restores read; it changes only through import_backup.
        return False


# --------------------------------------------------------------------------
# Sessions and their checkpoints
# --------------------------------------------------------------------------


class CheckpointInline(admin.TabularInline):
    model = RestorationCheckpoint
    fields = ["content_type", "item_count", "error_count", "started_at", "completed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RestorationSession)
class RestorationSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "short_id",
        "kind",
        "status",
        "destination_instance",
        "started_at",
        "completed_at",
        "total_items",
        "success_count",
        "error_count",
        "launched_by",
        "waiting_for",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["=id", "destination_instance", "source_instance"]
    search_help_text = "Exact session id, or part of an instance URL."
    ordering = ["-started_at"]
    list_select_related = ["launched_by"]
    exclude = ["config", "metadata"]
    readonly_fields = ["pretty_config", "pretty_metadata"]
    inlines = [CheckpointInline]
    actions = ["request_cancel"]

    @admin.display(description="id", ordering="id")
    def short_id(self, session: RestorationSession) -> str:
        return session.id[:8]

    @admin.display(description="config")
    def pretty_config(self, session: RestorationSession) -> str:
        return pretty_json(session.config)

    @admin.display(description="metadata")
    def pretty_metadata(self, session: RestorationSession) -> str:
        return pretty_json(session.metadata)

    def has_cancel_restore_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("restoration.cancel_restore")

    @admin.action(description="Cancel the selected sessions", permissions=["cancel_restore"])
    def request_cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Pending sessions stop at once; running ones at the worker's next item."""
        asked = sum(session.request_cancel(request.user) for session in queryset)
        self.message_user(request, f"Asked {asked} session(s) to stop.")


@admin.register(RestorationCheckpoint)
class RestorationCheckpointAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "session",
        "content_type",
        "item_count",
        "error_count",
        "started_at",
        "completed_at",
    ]
    list_filter = ["content_type", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["=session__id"]
    search_help_text = "Exact session id."
    ordering = ["-id"]
    list_select_related = ["session"]
    exclude = ["checkpoint_data"]
    readonly_fields = ["pretty_checkpoint_data"]

    @admin.display(description="checkpoint data (last_offset, completed_ids)")
    def pretty_checkpoint_data(self, checkpoint: RestorationCheckpoint) -> str:
        return pretty_json(checkpoint.checkpoint_data)


@admin.register(DryRunItem)
class DryRunItemAdmin(ReadOnlyAdmin):
    list_display = ["session", "content_type", "content_id", "name", "action", "reason"]
    list_filter = ["action", "content_type"]
    search_fields = ["=session__id", "=content_id"]
    search_help_text = "Exact session id or content id."
    ordering = ["-id"]
    list_select_related = ["session"]
    exclude = ["diff"]
    readonly_fields = ["pretty_diff"]

    @admin.display(description="diff {field: [destination, backup]}")
    def pretty_diff(self, item: DryRunItem) -> str:
        return pretty_json(item.diff)


# --------------------------------------------------------------------------
# ID mappings
# --------------------------------------------------------------------------


@admin.register(IDMapping)
class IDMappingAdmin(RecordedDeleteAdmin):
    list_display = [
        "content_type",
        "source_id",
        "destination_id",
        "source_instance",
        "destination_instance",
        "session",
        "created_at",
    ]
    list_filter = ["content_type"]
    search_fields = ["=source_id", "=destination_id", "=session__id"]
    search_help_text = "Exact source id, destination id or session id."
    ordering = ["-id"]
    list_select_related = ["session"]
    actions = ["clear_selected"]
    recorded_delete = "clear_recorded"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("restoration.clear_mappings")

    def has_clear_mappings_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("restoration.clear_mappings")

    @admin.action(description="Clear the selected mappings…", permissions=["clear_mappings"])
    def clear_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return confirm_recorded_action(
            self,
            request,
            queryset,
            title="Clear ID mappings",
            verb="cleared",
            consequence=(
                "The next restore into these destinations creates these objects again "
                "instead of updating the copies made before."
            ),
            button="Yes, clear them",
            perform=queryset.clear_recorded,
        )


# --------------------------------------------------------------------------
# Dead letters
# --------------------------------------------------------------------------


@admin.register(DeadLetterItem)
class DeadLetterItemAdmin(RecordedDeleteAdmin):
    list_display = [
        "id",
        "session",
        "content_type",
        "content_id",
        "error_type",
        "short_error",
        "retry_count",
        "failure_count",
        "failed_at",
    ]
    list_filter = ["content_type", "error_type"]
    search_fields = ["=content_id", "=session__id", "error_message"]
    search_help_text = "Exact content id or session id; or part of the error message."
    ordering = ["-failed_at"]
    list_select_related = ["session"]
    deferred_fields = ("content_data", "stack_trace", "metadata")
    exclude = ["content_data", "metadata", "stack_trace"]
    readonly_fields = ["looker_object", "pretty_metadata", "stack_trace_as_printed"]
    actions = ["delete_selected_recorded"]
    recorded_delete = "delete_recorded"

    @admin.display(description="stack trace")
    def stack_trace_as_printed(self, item: DeadLetterItem) -> str:
        """In a <pre>, so a Python traceback keeps the indentation that makes it readable
        (a read-only text field would collapse it)."""
        if not item.stack_trace:
            return "—"
        return format_html('<pre class="restoreadmin-trace">{}</pre>', item.stack_trace)

    @admin.display(description="error")
    def short_error(self, item: DeadLetterItem) -> str:
        return item.error_message[:120]

    @admin.display(description="Looker object (decoded from content_data)")
    def looker_object(self, item: DeadLetterItem) -> str:
        return pretty_blob(item.content_data, f"dead letter {item.pk}")

    @admin.display(description="request, response and retry history")
    def pretty_metadata(self, item: DeadLetterItem) -> str:
        return pretty_json(item.metadata)

    @admin.action(description="Delete the selected dead letters…", permissions=["delete"])
    def delete_selected_recorded(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        return confirm_recorded_action(
            self,
            request,
            queryset,
            title="Delete dead letters",
            verb="deleted",
            consequence=(
                "These items will not be retried: nothing in Looker changes, and the "
                "failure details are gone for good."
            ),
            button="Yes, delete them",
            perform=queryset.delete_recorded,
        )


# --------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "description", "count", "session"]
    list_filter = ["action"]
    search_fields = ["description", "=user__username", "=session__id"]
    search_help_text = "Part of the description, or an exact username or session id."
    ordering = ["-at"]
    list_select_related = ["user", "session"]
    exclude = ["details"]
    readonly_fields = ["pretty_details"]

    @admin.display(description="details")
    def pretty_details(self, event: AuditEvent) -> str:
        return pretty_json(event.details)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an audit log nobody can edit


# --------------------------------------------------------------------------
# Shared rate limits
# --------------------------------------------------------------------------


@admin.register(RateLimitState)
class RateLimitStateAdmin(ReadOnlyAdmin):
    """The shared pace per Looker instance; deleting a row resets that instance's pace."""

    list_display = ["key", "next_at", "factor", "backoff_at", "pause_until"]
    search_fields = ["key"]
    ordering = ["key"]


@admin.register(DestinationLock)
class DestinationLockAdmin(ReadOnlyAdmin):
    """Which session writes into each Looker instance. A session counts only while it is
    pending or running, so a row never needs clearing by hand."""

    list_display = ["key", "session", "taken_at"]
    search_fields = ["key"]
    ordering = ["key"]
    list_select_related = ["session"]


admin.site.site_header = "restoreadmin"
admin.site.site_title = "restoreadmin admin"
admin.site.index_title = "Backup and restoration data"


# --------------------------------------------------------------------------
# Backup history (restoration/versions.py): read only; schedules are set on their page
# (BackupSchedule.objects.set_for keeps the django-q2 Schedule and the audit log in step).
# --------------------------------------------------------------------------


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "taken_at", "kind", "status", "section", "new_versions", "bytes_added"]
    list_filter = ["kind", "status", "scheduled"]
    search_fields = ["=section", "source_file"]
    ordering = ["-taken_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the versions of a run point at it


@admin.register(BackupSchedule)
class BackupScheduleAdmin(ReadOnlyAdmin):
    list_display = ["section", "cron", "incremental", "keep_days", "enabled", "updated_by"]
    ordering = ["section"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # pause it on the schedules page instead
