"""Building an instance: Looker's built-ins, plus the "demo" and "scale:N" content.

Seeds are deterministic: every choice comes from random.Random(seed string), and objects
are created in a fixed order through the same functions the API routes use (`resources/`),
so their ids and shapes are what a real instance would answer.

Why one module of this size: the demo is one story (who owns what, which tile listens to
which filter, which alert follows which tile) that reads best top to bottom, and its
random sequence must not change when a section is added (new sections go last).
"""

from __future__ import annotations

import copy
import random
import threading
from typing import Any

from . import lookml
from .lookml import EXPLORES, MODEL_CONNECTION
from .permissions import PERMISSIONS
from .resources.alerts import create_alert, follow_alert
from .resources.boards import create_board, create_board_item, create_board_section
from .resources.dashboards import create_dashboard, create_element, create_filter, update_element
from .resources.folders import (
    SHARED_FOLDER_ID,
    USERS_FOLDER_ID,
    create_content_access,
    create_folder,
    update_content_metadata,
)
from .resources.groups import add_group_to_group, create_group
from .resources.lookml_models import configure_deployed_models, create_lookml_model
from .resources.looks import create_look
from .resources.merge_queries import create_merge_query
from .resources.queries import create_query
from .resources.roles import create_model_set, create_permission_set, create_role
from .resources.scheduled_plans import create_scheduled_plan
from .resources.user_attributes import (
    create_user_attribute,
    install_system_attributes,
    set_group_values,
)
from .resources.users import create_user
from .rules import now
from .store import Store

API_USER_ID = "1"

CONNECTIONS = [
    {
        "name": "thelook",
        "dialect_name": "mysql",
        "host": "db.example.com",
        "port": "3306",
        "database": "thelook",
        "username": "looker",
    },
    {
        "name": "bigquery_prod",
        "dialect_name": "bigquery_standard_sql",
        "host": "analytics-prod",
        "database": "warehouse",
        "username": None,
    },
    {
        "name": "snowflake_finance",
        "dialect_name": "snowflake",
        "host": "acme.snowflakecomputing.com",
        "port": "443",
        "database": "FINANCE",
        "username": "LOOKER",
    },
]


_TEMPLATES: dict[str | None, tuple[dict, dict, dict]] = {}
_TEMPLATES_LOCK = threading.Lock()


def build_instance(
    s: Store,
    seed: str | None,
    connections: list[str] | None = None,
    projects: Any = None,
    auto_configure_models: bool = False,
) -> None:
    """Fill an empty store: built-ins always, then the seed's content.

    Every seed, the empty one too, has the demo LookML projects deployed (a staging
    instance is deployed from the same repository); only "demo" and "scale:N" also have
    `lookml_model` configurations for them.  `projects` replaces the deployed catalogue
    (see `lookml.resolve_projects`).  `auto_configure_models`: the instance configures
    each deployed model nobody configured yet, now and on every later deploy, as Looker
    often does (`lookml_models.configure_deployed_models`).

    A seed is built once per process and copied afterwards: tests start many emulators.
    """
    deployed = lookml.resolve_projects(projects) if projects is not None else None
    seed = None if seed in ("", "empty") else seed
    with _TEMPLATES_LOCK:
        if seed not in _TEMPLATES:
            template = Store()
            _build(template, seed)
            _TEMPLATES[seed] = (dict(template.tables), dict(template.sequences), template.meta)
        tables, sequences, meta = copy.deepcopy(_TEMPLATES[seed])
    for kind, objects in tables.items():
        for object_id, obj in objects.items():
            s.tables[kind][object_id] = obj
            s.touch(kind, object_id)
    s.sequences.update(sequences)
    for key, value in meta.items():
        s.set_meta(key, value)
    if connections is not None:
        _set_connections(s, connections)
    if deployed is not None:
        s.set_meta("projects", deployed)
    if auto_configure_models:
        s.set_meta("auto_configure_models", True)
        configure_deployed_models(s)
    s.query_index = None
    s.create_counts.clear()


