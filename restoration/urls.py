"""URLs of the restoration app; names are prefixed "restoration-"."""

from urllib.parse import unquote

from django.urls import path, register_converter

from restoration import views
from restoration.views import (
    backup,
    deadletters,
    extract,
    history,
    home,
    launch,
    mappings,
    schedules,
    sessions,
    versions,
)


class LookerIdConverter:
    """Any string a backup holds as an id, as one path segment.

    Looker ids are usually digits, but a backup may hold any string ("a/b", "..", "50%").
    "%" and "/" are escaped (reverse() escapes the "%" once more, and the server
    decodes once before routing), and "." and ".." are escaped whole so no browser
    folds them away as dot segments. An id typed with a plain "/" still matches.
    """

    regex = ".+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: str) -> str:
        escaped = str(value).replace("%", "%25").replace("/", "%2F")
        return escaped.replace(".", "%2E") if escaped in (".", "..") else escaped


register_converter(LookerIdConverter, "looker_id")

urlpatterns = [
    path("", home.home, name="restoration-home"),
    path("running", home.running, name="restoration-running"),
    path("healthz", views.healthz, name="restoration-healthz"),
    path("sessions/new", launch.launch_form, name="restoration-launch-form"),
    path("sessions/launch", launch.launch, name="restoration-launch"),
    path("sessions/", history.history, name="restoration-history"),
    path("sessions/export.csv", history.history_csv, name="restoration-history-csv"),
    path("sessions/<str:session_id>/", sessions.session_detail, name="restoration-session"),
    path("sessions/<str:session_id>/cancel", sessions.cancel, name="restoration-cancel"),
    path("sessions/<str:session_id>/resume", sessions.resume, name="restoration-resume"),
    path("audit/", history.audit_log, name="restoration-audit"),
    path("mappings/", mappings.mappings, name="restoration-mappings"),
    path("mappings/export.csv", mappings.mappings_csv, name="restoration-mappings-csv"),
    path("mappings/clear", mappings.clear_mappings, name="restoration-clear-mappings"),
    path("dead-letters/", deadletters.dead_letters, name="restoration-dead-letters"),
    path(
        "dead-letters/retry", deadletters.retry_dead_letters, name="restoration-retry-dead-letters"
    ),
    path(
        "dead-letters/delete",
        deadletters.delete_dead_letters,
        name="restoration-delete-dead-letters",
    ),
    path(
        "dead-letters/<int:item_id>/",
        deadletters.dead_letter_detail,
        name="restoration-dead-letter",
    ),
    path(
        "dead-letters/<int:item_id>/retry",
        deadletters.retry_dead_letter,
        name="restoration-retry-dead-letter",
    ),
    path("backup/", backup.backup, name="restoration-backup"),
    path("backup/new", extract.backup_form, name="restoration-backup-form"),
    path("backup/take", extract.take_backup, name="restoration-take-backup"),
    path(
        "backup/<slug:type_slug>/<looker_id:content_id>/",
        backup.backup_item,
        name="restoration-backup-item",
    ),
    # The backup's history (restoration/versions.py) and its schedules.
    path(
        "backup/<slug:type_slug>/<str:content_id>/history",
        versions.object_history,
        name="restoration-object-history",
    ),
    path(
        "backup/<slug:type_slug>/<str:content_id>/diff",
        versions.version_diff,
        name="restoration-version-diff",
    ),
    path("backup/schedules/", schedules.schedules, name="restoration-backup-schedules"),
    path("backup/schedules/set", schedules.set_schedule, name="restoration-set-schedule"),
]
