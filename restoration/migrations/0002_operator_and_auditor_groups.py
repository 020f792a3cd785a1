"""Create the "Restore operators" and "Auditors" groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    "view_contentitem",
    "view_restorationsession",
    "view_restorationcheckpoint",
    "view_idmapping",
    "view_deadletteritem",
    "view_auditevent",
]
OPERATE = [
    "launch_restore",
    "cancel_restore",
    "resume_restore",
    "run_extract",
    "retry_dead_letters",
    "delete_deadletteritem",
    "clear_mappings",
]
GROUPS = {"Restore operators": VIEW + OPERATE, "Auditors": VIEW}


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make ours now so the
    # groups can hold them on a fresh database.
    app_config = apps.get_app_config("restoration")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label="restoration", codename__in=codenames
        )
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for group {name}: {sorted(missing)}")
        group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("restoration", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
