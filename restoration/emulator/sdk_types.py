"""What Looker accepts and answers, read from the installed looker_sdk's own models.

The SDK's Write models carry exactly the writable fields of the spec (readOnly fields
dropped, nested types replaced by their Write variants, `required` kept), so validating a
request body against them works without the spec file.  Read models give the keys of a
response.
"""

from __future__ import annotations

import collections.abc
import datetime
import enum
import functools
import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any

import attr
from looker_sdk.sdk.api40 import methods as sdk_methods
from looker_sdk.sdk.api40 import models as sdk_models

_NoneType = type(None)


@dataclass(frozen=True)
class FieldProblem:
    """One entry of a ValidationError's `errors` list."""

    field: str
    code: str
    message: str


def model_class(name: str) -> type:
    return getattr(sdk_models, name)


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] and resolve the SDK's forward references to classes."""
    if isinstance(tp, typing.ForwardRef):
        tp = model_class(tp.__forward_arg__)
    elif isinstance(tp, str):
        tp = model_class(tp)
    if typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not _NoneType]
        if len(args) == 1:
            return _unwrap(args[0])
    return tp


@functools.cache
def model_fields(name: str) -> dict[str, tuple[Any, bool]]:
    """Field name -> (unwrapped type, required) for an SDK model."""
    cls = model_class(name)
    return {f.name: (_unwrap(f.type), f.default is attr.NOTHING) for f in attr.fields(cls)}


@functools.cache
def spec_operations() -> tuple[tuple[str, str, str], ...]:
    """Every operation of the API 4.0 spec as (verb, path template, operationId), read from
    the SDK's generated methods: each is preceded by a `# VERB /path -> Type` comment and
    named after its operationId (the SDK is generated from the same spec)."""
    source = inspect.getsource(sdk_methods.Looker40SDK)
    found = re.findall(r"#\s*(GET|POST|PUT|PATCH|DELETE) (/\S*) -> [^\n]*\n\s*def (\w+)\(", source)
    return tuple(found)


@functools.cache
def query_parameters(operation_id: str) -> tuple[str, ...]:
    """The query parameters of an operation, in the SDK method's (the spec's) order."""
    template = next(t for _, t, op in spec_operations() if op == operation_id)
    in_path = set(re.findall(r"\{(\w+)\}", template))
    fn = getattr(sdk_methods.Looker40SDK, operation_id)
    names = list(inspect.signature(fn).parameters)[1:]
    return tuple(n for n in names if n not in in_path and n not in ("body", "transport_options"))


@functools.cache
def operation_types(operation_id: str) -> tuple[Any, Any]:
    """(body type, response type) of an SDK method, e.g. create_dashboard ->
    (WriteDashboard, Dashboard); response lists come back as Sequence[Model]."""
    fn = getattr(sdk_methods.Looker40SDK, operation_id)
    hints = typing.get_type_hints(fn, vars(sdk_models) | {"Sequence": typing.Sequence})
    body = hints.get("body")
    return (_unwrap(body) if body is not None else None, hints.get("return"))


def response_model_name(operation_id: str) -> str | None:
    """The read model an operation answers with (list element type for lists)."""
    ret = operation_types(operation_id)[1]
    if typing.get_origin(ret) in (collections.abc.Sequence, list):
        ret = typing.get_args(ret)[0]
    ret = _unwrap(ret)
    if inspect.isclass(ret) and attr.has(ret):
        return ret.__name__
    return None


def _type_name(tp: Any) -> str:
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in tp if m.name != "invalid_api_enum_value")
    if inspect.isclass(tp) and attr.has(tp):
        return "an object"
    if typing.get_origin(tp) in (collections.abc.Sequence, list):
        return "an array"
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        datetime.datetime: "a date-time string",
    }.get(tp, "a value of the documented type")


