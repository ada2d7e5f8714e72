# The discrepancy queue's table keeps only the rows the queue can show: those whose current figures conflict
# or that carry a flag. It used to hold every matrix row with a current claim, most of which one source alone
# reports and so can never conflict: a million-claim import wrote a queue row per claim for a queue that reads
# none of them (6.5 s of the bulk import's 97 s on the benchmark's file).
#
# The refresh computes the same rows as before and keeps those with a conflict or a flag. A flagged row can
# now be missing when its flag arrives (its figures agree), so the flag trigger refreshes the flag's incident
# instead of updating a row in place: a few current claims, read under the incident's lock, which
# flag_discrepancy takes. Migration 0014 removes the stored rows that are neither; this one's reverse gives
# every incident its rows back.

from django.db import migrations

COLUMNS = (
    "incident_id, outcome, category, party, conflict, flagged, lowest, highest, spread, changed_at, date_start"
)

# The aggregate of 0005, unchanged; only the final filter is new (``keep``).
REFRESH = """
CREATE OR REPLACE FUNCTION incidents_refresh_discrepancy_rows(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM incidents_discrepancy_row WHERE incident_id = ANY(ids);
    INSERT INTO incidents_discrepancy_row ({columns})
    SELECT incident_id, outcome, category, party, conflict, flagged,
           lowest, highest, coalesce(highest - lowest, 0), changed_at, date_start
    FROM (
        SELECT rows.*,
               EXISTS (SELECT 1 FROM incidents_flag f WHERE f.incident_id = rows.incident_id
                       AND f.outcome = rows.outcome AND f.category = rows.category
                       AND f.party = rows.party) AS flagged
        FROM (
            SELECT c.incident_id, c.outcome, c.category, c.party,
                   count(c.cmp_low) >= 2 AND max(c.cmp_low) > min(coalesce(c.cmp_high, 2147483647)) AS conflict,
                   min(coalesce(c.low, c.high)) FILTER (WHERE c.cmp_low IS NOT NULL) AS lowest,
                   max(coalesce(c.high, c.low)) FILTER (WHERE c.cmp_low IS NOT NULL) AS highest,
                   max(c.created_at) AS changed_at,
                   i.date_start
            FROM incidents_claim c
            JOIN incidents_incident i ON i.id = c.incident_id
            WHERE c.is_current AND c.incident_id = ANY(ids)
            GROUP BY c.incident_id, c.outcome, c.category, c.party, i.date_start
        ) AS rows
    ) AS {keep};
$$;
"""
ONLY_SHOWN = REFRESH.format(columns=COLUMNS, keep="kept WHERE conflict OR flagged")
EVERY_ROW = REFRESH.format(columns=COLUMNS, keep="kept")

FLAG_REFRESHES = """
CREATE OR REPLACE FUNCTION incidents_flag_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM incidents_refresh_discrepancy_rows(ARRAY[NEW.incident_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM incidents_refresh_discrepancy_rows(ARRAY[OLD.incident_id]);
    ELSE
        PERFORM incidents_refresh_discrepancy_rows(ARRAY[OLD.incident_id, NEW.incident_id]);
    END IF;
    RETURN NULL;
END $$;
"""
# The function of 0005.
FLAG_UPDATES = """
CREATE OR REPLACE FUNCTION incidents_flag_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE incidents_discrepancy_row r SET flagged = EXISTS (
            SELECT 1 FROM incidents_flag f WHERE f.incident_id = r.incident_id AND f.outcome = r.outcome
            AND f.category = r.category AND f.party = r.party)
        WHERE (r.incident_id, r.outcome, r.category, r.party) = (OLD.incident_id, OLD.outcome, OLD.category, OLD.party);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE incidents_discrepancy_row r SET flagged = true
        WHERE (r.incident_id, r.outcome, r.category, r.party) = (NEW.incident_id, NEW.outcome, NEW.category, NEW.party);
    END IF;
    RETURN NULL;
END $$;
"""

# The reverse gives every incident its rows back, with the earlier function.
REFILL = "SELECT incidents_refresh_discrepancy_rows(ARRAY(SELECT id FROM incidents_incident));"


class Migration(migrations.Migration):
    dependencies = [("incidents", "0012_unindexed_entered_by")]

    operations = [
        migrations.RunSQL(
            sql=ONLY_SHOWN + FLAG_REFRESHES,
            reverse_sql=EVERY_ROW + FLAG_UPDATES + REFILL,
        ),
    ]
