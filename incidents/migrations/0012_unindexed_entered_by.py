# Who entered a claim or created an incident is shown with it and never searched by: the indexes on those
# columns were written on every insert (a million claims imported: a million entries) and never read. Only the
# indexes go; the foreign keys stay as they are (Django would drop and re-add them, checking every row again).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = (
    ("incidents_claim", "entered_by_id", "incidents_claim_entered_by_id_fa963816"),
    ("incidents_incident", "created_by_id", "incidents_incident_created_by_id_c29d8b73"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_place_tree"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")',
                )
                for table, column, index in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="claim",
                    name="entered_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
