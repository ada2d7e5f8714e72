# Who entered a report is shown with it and never searched by (as incidents 0012): the index goes, the
# foreign key stays as it is.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "sources_report_entered_by_id_967a941c"


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0004_history_events_index_only_what_is_read"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "sources_report" ("entered_by_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="report",
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
            ],
        ),
    ]
