"""The stored queue rows that migration 0013 no longer keeps: neither conflicting nor flagged. Idempotent.
Nothing to reverse here: 0013's reverse rebuilds every incident's rows."""

from django.db import migrations

CLEAN_UP = "DELETE FROM incidents_discrepancy_row WHERE NOT (conflict OR flagged)"


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_queue_rows_only_conflicts_and_flags")]

    operations = [migrations.RunSQL(sql=CLEAN_UP, reverse_sql=migrations.RunSQL.noop)]
