"""Restoring each Looker content type: one module per type, each holding everything
about it (destination listing, natural key, search by key, payload, references,
restore, dry-run diff), and `KINDS`, the registry the engine dispatches through.

A new type joins by adding a module with a `ContentKind` subclass and listing it here.
"""

from __future__ import annotations

from restoration.engine.content.alerts import AlertKind
from restoration.engine.content.base import ContentKind, Outcome
from restoration.engine.content.boards import BoardKind
from restoration.engine.content.dashboards import DashboardKind
from restoration.engine.content.folders import FolderKind
from restoration.engine.content.lookml_models import LookmlModelKind
from restoration.engine.content.looks import LookKind
from restoration.engine.content.roles import ModelSetKind, PermissionSetKind, RoleKind
from restoration.engine.content.scheduled_plans import ScheduledPlanKind
from restoration.engine.content.user_attributes import UserAttributeKind
from restoration.engine.content.users import GroupKind, UserKind

KINDS: dict[int, ContentKind] = {
    kind.content_type: kind
    for kind in (
        UserKind(),
        GroupKind(),
        PermissionSetKind(),
        ModelSetKind(),
        RoleKind(),
        FolderKind(),
        LookmlModelKind(),
        LookKind(),
        DashboardKind(),
        BoardKind(),
        ScheduledPlanKind(),
        UserAttributeKind(),
        AlertKind(),
    )
}


def kind_of(content_type: int) -> ContentKind:
    """The kind for a type; a type without a module gets the base (skipped, listed as empty)."""
    return KINDS.get(content_type) or _UNWRITABLE


_UNWRITABLE = ContentKind()

__all__ = ["KINDS", "ContentKind", "Outcome", "kind_of"]
