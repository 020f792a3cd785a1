"""`manage.py ensure_admin`: on a fresh database, create the first admin account.

The password is generated, printed once and never stored in clear; there is no
fixed default password. A database that already has a superuser is left alone.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import IntegrityError, transaction


def ensure_admin(username: str = "admin") -> str | None:
    """Create superuser `username` with a generated password unless a superuser exists.

    Returns the password when an account was created, None otherwise.
    """
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(15)
    try:
        with transaction.atomic():
            User.objects.create_superuser(username=username, email="", password=password)
    except IntegrityError:
        # Another node starting at the same moment created it first (scale-out).
        return None
    return password


def first_admin_message(username: str, password: str) -> str:
    return (
        "\n"
        "  First run: created the admin account.\n"
        f"    username: {username}\n"
        f"    password: {password}\n"
        "  This password is shown only now; keep it somewhere safe.\n"
        f"  (Forgot it? manage.py changepassword {username})\n"
    )


class Command(BaseCommand):
    help = "Create the first admin account with a generated password, printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        password = ensure_admin(username)
        if password is None:
            self.stdout.write("An admin account exists already; nothing to do.")
            return
        self.stdout.write(self.style.WARNING(first_admin_message(username, password)))
