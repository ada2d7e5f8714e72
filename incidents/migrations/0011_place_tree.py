# Incident.place_tree: the ids of the places an incident is filed under and of all their upper places.
#
# A place filter ("incidents in Aleppo governorate") was a join from each incident read to its places and their
# paths: walking the list's date order, PostgreSQL ran that join for every incident until it had a page.
# With the ids on the incident's own row, the same walk tests an array in the row, and a small sub-tree is
# one look-up in the GIN index. The database keeps the column, whatever writes the links or the paths
# (services, admin, importers, gazetteer loads, raw SQL), with statement triggers:
# - links added, removed or changed (incidents_incident_places): the incidents concerned;
# - places whose path changed (a place moved, and with it its sub-tree): the incidents filed under them;
# - links truncated: every incident.
# Inside the bulk import's ``bulk_writes()`` (sources/bulk_writes.py) the link triggers stand aside: that path
# writes each new incident's tree with the incident itself.

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

SQL = """
-- The tree of a set of places: their ids and their upper places' ids (a place's path is "/1/5/42/"), sorted.
-- The bulk import (sources/importers/bulk.py) writes new incidents' trees with it too.
CREATE FUNCTION incidents_place_tree(place_ids bigint[]) RETURNS bigint[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT a.id ORDER BY a.id), '{}')
    FROM incidents_place p
    CROSS JOIN LATERAL unnest(string_to_array(btrim(p.path, '/'), '/')::bigint[]) AS a(id)
    WHERE p.id = ANY(place_ids)
$$;

CREATE FUNCTION incidents_refresh_place_trees(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The rows are locked first, so that the UPDATE below (a new statement, with a new snapshot) sees the
    -- links a concurrent transaction committed while this one waited for them.
    PERFORM 1 FROM incidents_incident WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE incidents_incident i SET place_tree = t.tree
    FROM (
        SELECT x.id, incidents_place_tree(ARRAY(
            SELECT ip.place_id FROM incidents_incident_places ip WHERE ip.incident_id = x.id
        )) AS tree
        FROM unnest(ids) AS x(id)
    ) t
    WHERE i.id = t.id AND i.place_tree IS DISTINCT FROM t.tree;
END $$;

CREATE FUNCTION incidents_place_links_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hasila.bulk', true) IS DISTINCT FROM 'on' THEN
        PERFORM incidents_refresh_place_trees(ARRAY(SELECT DISTINCT incident_id FROM changed));
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_place_links_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_refresh_place_trees(ARRAY(
        SELECT incident_id FROM before UNION SELECT incident_id FROM after));
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_place_links_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents_incident SET place_tree = '{}' WHERE place_tree <> '{}';
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_places_repathed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_refresh_place_trees(ARRAY(
        SELECT DISTINCT ip.incident_id FROM incidents_incident_places ip
        WHERE ip.place_id IN (SELECT a.id FROM after a JOIN before b ON b.id = a.id WHERE a.path <> b.path)));
    RETURN NULL;
END $$;

CREATE TRIGGER incident_places_tree_insert AFTER INSERT ON incidents_incident_places
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incidents_place_links_changed();
CREATE TRIGGER incident_places_tree_delete AFTER DELETE ON incidents_incident_places
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incidents_place_links_changed();
CREATE TRIGGER incident_places_tree_update AFTER UPDATE ON incidents_incident_places
    REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT
    EXECUTE FUNCTION incidents_place_links_updated();
CREATE TRIGGER incident_places_tree_truncate AFTER TRUNCATE ON incidents_incident_places
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_place_links_truncated();
CREATE TRIGGER place_tree_repath AFTER UPDATE ON incidents_place
    REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT
    EXECUTE FUNCTION incidents_places_repathed();

SELECT incidents_refresh_place_trees(ARRAY(SELECT DISTINCT incident_id FROM incidents_incident_places));
"""

REVERSE = """
DROP TRIGGER IF EXISTS incident_places_tree_insert ON incidents_incident_places;
DROP TRIGGER IF EXISTS incident_places_tree_delete ON incidents_incident_places;
DROP TRIGGER IF EXISTS incident_places_tree_update ON incidents_incident_places;
DROP TRIGGER IF EXISTS incident_places_tree_truncate ON incidents_incident_places;
DROP TRIGGER IF EXISTS place_tree_repath ON incidents_place;
DROP FUNCTION IF EXISTS incidents_place_links_changed(), incidents_place_links_updated(),
    incidents_place_links_truncated(), incidents_places_repathed(), incidents_refresh_place_trees(bigint[]),
    incidents_place_tree(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_drop_claim_current_by_row"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="place_tree",
            field=ArrayField(
                base_field=models.BigIntegerField(), db_default=[], default=list, editable=False, size=None
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=GinIndex(fields=["place_tree"], name="incident_place_tree"),
        ),
        migrations.RunSQL(sql=SQL, reverse_sql=REVERSE),
    ]
