"""The ready-made staff groups: Registrar, Refund desk, Content editor.

Permissions are created by a post_migrate signal, after every migration has run, so this
migration creates them first (create_permissions) for the apps whose permissions it
grants. A codename that does not exist stops the migration: a renamed permission must be
renamed here too. The director can change the groups in admin afterwards; running this
again (a fresh database) starts from these lists.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view"]
EDIT = ["add", "change", "view"]
EDIT_ROWS = ["add", "change", "delete", "view"]  # inline rows a form adds and removes


def perms(app: str, model: str, actions: list[str]) -> list[tuple[str, str]]:
    return [(app, f"{action}_{model}") for action in actions]


GROUPS = {
    # Certificates, rosters, evaluation exports and name corrections.
    "Registrar": [
        ("certificates", "export_roster"),
        ("certificates", "download_any_certificate"),
        ("certificates", "correct_certificate"),
        ("certificates", "revoke_certificate"),
        ("certificates", "reinstate_certificate"),
        ("testing", "export_evaluations"),
        *perms("certificates", "certificate", VIEW),
        *perms("certificates", "certificatestatuschange", VIEW),
        *perms("testing", "evaluationresponse", VIEW),
        *perms("testing", "evaluationanswer", VIEW),
        *perms("testing", "attempt", VIEW),
        *perms("testing", "attemptstatuschange", VIEW),
        *perms("enrollment", "enrollment", VIEW),
        *perms("enrollment", "enrollmentstatuschange", VIEW),
        *perms("accounts", "user", VIEW),
        *perms("courses", "course", VIEW),
    ],
    # Orders, refunds and refund requests.
    "Refund desk": [
        ("enrollment", "refund_order"),
        ("enrollment", "decide_refund_request"),
        *perms("enrollment", "order", ["change", "view"]),  # the "needs attention" note
        *perms("enrollment", "orderstatuschange", VIEW),
        *perms("enrollment", "refund", VIEW),
        *perms("enrollment", "refundstatuschange", VIEW),
        *perms("enrollment", "refundrequest", VIEW),
        *perms("enrollment", "refundrequeststatuschange", VIEW),
        *perms("enrollment", "enrollment", VIEW),
        *perms("enrollment", "enrollmentstatuschange", VIEW),
        *perms("enrollment", "stripeevent", VIEW),
        *perms("accounts", "user", VIEW),
        *perms("courses", "course", VIEW),
    ],
    # Courses, their content, instructors, questions and approvals.
    "Content editor": [
        *perms("courses", "course", EDIT),
        *perms("courses", "learningobjective", EDIT_ROWS),
        *perms("courses", "courseinstructor", EDIT_ROWS),
        *perms("courses", "section", EDIT_ROWS),
        *perms("courses", "audiotrack", EDIT_ROWS),
        *perms("courses", "video", EDIT_ROWS),
        *perms("courses", "instructor", EDIT),
        *perms("courses", "program", EDIT),
        *perms("courses", "programpolicies", ["change", "view"]),
        *perms("courses", "approvingbody", EDIT),
        *perms("courses", "cebrokerprofessioncode", EDIT_ROWS),
        *perms("courses", "providerapproval", EDIT),
        *perms("courses", "courseapproval", EDIT_ROWS),
        *perms("testing", "question", EDIT),
        *perms("testing", "choice", EDIT_ROWS),
        *perms("testing", "testrules", EDIT),
        *perms("testing", "evaluationitem", EDIT),
    ],
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        found = {
            (p.content_type.app_label, p.codename): p
            for p in Permission.objects.filter(
                content_type__app_label__in={app for app, _ in wanted},
                codename__in={codename for _, codename in wanted},
            ).select_related("content_type")
        }
        missing = sorted(f"{app}.{code}" for app, code in wanted if (app, code) not in found)
        if missing:
            raise RuntimeError(f"Group {name!r}: no such permission {', '.join(missing)}")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(found.values())


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    # The rightmost app, so every app whose permissions the groups hold has migrated.
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_jurisdiction_codes_no_license"),
        ("courses", "0005_content_history_and_instructor_documents"),
        ("enrollment", "0004_refund_status_history_and_permissions"),
        ("testing", "0002_attempt_status_history_and_permissions"),
        ("certificates", "0002_status_history_public_reasons_frozen_facts"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