def _set_connections(s: Store, names: list[str]) -> None:
    known = {c["name"]: c for c in CONNECTIONS}
    for name in list(s.tables["connection"]):
        if name not in names:
            s.remove("connection", name)
    for name in names:
        if not s.exists("connection", name):
            conn = known.get(
                name, {"name": name, "dialect_name": "postgres", "host": f"{name}.example.com"}
            )
            s.insert("connection", {**conn, "id": name, "created_at": now()}, object_id=name)


def _build(s: Store, seed: str | None) -> None:
    install_builtins(s)
    if seed in (None, "", "empty"):
        pass
    elif seed == "demo":
        _demo(s, random.Random("demo"), scale=1)
    elif seed.startswith("scale:"):
        try:
            dashboards = int(seed.split(":", 1)[1])
        except ValueError:
            raise ValueError(
                f"bad seed {seed!r}: use scale:N with a number of dashboards"
            ) from None
        _scale(s, random.Random(seed), dashboards)
    else:
        raise ValueError(f"unknown seed {seed!r}: use demo, scale:N or nothing")


def install_builtins(s: Store) -> None:
    """What every Looker instance has before anyone touches it (restoration/emulator/
    EVIDENCE.md, "Built-ins"): the Shared and Users roots, the Embed roots, the `lookml`
    folder, the "All Users" group with Edit on Shared, the Admin role with its built-in
    Admin permission set and All model set, the default Developer/User/Viewer roles, the
    API user, the connections and the deployed demo LookML."""
    for conn in CONNECTIONS:
        s.insert(
            "connection",
            {**conn, "id": conn["name"], "created_at": now()},
            object_id=conn["name"],
        )
    shared = create_folder(s, "Shared", None, None, object_id=SHARED_FOLDER_ID, is_shared_root=True)
    create_folder(s, "Users", None, None, object_id=USERS_FOLDER_ID, is_users_root=True)
    for name, flag in EMBED_ROOTS.items():
        create_folder(s, name, None, None, is_embed=True, _built_in=True, **{flag: True})
    create_folder(s, LOOKML_FOLDER_NAME, None, None, object_id=LOOKML_FOLDER_ID, _built_in=True)
    everyone = create_group(s, {"name": ALL_USERS_GROUP})
    everyone.update({"include_by_default": True, "_built_in": True})
    create_content_access(
        s,
        {
            "content_metadata_id": shared["content_metadata_id"],
            "group_id": everyone["id"],
            "permission_type": "edit",
        },
    )
    admin_ps = create_permission_set(
        s, {"name": "Admin", "permissions": sorted(PERMISSIONS)}, built_in=True, all_access=True
    )
    all_ms = create_model_set(s, {"name": "All", "models": []}, built_in=True, all_access=True)
    admin = create_role(
        s,
        {"name": "Admin", "permission_set_id": admin_ps["id"], "model_set_id": all_ms["id"]},
        _built_in=True,
    )
    for name, permissions in DEFAULT_PERMISSION_SETS.items():
        pset = create_permission_set(s, {"name": name, "permissions": permissions})
        create_role(
            s, {"name": name, "permission_set_id": pset["id"], "model_set_id": all_ms["id"]}
        )
    api_user = create_user(
        s,
        {
            "first_name": "Looker",
            "last_name": "API",
            "credentials_email": {"email": "api-admin@example.com"},
        },
        object_id=API_USER_ID,
    )
    api_user["role_ids"] = [admin["id"]]
    s.set_meta("api_user_id", API_USER_ID)
    lookml.set_deployed(s, "demo")
    install_system_attributes(s)


