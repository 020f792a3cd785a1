from django.apps import AppConfig


class RestorationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "restoration"
    verbose_name = "Looker restoration"
