"""Who sees background work in admin (failed tasks, sent emails, workers).

certificates/0003 made the groups Registrar, Refund desk and Content editor; none could
open Background work. This adds:

- "Operations", a new group for whoever keeps the site running: the failed tasks (and
  their "Run again" action, for after the cause is fixed), the sent emails and the
  workers alive.
- "Refund desk" may view the failed tasks and the sent emails: it answers "my receipt
  never came" and settles the order a failed duplicate-payment refund flags.

No group sees django-tasks-db's own "Task results": a queued email's arguments hold its
whole text, password-reset links included; that list stays the superuser's.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Operations": [
        ("background", "view_failedtask"),
        ("background", "change_failedtask"),
        ("background", "view_sentemail"),
        ("background", "view_workerheartbeat"),
    ],
    "Refund desk": [
        ("background", "view_failedtask"),
        ("background", "view_sentemail"),
    ],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GRANTS.items():
        found = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in wanted
        ]
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*found)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name="Operations").delete()
    for group in Group.objects.filter(name="Refund desk"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="background",
                codename__in=[code for _, code in GRANTS["Refund desk"]],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("background", "0001_initial"),
        ("certificates", "0003_ready_made_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