def _coerce(value: Any, tp: Any, path: str, problems: list[FieldProblem]) -> Any:
    """Check one value against an SDK type; returns the (lightly coerced) value."""
    if value is None or tp is Any:
        return value
    bad = FieldProblem(path, "invalid", f"{path} must be {_type_name(tp)}.")
    if tp is str:
        if isinstance(value, str):
            return value
        # Looker's API (Ruby) coerces numbers into string fields: limit: 100 is accepted.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        problems.append(bad)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            problems.append(bad)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(bad)
        elif isinstance(value, float):
            if value != int(value):
                problems.append(bad)
            return int(value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(bad)
        return value
    if tp is datetime.datetime:
        if not isinstance(value, str):
            problems.append(bad)
        return value
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        allowed = {m.value for m in tp if m.name != "invalid_api_enum_value"}
        if value not in allowed:
            problems.append(bad)
        return value
    if inspect.isclass(tp) and attr.has(tp):
        if not isinstance(value, dict):
            problems.append(bad)
            return value
        return clean(value, tp.__name__, problems, prefix=f"{path}.")
    origin = typing.get_origin(tp)
    if origin in (collections.abc.Sequence, list):
        if not isinstance(value, list):
            problems.append(bad)
            return value
        (item_tp,) = typing.get_args(tp) or (Any,)
        item_tp = _unwrap(item_tp)
        return [_coerce(v, item_tp, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    if origin in (collections.abc.MutableMapping, collections.abc.Mapping, dict):
        if not isinstance(value, dict):
            problems.append(bad)
        return value
    return value


def clean(
    body: dict[str, Any], model_name: str, problems: list[FieldProblem], prefix: str = ""
) -> dict[str, Any]:
    """Keep the writable fields of `body` for the SDK model `model_name`, type-checked.

    Unknown and read-only keys are dropped silently, as Looker does ("properties marked
    read-only will be ignored"); missing required fields and wrong types are reported.
    """
    fields = model_fields(model_name)
    out: dict[str, Any] = {}
    for key, value in body.items():
        spec = fields.get(key)
        if spec is None:
            continue
        out[key] = _coerce(value, spec[0], prefix + key, problems)
    for key, (_tp, required) in fields.items():
        if required and body.get(key) in (None, ""):
            problems.append(FieldProblem(prefix + key, "missing", "This field is required."))
    return out


# The booleans the spec declares `nullable: true` (every other boolean is non-nullable).
# Looker answers these null while unset: gzr's export of a real dashboard
# (samples/gzr-dashboard-export.json) has `total: null` on all seven of its queries and
# `show_title` / `show_filters_bar` null on the dashboard, beside non-nullable booleans
# answered false (`hidden`, `title_hidden`, `required`). The SDK's models make every
# field Optional, so the list is kept here; tests/emulator/test_conformance.py checks it
# against the spec.
NULLABLE_BOOLEANS: frozenset[tuple[str, str]] = frozenset(
    {
        ("AlertPatch", "is_disabled"),
        ("AlertPatch", "is_public"),
        ("Dashboard", "show_filters_bar"),
        ("Dashboard", "show_title"),
        ("DashboardAppearance", "modern_vis2026"),
        ("DashboardAppearance", "tile_shadow"),
        ("DBConnection", "always_retry_failed_builds"),
        ("DBConnection", "bq_roles_verified"),
        ("DBConnection", "cost_estimate_enabled"),
        ("DBConnection", "disable_context_comment"),
        ("DBConnection", "pdt_api_control_enabled"),
        ("DBConnection", "user_db_credentials"),
        ("DBConnection", "uses_application_default_credentials"),
        ("DBConnection", "uses_tns"),
        ("ExternalOauthApplication", "bi_directional_data_access"),
        ("Integration", "delegate_oauth"),
        ("Integration", "uses_oauth"),
        ("IntegrationParam", "sensitive"),
        ("JsonBiTableCalc", "measure"),
        ("LookmlModelExploreField", "convert_tz"),
        ("LookmlModelExploreField", "permanent"),
        ("LookmlModelExploreJoins", "outer_only"),
        ("Query", "total"),
        ("SamlConfig", "multi_certs_supported"),
        ("SmtpSettings", "default_smtp"),
        ("User", "models_dir_validated"),
    }
)


@functools.cache
def _render_plan(model_name: str) -> tuple[tuple[str, Any], ...]:
    """(field, default) pairs: booleans default to false where the spec declares them
    non-nullable (null where it declares them nullable: NULLABLE_BOOLEANS), `can` to an
    empty map, everything else to null."""
    plan = []
    for name, (tp, _required) in model_fields(model_name).items():
        if name == "can":
            default: Any = {}
        elif tp is bool and (model_name, name) not in NULLABLE_BOOLEANS:
            default = False
        else:
            default = None
        plan.append((name, default))
    return tuple(plan)


def render(model_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """A response object with every key of the read model, like Looker's full objects."""
    out = {}
    for name, default in _render_plan(model_name):
        value = values.get(name, default)
        if value is None and default is not None:
            value = default
        if isinstance(default, dict) and not value:
            value = {"show": True, "update": True, "destroy": True, "index": True}
        out[name] = value
    return out


def apply_fields(data: Any, fields: str) -> Any:
    """Honor `?fields=a,b(c,d)`: keep only the named keys, nested lists in parentheses."""
    spec = _parse_fields(fields)
    return _select(data, spec) if spec else data


def _parse_fields(text: str) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    stack = [spec]
    name = ""
    for ch in text + ",":
        if ch in ",()":
            name = name.strip()
            if ch == "(":
                child: dict[str, Any] = {}
                stack[-1][name] = child
                stack.append(child)
            elif name:
                stack[-1][name] = None
            if ch == ")" and len(stack) > 1:
                stack.pop()
            name = ""
        else:
            name += ch
    return spec


def _select(data: Any, spec: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_select(item, spec) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, sub in spec.items():
        if key in data:
            out[key] = _select(data[key], sub) if sub else data[key]
    return out
