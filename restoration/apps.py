from typing import Any

from django.apps import AppConfig
from django.contrib import messages
from django.http import HttpRequest


class RestorationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "restoration"
    verbose_name = "Looker restoration"

    def ready(self) -> None:
        # django-q2 worker processes stop a running session cleanly on SIGTERM.
        from restoration.workers.shutdown import connect

        connect()

        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(say_logged_out, dispatch_uid="restoration-logged-out")


def say_logged_out(sender: type, request: HttpRequest | None, **kwargs: Any) -> None:
    """The login page a person lands on after "Log out" says it worked.

    The message rides in the messages cookie, which outlives the session logout() flushes."""
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, "You are logged out.")
