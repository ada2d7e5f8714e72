"""Create the Analyst, Editor and Admin groups with their permissions (idempotent; reversible)."""

from __future__ import annotations

from django.db import migrations

VIEW_ALL = [
    f"{app}.view_{model}"
    for app, models in {
        "sources": ["source", "sourcealias", "report"],
        "incidents": ["place", "incident", "claim", "flag", "flagcomment"],
    }.items()
    for model in models
]
ANALYST = [
    *VIEW_ALL,
    "sources.add_report",
    "sources.change_report",
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.add_claim",
    "incidents.change_claim",
]
EDITOR = [
    *ANALYST,
    "incidents.edit_others_entries",
    "incidents.add_flag",
    "incidents.change_flag",
    "incidents.resolve_flag",
    "incidents.add_flagcomment",
]
ADMIN = [
    *EDITOR,
    *(f"sources.{action}_{model}" for action in ("add", "change", "delete") for model in ("source", "sourcealias")),
    "sources.delete_report",
    *(f"incidents.{action}_place" for action in ("add", "change", "delete")),
    "incidents.delete_incident",
    "incidents.delete_claim",
    *(f"auth.{action}_{model}" for action in ("add", "change", "view") for model in ("user", "group")),
]
ROLES = {"Analyst": ANALYST, "Editor": EDITOR, "Admin": ADMIN}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sources", "0001_initial"),
        ("incidents", "0002_claims_flags_history"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
