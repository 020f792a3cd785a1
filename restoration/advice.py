"""What usually causes a dead letter, and what fixes it, in an ops person's words.

The engine's error types and messages say what went wrong; this module turns the common
ones into a likely cause and the action that fixes it (often "restore X first" with the
launch form pre-filled). An error it does not know gets no advice rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from restoration.content_types import ContentType

# "look 50 was not restored (it is not in the backup)", "folder 7 'Sales' was not restored"
MISSING_REFERENCE = re.compile(
    r"^(?P<label>[A-Za-z][A-Za-z ]*?) (?P<id>\S+) (?:'.*' |\".*\" )?was not restored"
    r"(?P<absent> \(it is not in the backup\))?"
)


@dataclass(frozen=True)
class Advice:
    cause: str
    fix: str
    # Where to act: the launch form pre-filled to restore what this item needs first
    # (`is_launch`: the page adds the item's destination and source), or another page.
    link_url: str = ""
    link_label: str = ""
    is_launch: bool = True


def _type_by_label(label: str) -> ContentType | None:
    return next((t for t in ContentType if t.label.lower() == label.strip().lower()), None)


def _launch_url(content_type: ContentType, content_id: str, include_deleted: bool) -> str:
    query = {"content_types": int(content_type), "content_ids": content_id}
    if include_deleted:
        query["include_deleted"] = "on"
    return f"{reverse('restoration-launch-form')}?{urlencode(query)}"


def _missing_reference(message: str) -> Advice | None:
    match = MISSING_REFERENCE.match(message)
    if match is None:
        return None
    content_type = _type_by_label(match["label"])
    if content_type is None:
        return None
    from restoration.models import ContentItem

    what = f"{content_type.label} {match['id']}"
    backed_up = ContentItem.objects.filter(content_type=content_type, content_id=match["id"])
    deleted = backed_up.filter(deleted_at__isnull=False).exists()
    restore_first = {
        "link_url": _launch_url(content_type, match["id"], include_deleted=True),
        "link_label": f"Restore {what} first",
    }
    if deleted:
        return Advice(
            cause=f"It needs {what}, which was deleted in Looker before the backup was taken: "
            "the backup keeps it, marked deleted, and a restore leaves deleted objects out.",
            fix=f"Restore {what} first with “Also restore objects deleted before the backup” "
            "ticked, then retry this item.",
            **restore_first,
        )
    if match["absent"] or not backed_up.exists():
        return Advice(
            cause=f"It needs {what}, which the backup does not hold: it was probably deleted "
            "in Looker before the backup was taken, or its type was left out of the backup.",
            fix=f"If an older backup holds {what}, import it and restore {what} first; "
            "otherwise create it in the destination (or point this item at another one), "
            "then retry.",
        )
    from restoration.models import DeadLetterItem

    its_letter = (
        DeadLetterItem.objects.filter(content_type=content_type, content_id=match["id"])
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if its_letter is not None:
        return Advice(
            cause=f"It needs {what}, which failed too: its own dead letter says why.",
            fix=f"Fix and retry {what}'s dead letter first, then retry this item.",
            link_url=reverse("restoration-dead-letter", args=[its_letter]),
            link_label=f"{what}'s dead letter",
            is_launch=False,
        )
    return Advice(
        cause=f"It needs {what}, which this session did not restore: it was not part of "
        "the selection.",
        fix=f"Restore {what} first, then retry this item.",
        link_url=_launch_url(content_type, match["id"], include_deleted=False),
        link_label=f"Restore {what} first",
    )


# error type -> (usual cause, the action that fixes it)
BY_ERROR_TYPE = {
    "MissingModel": (
        "The LookML model it is built on is not deployed in the destination.",
        "Deploy the LookML project (and its connection) in the destination, then retry.",
    ),
    "MissingExplore": (
        "The Explore its query uses is not in the destination's LookML.",
        "Deploy the LookML project version that defines the Explore, then retry.",
    ),
    "MissingConnection": (
        "The database connection its LookML model uses does not exist in the destination.",
        "Create the connection under Admin › Connections in the destination, then retry.",
    ),
    "MissingBuiltIn": (
        "The destination lacks an object every Looker has (a built-in role, folder or "
        "permission set).",
        "Check the destination instance's setup (or the API user's access to it), then retry.",
    ),
    "LookerValidationError": (
        "Looker refused the object's fields (for example a name already used in that "
        "folder); the response body says which.",
        "Fix the field or the clash in the destination, then retry.",
    ),
    "LookerConflict": (
        "An object with the same name or key already exists in the destination.",
        "Rename or delete the existing object in the destination, then retry.",
    ),
    "LookerUnauthorized": (
        "The destination refused the API credentials.",
        "Check client_id and client_secret of this instance in looker.ini, then retry.",
    ),
    "LookerForbidden": (
        "The API user lacks the permission for this call.",
        "Give the API user's role the permission (usually Admin for a restore), then retry.",
    ),
    "LookerNotFound": (
        "An object it points at was deleted in the destination during or after the restore.",
        "Retry: the restore finds or creates it again.",
    ),
    "LookerRateLimited": (
        "The destination kept answering “too many requests” through every retry.",
        "Retry later, or with fewer workers and lower rate limits.",
    ),
    "LookerServerError": (
        "The destination failed (5xx) through every retry: it was busy or unhealthy.",
        "Retry when the instance is healthy again.",
    ),
    "LookerTimeout": (
        "The destination did not answer in time through every retry.",
        "Retry when the instance answers again, or raise `timeout` in looker.ini.",
    ),
    "LookerConnectionError": (
        "The destination could not be reached through every retry.",
        "Check the network and base_url in looker.ini, then retry.",
    ),
    "BlobDecodeError": (
        "The backup row is damaged: its content does not decode.",
        "Take a new backup of this object, then retry.",
    ),
    "UnexpectedShape": (
        "The backup row lacks fields an object of this type needs.",
        "Take a new backup of this object, then retry.",
    ),
}


def advise(error_type: str, message: str) -> Advice | None:
    """The usual cause of this failure and the action that fixes it, or None."""
    if error_type == "MissingReference":
        return _missing_reference(message or "")
    if error_type in BY_ERROR_TYPE:
        cause, fix = BY_ERROR_TYPE[error_type]
        return Advice(cause=cause, fix=fix)
    return None
