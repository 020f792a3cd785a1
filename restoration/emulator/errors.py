"""Looker-shaped error answers: `LookerError` (status, message, field problems for 422), the
`documentation_url` Looker puts in every error body, and clashes with an existing object
(`already_exists`), whose status depends on the operation (`CLASH_STATUS`)."""

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
        clash: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}
        # A name, title or key another object has: the app sets the status (clash_status).
        self.clash = clash


def not_found() -> LookerError:
    return LookerError(404, "Not found")


def validation_failed(*problems: sdk_types.FieldProblem) -> LookerError:
    return LookerError(422, "Validation Failed", list(problems))


def problem(field: str, code: str, message: str) -> sdk_types.FieldProblem:
    return sdk_types.FieldProblem(field, code, message)


def doc_url(status: int, verb: str, template: str) -> str:
    path = re.sub(r"\{(\w+)\}", r":\1", template).lstrip("/")
    return f"{DOCS}/{status}/{verb.lower()}/{path}"


# The status of a clash with an existing object, per operation, where no public evidence
# shows what Looker answers for that operation: 409 "Resource Already Exists", which the
# spec declares on these creates (EVIDENCE.md, "Clashes"). An operation not named here
# (an update: the spec declares no 409 on them) answers 422 `already_exists`, as do the
# clashes whose 422 is evidenced (they pass `status=422` to `already_exists`).
CLASH_STATUS = {
    "create_group": 409,
    "create_role": 409,
    "create_permission_set": 409,
    "create_model_set": 409,
    "create_lookml_model": 409,
    "create_content_metadata_access": 409,
    "create_dashboard_filter": 409,
    "create_user": 409,
    "create_user_credentials_email": 409,
}
CLASH_STATUSES = (409, 422)
# Looker's 409 body (looker-cli #14 and #306: message plus documentation_url, no errors).
CONFLICT_MESSAGE = "The resource already exists."


def already_exists(*problems: sdk_types.FieldProblem, status: int | None = None) -> LookerError:
    """A clash: the problems name the fields taken (code `already_exists`). `status` is
    given where public evidence shows it (a dashboard's title: 422; its slug: 409); else
    the operation decides (`clash_status`)."""
    return LookerError(status or 0, "Validation Failed", list(problems), clash=True)


def clash_status(exc: LookerError, operation: str, override: dict[str, int]) -> int:
    """The status a clash answers on `operation`: a test's override (fault setting
    `clash_statuses`) first, then the evidenced status, then `CLASH_STATUS`, else 422."""
    return override.get(operation) or exc.status or CLASH_STATUS.get(operation, 422)
