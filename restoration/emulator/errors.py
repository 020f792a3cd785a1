"""Looker-shaped error answers: `LookerError` (status, message, field problems for 422) and
the `documentation_url` Looker puts in every error body."""

from __future__ import annotations

import re

from . import sdk_types

DOCS = "https://cloud.google.com/looker/docs/r/err/4.0"


class LookerError(Exception):
    """An error answer in Looker's shape; 422 carries field problems (ValidationError)."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[sdk_types.FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}


def not_found() -> LookerError:
    return LookerError(404, "Not found")


def validation_failed(*problems: sdk_types.FieldProblem) -> LookerError:
    return LookerError(422, "Validation Failed", list(problems))


def problem(field: str, code: str, message: str) -> sdk_types.FieldProblem:
    return sdk_types.FieldProblem(field, code, message)


def doc_url(status: int, verb: str, template: str) -> str:
    path = re.sub(r"\{(\w+)\}", r":\1", template).lstrip("/")
    return f"{DOCS}/{status}/{verb.lower()}/{path}"
