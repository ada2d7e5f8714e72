"""Queue rows for the incidents that bulk imports wrote before 0007: the claim trigger ran before those
incidents existed, so they had none. Idempotent (only incidents with a current claim and no queue row)."""

from django.db import migrations

BACKFILL = """
SELECT incidents_refresh_discrepancy_rows(ARRAY(
    SELECT DISTINCT c.incident_id FROM incidents_claim c
    WHERE c.is_current
      AND NOT EXISTS (SELECT 1 FROM incidents_discrepancy_row r WHERE r.incident_id = c.incident_id)
));
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_history_inserts_and_queue_skip_bulk_writes"),
    ]

    operations = [migrations.RunSQL(sql=BACKFILL, reverse_sql=migrations.RunSQL.noop)]