ALL_USERS_GROUP = "All Users"
EMBED_ROOTS = {"Embed Groups": "is_embed_shared_root", "Embed Users": "is_embed_users_root"}
# The folder LookML dashboards live in: its id is the text "lookml" on every instance.
LOOKML_FOLDER_ID = "lookml"
LOOKML_FOLDER_NAME = "LookML Dashboards"
_VIEWER = [
    "access_data",
    "see_looks",
    "see_user_dashboards",
    "see_lookml_dashboards",
    "see_drill_overlay",
    "download_with_limit",
    "schedule_look_emails",
]
_USER = [
    *_VIEWER,
    "explore",
    "create_table_calculations",
    "save_content",
    "create_alerts",
    "follow_alerts",
    "see_sql",
]
# Default roles a new instance ships with besides Admin (assumption rows in EVIDENCE.md):
# ordinary roles an admin may edit or delete, each with the All model set.
DEFAULT_PERMISSION_SETS: dict[str, list[str]] = {
    "Developer": sorted({*_USER, "see_lookml", "develop", "deploy", "use_sql_runner"}),
    "User": sorted(_USER),
    "Viewer": sorted(_VIEWER),
}


# --- demo content ----------------------------------------------------------------------

FIRST_NAMES = [
    "Lloyd",
    "Zachary",
    "Balthazar",
    "Aaron",
    "Amanda",
    "Priya",
    "Mateo",
    "Chen",
    "Fatima",
    "Olga",
    "Kwame",
    "Sofia",
    "Liam",
    "Noor",
    "Hiroshi",
    "Elena",
    "Diego",
    "Ingrid",
    "Tariq",
    "Maya",
    "Jonas",
    "Aisha",
    "Ravi",
    "Camille",
    "Tomasz",
]
LAST_NAMES = [
    "Llookicorn",
    "Zoomify",
    "Bombastic",
    "Aardvark",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Haddad",
    "Kowalski",
    "Silva",
    "Nakamura",
    "Fischer",
    "Mensah",
    "Patel",
    "Rossi",
    "Novak",
]
VIS_TYPES = [
    "looker_column",
    "looker_bar",
    "looker_line",
    "looker_pie",
    "single_value",
    "table",
    "looker_area",
]
TOPICS = [
    "Revenue",
    "Orders",
    "Customers",
    "Inventory",
    "Returns",
    "Margin",
    "Web Traffic",
    "Conversion",
    "Retention",
    "Flights",
    "Delays",
    "Airports",
    "Campaigns",
    "Regional Sales",
    "Brand Performance",
]
QUALIFIERS = [
    "Weekly",
    "Monthly",
    "Quarterly",
    "YTD",
    "by Region",
    "by Channel",
    "Overview",
    "Deep Dive",
    "Trends",
    "KPIs",
]


def _title(rnd: random.Random, used: set[str]) -> str:
    for _ in range(100):
        title = f"{rnd.choice(TOPICS)} {rnd.choice(QUALIFIERS)}"
        if title not in used:
            used.add(title)
            return title
    title = f"{rnd.choice(TOPICS)} {len(used) + 1}"
    used.add(title)
    return title


def _query(s: Store, rnd: random.Random) -> dict[str, Any]:
    model = rnd.choice(sorted(EXPLORES))
    view = rnd.choice(sorted(EXPLORES[model]))
    fields = rnd.sample(EXPLORES[model][view], k=min(len(EXPLORES[model][view]), rnd.randint(2, 4)))
    body: dict[str, Any] = {
        "model": model,
        "view": view,
        "fields": fields,
        "sorts": [f"{fields[-1]} desc"],
        "limit": str(rnd.choice([10, 50, 500, 5000])),
        "vis_config": {
            "type": rnd.choice(VIS_TYPES),
            "show_view_names": False,
            "stacking": rnd.choice(["", "normal"]),
        },
    }
    if rnd.random() < 0.5:
        body["filters"] = {fields[0]: rnd.choice(["30 days", "NOT NULL", "-Unknown", "2026"])}
    return create_query(s, body)


