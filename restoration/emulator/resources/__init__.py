"""The emulated Looker resources, one module per resource, each holding its rules and its
routes (`@route` handlers).  `MODULES` is the registry: importing this package registers
every module's routes in `ROUTES`; a new resource (alerts, user attributes, merge queries)
is a new module added to `MODULES` (alerts and user_attributes joined this way).

Modules only import the ones listed before them (folders < users < groups < roles;
queries < merge_queries < boards < looks < dashboards < dashboard_lookml), so there is no import cycle; folders list and
delete their Looks and dashboards through `folders.FOLDER_CONTENTS`, which those modules
join.
"""

from __future__ import annotations

from ..routing import ROUTES
from . import (
    alerts,
    boards,
    dashboard_lookml,
    dashboards,
    folders,
    groups,
    lookml_models,
    looks,
    merge_queries,
    queries,
    roles,
    scheduled_plans,
    session,
    user_attributes,
    users,
)

MODULES = (
    session,
    folders,
    users,
    groups,
    roles,
    lookml_models,
    queries,
    merge_queries,
    boards,
    looks,
    dashboards,
    dashboard_lookml,
    scheduled_plans,
    # alerts and user attributes (after dashboards and groups, which they refer to)
    alerts,
    user_attributes,
)

# What a Folder answer lists, and deletes with the folder, in this order.
folders.FOLDER_CONTENTS[:] = [dashboards.IN_FOLDERS, looks.IN_FOLDERS]

__all__ = ["MODULES", "ROUTES"]
