"""The ready-made groups (certificates.0003) learn the programs app: the Content editor
defines programs and their courses, the Registrar sees program credentials and
purchases (exporting a program's roster takes certificates.export_roster, which the
Registrar holds already). Adds to the groups; never takes anything away."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Content editor": [
        "add_program",
        "change_program",
        "view_program",
        "add_programcourse",
        "change_programcourse",
        "delete_programcourse",
        "view_programcourse",
    ],
    "Registrar": [
        "view_program",
        "view_programcourse",
        "view_programcredential",
        "view_programcredentialstatuschange",
        "view_programpurchase",
    ],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("programs")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:  # removed by the director: leave it removed
            continue
        found = Permission.objects.filter(
            content_type__app_label="programs", codename__in=codenames
        )
        missing = set(codenames) - set(found.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"No such permission: {', '.join(sorted(missing))}")
        group.permissions.add(*found)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="programs", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0001_initial"),
        ("certificates", "0003_ready_made_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