def _named(s: Store, kind: str, name: str) -> dict[str, Any]:
    return next(obj for obj in s.all(kind) if obj.get("name") == name)


def _demo(s: Store, rnd: random.Random, scale: int) -> None:
    counts = {
        "users": 20 * scale,
        "looks": 50 * scale,
        "dashboards": 30 * scale,
        "boards": 3 * scale,
        "plans": 10 * scale,
        "alerts": 8 * scale,
    }
    _populate(s, rnd, counts, folders_per_area=1 + scale // 5)


def _scale(s: Store, rnd: random.Random, dashboards: int) -> None:
    counts = {
        "users": max(20, dashboards // 10),
        "looks": dashboards,
        "dashboards": dashboards,
        "boards": max(1, dashboards // 20),
        "plans": max(2, dashboards // 10),
        "alerts": max(2, dashboards // 10),
    }
    _populate(s, rnd, counts, folders_per_area=max(1, dashboards // 40))


def _populate(s: Store, rnd: random.Random, counts: dict[str, int], folders_per_area: int) -> None:
    for project, models in lookml.DEMO_PROJECTS.items():
        for model in models:
            create_lookml_model(
                s,
                {
                    "name": model,
                    "project_name": project,
                    "allowed_db_connection_names": [MODEL_CONNECTION[model]],
                    "unlimited_db_connections": False,
                },
            )

    # The demo's viewers and developers use the default Viewer permission set and the
    # default Developer role every instance ships with.
    viewer_ps = _named(s, "permission_set", "Viewer")
    explorer_ps = create_permission_set(
        s,
        {
            "name": "Explorer",
            "permissions": [
                "access_data",
                "see_looks",
                "see_user_dashboards",
                "explore",
                "save_content",
                "download_with_limit",
                "schedule_look_emails",
                "create_table_calculations",
                "see_drill_overlay",
            ],
        },
    )
    retail_ms = create_model_set(s, {"name": "Retail", "models": ["thelook", "ecommerce_bq"]})
    ops_ms = create_model_set(s, {"name": "Operations", "models": ["faa"]})
    roles = {
        "viewer": create_role(
            s,
            {
                "name": "Retail Viewer",
                "permission_set_id": viewer_ps["id"],
                "model_set_id": retail_ms["id"],
            },
        ),
        "explorer": create_role(
            s,
            {
                "name": "Retail Explorer",
                "permission_set_id": explorer_ps["id"],
                "model_set_id": retail_ms["id"],
            },
        ),
        "ops": create_role(
            s,
            {
                "name": "Operations Explorer",
                "permission_set_id": explorer_ps["id"],
                "model_set_id": ops_ms["id"],
            },
        ),
        "developer": _named(s, "role", "Developer"),
    }

    group_names = [
        "Analytics",
        "Marketing Analysts",
        "Finance Analysts",
        "Operations",
        "Flight Ops",
        "Executives",
        "Data Engineering",
    ]
    groups = {
        name: create_group(s, {"name": name, "can_add_to_content_metadata": True})
        for name in group_names
    }
    add_group_to_group(s, groups["Analytics"], groups["Marketing Analysts"]["id"])
    add_group_to_group(s, groups["Analytics"], groups["Finance Analysts"]["id"])
    add_group_to_group(s, groups["Operations"], groups["Flight Ops"]["id"])
    roles["viewer"]["_group_ids"] = [groups["Executives"]["id"]]
    roles["explorer"]["_group_ids"] = [groups["Analytics"]["id"]]
    roles["ops"]["_group_ids"] = [groups["Operations"]["id"]]
    roles["developer"]["_group_ids"] = [groups["Data Engineering"]["id"]]

    users = []
    used_emails: set[str] = set()
    for i in range(counts["users"]):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], rnd.choice(LAST_NAMES)
        email = f"{first}.{last}@example.com".lower()
        if email in used_emails:
            email = f"{first}.{last}{i}@example.com".lower()
        used_emails.add(email)
        user = create_user(
            s,
            {
                "first_name": first,
                "last_name": last,
                "locale": rnd.choice(["en", "en", "de", "fr", "ja"]),
                "is_disabled": rnd.random() < 0.05,
                "credentials_email": {"email": email},
            },
        )
        user["_group_ids"] += [
            g["id"] for g in rnd.sample(list(groups.values()), k=rnd.randint(1, 2))
        ]
        if rnd.random() < 0.3:
            user["role_ids"] = [rnd.choice(list(roles.values()))["id"]]
        users.append(user)

    # Shared folder tree, two levels deep, plus some content in personal folders.
    folders = []
    tree = {
        "Sales": ["Regional", "Quarterly Reviews"],
        "Marketing": ["Campaigns"],
        "Operations": ["Flight Ops"],
        "Finance": ["Budget 2026"],
        "Executive": [],
    }
    for area, subs in tree.items():
        for n in range(folders_per_area):
            name = area if n == 0 else f"{area} {n + 1}"
            top = create_folder(s, name, SHARED_FOLDER_ID, users[0]["id"])
            folders.append(top)
            for sub in subs:
                folders.append(create_folder(s, sub, top["id"], rnd.choice(users)["id"]))
    personal = [s.get("folder", u["personal_folder_id"]) for u in users[:5]]
    scratch = create_folder(s, "Scratch", personal[0]["id"], users[0]["id"])
    content_folders = folders + personal + [scratch]

    # Content access: the Finance tree is restricted to finance people.
    finance = next(f for f in folders if f["name"] == "Finance")
    cm = s.get("content_metadata", finance["content_metadata_id"])
    update_content_metadata(s, cm, {"inherits": False})
    # Breaking inheritance copies the parent's access (All Users: edit on Shared); a
    # restricted folder drops it, as an admin restricting it does.
    for access in list(s.all("content_metadata_access")):
        if access["content_metadata_id"] == cm["id"]:
            s.remove("content_metadata_access", access["id"])
    create_content_access(
        s,
        {
            "content_metadata_id": cm["id"],
            "group_id": groups["Finance Analysts"]["id"],
            "permission_type": "edit",
        },
    )
    create_content_access(
        s,
        {
            "content_metadata_id": cm["id"],
            "group_id": groups["Executives"]["id"],
            "permission_type": "view",
        },
    )
    create_content_access(
        s, {"content_metadata_id": cm["id"], "user_id": users[1]["id"], "permission_type": "edit"}
    )

    titles_by_folder: dict[str, set[str]] = {}
    looks = []
    for i in range(counts["looks"]):
        folder = content_folders[i % len(content_folders)]
        owner = rnd.choice(users)
        query = _query(s, rnd)
        look = create_look(
            s,
            {
                "title": _title(rnd, titles_by_folder.setdefault("look" + folder["id"], set())),
                "description": rnd.choice(
                    [None, "Refreshed daily from the warehouse.", "Owned by the analytics team."]
                ),
                "folder_id": folder["id"],
                "query_id": query["id"],
                "is_run_on_load": rnd.random() < 0.3,
                "public": False,
            },
            owner["id"],
        )
        looks.append(look)

    dashboards = []
    for i in range(counts["dashboards"]):
        folder = content_folders[(i * 3) % len(content_folders)]
        owner = rnd.choice(users)
        dash = create_dashboard(
            s,
            {
                "title": _title(rnd, titles_by_folder.setdefault("dash" + folder["id"], set())),
                "description": rnd.choice(
                    ["", "Top-line numbers for the weekly review.", "Operational health."]
                ),
                "folder_id": folder["id"],
                "background_color": rnd.choice([None, "#f6f8fa", "#ffffff"]),
                "refresh_interval": rnd.choice([None, "1 hour", "15 minutes"]),
                "crossfilter_enabled": rnd.random() < 0.3,
                "filters_bar_collapsed": False,
                "query_timezone": rnd.choice([None, "UTC", "America/Los_Angeles"]),
            },
            owner["id"],
        )
        dashboards.append(dash)
        _tiles(s, rnd, dash, looks)
    for i, dash in enumerate(dashboards[:-1]):
        if i % 10 == 0:
            _merged_tile(s, dash, i // 10)

    # A little trash: soft-deleted content is still there with deleted: true.
    for obj, kind in ((dashboards[-1], "dashboard"), (looks[-1], "look")):
        obj.update({"deleted": True, "deleted_at": now(), "deleter_id": API_USER_ID})
        s.touch(kind, obj["id"])

    for b in range(counts["boards"]):
        board = create_board(
            s,
            {"title": f"{rnd.choice(TOPICS)} Board {b + 1}", "description": "Start here."},
            rnd.choice(users)["id"],
        )
        for sec in range(2):
            section = create_board_section(
                s, {"board_id": board["id"], "title": f"Section {sec + 1}", "description": None}
            )
            for _ in range(3):
                if rnd.random() < 0.6:
                    create_board_item(
                        s,
                        {
                            "board_section_id": section["id"],
                            "dashboard_id": rnd.choice(dashboards[:-1])["id"],
                        },
                    )
                else:
                    create_board_item(
                        s,
                        {
                            "board_section_id": section["id"],
                            "look_id": rnd.choice(looks[:-1])["id"],
                        },
                    )

    for p in range(counts["plans"]):
        owner = users[p % len(users)] if p % 3 else s.get("user", API_USER_ID)
        target = (
            {"dashboard_id": rnd.choice(dashboards[:-1])["id"]}
            if p % 2 == 0
            else {"look_id": rnd.choice(looks[:-1])["id"]}
        )
        if "look_id" in target:
            # Required on a Look's plan (spec, create_scheduled_plan).
            target.update(require_results=True, require_no_results=False, require_change=False)
        destinations = [
            {
                "type": "email",
                "format": rnd.choice(["wysiwyg_pdf", "csv_zip", "wysiwyg_png"])
                if "dashboard_id" in target
                else rnd.choice(["csv", "inline_table", "xlsx"]),
                "address": rnd.choice(users)["_credentials_email"]["email"],
                "apply_formatting": True,
                "apply_vis": True,
            }
        ]
        if rnd.random() < 0.3:
            destinations.append(
                {
                    "type": "webhook",
                    "format": "json",
                    "address": "https://hooks.example.com/looker",
                    "parameters": None,
                }
            )
        create_scheduled_plan(
            s,
            {
                "name": f"{rnd.choice(['Daily', 'Weekly', 'Monthly'])} {rnd.choice(TOPICS)} {p + 1}",
                "crontab": rnd.choice(["0 6 * * *", "0 7 * * 1", "0 8 1 * *"]),
                "timezone": "UTC",
                "enabled": rnd.random() < 0.9,
                "scheduled_plan_destination": destinations,
                **target,
            },
            owner["id"],
        )

    _alerts_and_user_attributes(s, rnd, counts, users, list(groups.values()), dashboards[:-1])


def _alerts_and_user_attributes(
    s: Store,
    rnd: random.Random,
    counts: dict[str, int],
    users: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    dashboards: list[dict[str, Any]],
) -> None:
    """User attributes with group values (in precedence order) and user values; alerts on
    query tiles, owned by active users, each with followers."""
    active = [u for u in users if not u.get("is_disabled")]
    definitions = [
        {"name": "region", "label": "Region", "type": "string", "default_value": "All"},
        {"name": "cost_center", "label": "Cost Center", "type": "number"},
        {"name": "can_see_pii", "label": "Can See PII", "type": "yesno", "default_value": "no"},
        {
            "name": "warehouse_password",
            "label": "Warehouse Password",
            "type": "string",
            "value_is_hidden": True,
            "user_can_view": False,
            "hidden_value_domain_whitelist": "https://warehouse.example.com/*",
        },
    ]
    regions = ["EMEA", "Americas", "APAC"]
    for definition in definitions:
        attr = create_user_attribute(s, definition)
        if attr["type"] == "string" and not attr.get("value_is_hidden"):
            chosen = rnd.sample(groups, k=3)
            set_group_values(
                s, attr, [{"group_id": g["id"], "value": regions[i]} for i, g in enumerate(chosen)]
            )
            for user in rnd.sample(active, k=min(3, len(active))):
                attr["_user_values"][user["id"]] = rnd.choice(regions)
        elif attr["type"] == "number":
            set_group_values(s, attr, [{"group_id": groups[0]["id"], "value": "4100"}])
            for user in rnd.sample(active, k=min(2, len(active))):
                attr["_user_values"][user["id"]] = str(rnd.randint(1000, 9999))
        elif attr["type"] == "yesno":
            set_group_values(s, attr, [{"group_id": groups[-1]["id"], "value": "yes"}])

    tiles = [
        (dash, element)
        for dash in dashboards
        for element in (s.get("dashboard_element", e) for e in dash.get("_element_ids", []))
        if element and element.get("query_id")
    ]
    for n in range(min(counts["alerts"], len(tiles))):
        dash, element = tiles[(n * 7) % len(tiles)]
        query = s.get("query", element["query_id"]) or {}
        field = (query.get("fields") or ["orders.count"])[-1]
        owner = active[n % len(active)]
        alert = create_alert(
            s,
            {
                "dashboard_element_id": element["id"],
                "field": {"title": field.split(".")[-1].replace("_", " ").title(), "name": field},
                "comparison_type": rnd.choice(["GREATER_THAN", "LESS_THAN", "CHANGES_BY"]),
                "threshold": float(rnd.choice([10, 100, 1000])),
                "cron": rnd.choice(["0 6 * * *", "0 */4 * * *", "0,30 9 * * 1-5"]),
                "destinations": [
                    {"destination_type": "EMAIL", "email_address": user_email_of(owner)}
                ],
                "custom_title": f"{dash['title']}: {field}",
                "is_public": n % 3 != 0,
                "is_disabled": n % 5 == 4,
            },
            owner["id"],
        )
        for follower in rnd.sample(active, k=min(1 + n % 3, len(active))):
            follow_alert(s, alert, follower["id"])


def user_email_of(user: dict[str, Any]) -> str:
    return user["_credentials_email"]["email"]


def _tiles(s: Store, rnd: random.Random, dash: dict[str, Any], looks: list[dict[str, Any]]) -> None:
    """Several tiles (query vis, Look-linked vis, text), filters and a 24-column grid."""
    elements = []
    for t in range(rnd.randint(3, 6)):
        kind = rnd.choices(["vis", "look", "text"], weights=[6, 2, 1])[0]
        if kind == "text":
            body = {
                "type": "text",
                "title_text": "Read me",
                "body_text": "Numbers are refreshed every morning.",
                "subtitle_text": None,
            }
        elif kind == "look":
            look = rnd.choice(looks)
            body = {"type": "vis", "look_id": look["id"], "title": look["title"]}
        else:
            query = _query(s, rnd)
            body = {
                "type": "vis",
                "query_id": query["id"],
                "title": f"{rnd.choice(TOPICS)} tile {t + 1}",
            }
        elements.append(create_element(s, {"dashboard_id": dash["id"], **body}))
    if rnd.random() < 0.8:
        create_filter(
            s,
            {
                "dashboard_id": dash["id"],
                "name": "Date",
                "title": "Date",
                "type": "date_filter",
                "default_value": rnd.choice(["7 days", "30 days", "1 years"]),
                "allow_multiple_values": True,
                "required": False,
                "ui_config": None,
            },
        )
    if rnd.random() < 0.5:
        create_filter(
            s,
            {
                "dashboard_id": dash["id"],
                "name": "Brand",
                "title": "Brand",
                "type": "field_filter",
                "model": "thelook",
                "explore": "products",
                "dimension": "products.brand",
                "default_value": "",
                "allow_multiple_values": True,
                "listens_to_filters": [],
            },
        )
    _listen_to_filters(s, dash, elements)
    layout = s.get("dashboard_layout", dash["_layout_ids"][0])
    row = col = 0
    for component_id in layout["_component_ids"]:
        component = s.get("dashboard_layout_component", component_id)
        width = rnd.choice([8, 8, 12, 24])
        if col + width > 24:
            row, col = row + 6, 0
        component.update({"row": row, "column": col, "width": width, "height": 6})
        col += width


# Tiles and filters wired as on real instances (Looker's SDK test data: a tile's
# result_maker.filterables[].listen names the dashboard filter and the field it filters).
# Chosen from the tile's explore without the random generator, so adding the wiring left
# the rest of each seed as it was.
FILTER_FIELDS = {"Date": "created", "Brand": "products.brand"}


def _listen_to_filters(s: Store, dash: dict[str, Any], elements: list[dict[str, Any]]) -> None:
    names = [s.get("dashboard_filter", f)["name"] for f in dash["_filter_ids"]]
    for element in elements:
        query = s.get("query", element.get("query_id"))
        look = s.get("look", element.get("look_id"))
        if look is not None:
            query = s.get("query", look.get("query_id"))
        if query is None:
            continue
        fields = EXPLORES.get(query["model"], {}).get(query["view"], [])
        listen = []
        for name in names:
            field = next((f for f in fields if FILTER_FIELDS[name] in f), None)
            if field:
                listen.append({"dashboard_filter_name": name, "field": field})
        if listen:
            filterable = {"model": query["model"], "view": query["view"], "listen": listen}
            update_element(s, element, {"result_maker": {"filterables": [filterable]}})


def _merged_tile(s: Store, dash: dict[str, Any], n: int) -> None:
    """A merged-results tile: sales and users by state, merged on users.state."""
    sales = create_query(
        s,
        {
            "model": "thelook",
            "view": "order_items",
            "fields": ["users.state", "order_items.total_sale_price"],
            "sorts": ["order_items.total_sale_price desc"],
            "limit": "500",
        },
    )
    people = create_query(
        s,
        {"model": "thelook", "view": "users", "fields": ["users.state", "users.count"]},
    )
    merge = create_merge_query(
        s,
        {
            "source_queries": [
                {"query_id": sales["id"], "name": "Sales by state", "merge_fields": []},
                {
                    "query_id": people["id"],
                    "name": "Users by state",
                    "merge_fields": [
                        {"field_name": "users.state", "source_field_name": "users.state"}
                    ],
                },
            ],
            "sorts": ["order_items.total_sale_price desc"],
            "column_limit": "50",
            "total": False,
            "vis_config": {"type": ["looker_column", "table", "looker_bar"][n % 3]},
        },
    )
    names = {s.get("dashboard_filter", f)["name"] for f in dash["_filter_ids"]}
    sales_listen = (
        [{"dashboard_filter_name": "Date", "field": "order_items.created_date"}]
        if "Date" in names
        else []
    )
    create_element(
        s,
        {
            "dashboard_id": dash["id"],
            "type": "vis",
            "title": "Sales and users by state",
            "merge_result_id": merge["id"],
            "result_maker": {
                "filterables": [
                    {
                        "model": "thelook",
                        "view": "order_items",
                        "name": "Sales by state",
                        "listen": sales_listen,
                    },
                    {"model": "thelook", "view": "users", "name": "Users by state", "listen": []},
                ],
            },
        },
    )
