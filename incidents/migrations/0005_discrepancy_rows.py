# The discrepancy queue's rows, kept by the database.
#
# The queue orders every conflicting or flagged (incident, outcome, category, party) row by its spread, its
# last change or its incident's date. Aggregating the current claims for that on each request read some
# 270,000 claims on the benchmark's data (about a second per page). This table holds one row per matrix row
# that has a current claim, with the aggregates the queue sorts and filters on and whether a flag is on it;
# triggers on the claims, the flags and the incidents' dates keep it exact in the writing transaction, so
# whatever writes them (services, imports, COPY, raw SQL) refreshes the rows it touched. The per-row rules
# are those of incidents.services._REFRESH_SUMMARIES_SQL.

from django.db import migrations

COLUMNS = (
    "incident_id, outcome, category, party, conflict, flagged, lowest, highest, spread, changed_at, date_start"
)

REFRESH = f"""
CREATE FUNCTION incidents_refresh_discrepancy_rows(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM incidents_discrepancy_row WHERE incident_id = ANY(ids);
    INSERT INTO incidents_discrepancy_row ({COLUMNS})
    SELECT incident_id, outcome, category, party, conflict,
           EXISTS (SELECT 1 FROM incidents_flag f WHERE f.incident_id = rows.incident_id
                   AND f.outcome = rows.outcome AND f.category = rows.category AND f.party = rows.party),
           lowest, highest, coalesce(highest - lowest, 0), changed_at, date_start
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
    ) AS rows;
$$;
"""

# Statement-level triggers with transition tables: a bulk write refreshes its incidents once, not per claim.
# PostgreSQL allows transition tables on single-event triggers only, hence one per event.
TRIGGERS = """
CREATE FUNCTION incidents_claim_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_refresh_discrepancy_rows(ARRAY(SELECT DISTINCT incident_id FROM new_claims));
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_claim_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_refresh_discrepancy_rows(ARRAY(
        SELECT incident_id FROM new_claims UNION SELECT incident_id FROM old_claims
    ));
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_claim_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_refresh_discrepancy_rows(ARRAY(SELECT DISTINCT incident_id FROM old_claims));
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_claim_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE incidents_discrepancy_row;
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_flag_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE FUNCTION incidents_incident_redated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents_discrepancy_row SET date_start = NEW.date_start WHERE incident_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER discrepancy_rows_on_insert AFTER INSERT ON incidents_claim
    REFERENCING NEW TABLE AS new_claims FOR EACH STATEMENT EXECUTE FUNCTION incidents_claim_inserted();
CREATE TRIGGER discrepancy_rows_on_update AFTER UPDATE ON incidents_claim
    REFERENCING OLD TABLE AS old_claims NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_claim_updated();
CREATE TRIGGER discrepancy_rows_on_delete AFTER DELETE ON incidents_claim
    REFERENCING OLD TABLE AS old_claims FOR EACH STATEMENT EXECUTE FUNCTION incidents_claim_deleted();
CREATE TRIGGER discrepancy_rows_on_truncate AFTER TRUNCATE ON incidents_claim
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_claim_truncated();
CREATE TRIGGER discrepancy_rows_on_flag AFTER INSERT OR DELETE OR UPDATE OF incident_id, outcome, category, party
    ON incidents_flag FOR EACH ROW EXECUTE FUNCTION incidents_flag_changed();
CREATE TRIGGER discrepancy_rows_on_redate AFTER UPDATE OF date_start ON incidents_incident
    FOR EACH ROW WHEN (OLD.date_start IS DISTINCT FROM NEW.date_start)
    EXECUTE FUNCTION incidents_incident_redated();
"""

# No foreign key to the incidents: Django's test flush truncates the model tables without CASCADE, and a
# key into them would make that fail (the truncate trigger above empties this table with them).
TABLE = """
CREATE TABLE incidents_discrepancy_row (
    incident_id bigint NOT NULL,
    outcome varchar(20) NOT NULL,
    category varchar(20) NOT NULL,
    party varchar(100) NOT NULL,
    conflict boolean NOT NULL,
    flagged boolean NOT NULL,
    lowest integer,
    highest integer,
    spread integer NOT NULL,
    changed_at timestamptz NOT NULL,
    date_start date NOT NULL,
    PRIMARY KEY (incident_id, outcome, category, party)
);
-- One index per queue sort, in the queue's order (every column descending, row identity last), over the
-- rows the queue shows.
CREATE INDEX discrepancy_row_by_spread ON incidents_discrepancy_row
    (spread DESC, incident_id DESC, outcome DESC, category DESC, party DESC) WHERE conflict OR flagged;
CREATE INDEX discrepancy_row_by_change ON incidents_discrepancy_row
    (changed_at DESC, incident_id DESC, outcome DESC, category DESC, party DESC) WHERE conflict OR flagged;
CREATE INDEX discrepancy_row_by_date ON incidents_discrepancy_row
    (date_start DESC, incident_id DESC, outcome DESC, category DESC, party DESC) WHERE conflict OR flagged;
"""

BACKFILL = "SELECT incidents_refresh_discrepancy_rows(ARRAY(SELECT id FROM incidents_incident))"

DROP = """
DROP TRIGGER IF EXISTS discrepancy_rows_on_redate ON incidents_incident;
DROP TRIGGER IF EXISTS discrepancy_rows_on_flag ON incidents_flag;
DROP TRIGGER IF EXISTS discrepancy_rows_on_truncate ON incidents_claim;
DROP TRIGGER IF EXISTS discrepancy_rows_on_delete ON incidents_claim;
DROP TRIGGER IF EXISTS discrepancy_rows_on_update ON incidents_claim;
DROP TRIGGER IF EXISTS discrepancy_rows_on_insert ON incidents_claim;
DROP FUNCTION IF EXISTS incidents_incident_redated();
DROP FUNCTION IF EXISTS incidents_flag_changed();
DROP FUNCTION IF EXISTS incidents_claim_truncated();
DROP FUNCTION IF EXISTS incidents_claim_deleted();
DROP FUNCTION IF EXISTS incidents_claim_updated();
DROP FUNCTION IF EXISTS incidents_claim_inserted();
DROP FUNCTION IF EXISTS incidents_refresh_discrepancy_rows(bigint[]);
DROP TABLE IF EXISTS incidents_discrepancy_row;
"""


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_query_indexes")]

    operations = [
        migrations.RunSQL(sql=TABLE + REFRESH + TRIGGERS + BACKFILL, reverse_sql=DROP),
    ]
