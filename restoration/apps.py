from django.apps import AppConfig


class RestorationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "restoration"
    verbose_name = "Looker restoration"

    def ready(self) -> None:
        # django-q2 worker processes stop a running session cleanly on SIGTERM.
        from restoration.workers.shutdown import connect

        connect()
