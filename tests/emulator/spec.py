"""The official Looker 4.0 OpenAPI spec (../shared/looker-api/ beside the repo) and a
small validator for the JSON-schema subset it uses: $ref, type, nullable, properties,
required, items, additionalProperties, enum."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _find_spec() -> Path:
    """../shared/looker-api/ beside the repo, or beside a folder holding the checkout (a git
    worktree such as wt/<name>/)."""
    for folder in REPO_ROOT.parents:
        candidate = folder / "shared" / "looker-api" / "Looker.4.0.oas.json"
        if candidate.is_file():
            return candidate
    return REPO_ROOT.parent / "shared" / "looker-api" / "Looker.4.0.oas.json"


SPEC_PATH = _find_spec()

# Looker answers 401 "Requires authentication." to a missing or expired token, though
# the spec declares 401 on no operation; the SDK turns it into an SDKError like any other.
UNDECLARED_BUT_REAL = {401}


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def spec_or_skip() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        pytest.skip(
            f"the official spec is absent ({SPEC_PATH}); conformance needs ../shared/looker-api/"
        )
    return load_spec()


def operation(spec: dict[str, Any], verb: str, template: str) -> dict[str, Any] | None:
    return spec["paths"].get(template, {}).get(verb.lower())


def response_schema(op: dict[str, Any], status: int) -> dict[str, Any] | None:
    response = op["responses"].get(str(status))
    if response is None:
        return None
    return response.get("content", {}).get("application/json", {}).get("schema")


def validate(
    spec: dict[str, Any], schema: dict[str, Any], value: Any, path: str = "$"
) -> list[str]:
    """Problems found; empty when `value` conforms."""
    if "$ref" in schema:
        # OAS 3.0 can't mark a $ref nullable, and Looker answers null for absent objects
        # (a tile's `look`, a dashboard's `model`), so a null $ref value is accepted.
        if value is None:
            return []
        name = schema["$ref"].rsplit("/", 1)[-1]
        return validate(spec, spec["components"]["schemas"][name], value, path)
    if value is None:
        return [] if schema.get("nullable") else [f"{path}: null where the spec says non-nullable"]
    problems: list[str] = []
    kind = schema.get("type", "object" if "properties" in schema else None)
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "any": lambda v: True,
    }
    if kind is not None and not checks[kind](value):
        return [f"{path}: {type(value).__name__} where the spec says {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if kind == "array":
        for i, item in enumerate(value):
            problems += validate(spec, schema.get("items", {}), item, f"{path}[{i}]")
    if kind == "object":
        properties = schema.get("properties")
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: required key {key!r} missing")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None and key in properties:
                problems += validate(spec, properties[key], item, f"{path}.{key}")
            elif isinstance(extra, dict):
                problems += validate(spec, extra, item, f"{path}.{key}")
            elif properties is not None and extra is not True:
                problems.append(f"{path}: key {key!r} is not in the spec")
    return problems


def template_for(spec: dict[str, Any], path: str) -> str | None:
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return None
