# The version of the list's filter menus (sources, places), kept by the database.
#
# Every incident list page offers a menu of the sources and one of the upper places. Reading and building
# them took more of a page's time than its incidents. Each app process keeps the menus it built with the
# version it built them at, and reads only this one value per page: statement triggers on the two tables
# advance it in the writing transaction whenever a row the menus show is added, changed or removed, whatever
# writes it (admin, services, importers, gazetteer loads, raw SQL). The value comes from a sequence, so a
# version a rolled-back transaction saw is never used again.

from django.db import migrations

SQL = """
CREATE SEQUENCE incidents_menu_version_seq;
CREATE TABLE incidents_menu_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version bigint NOT NULL
);
INSERT INTO incidents_menu_version (version) VALUES (nextval('incidents_menu_version_seq'));

CREATE FUNCTION incidents_menu_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents_menu_version SET version = nextval('incidents_menu_version_seq');
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_menu_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        UPDATE incidents_menu_version SET version = nextval('incidents_menu_version_seq');
    END IF;
    RETURN NULL;
END $$;
-- An update counts when it changes what a menu shows or its order.
CREATE FUNCTION incidents_source_menu_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT id, name FROM after EXCEPT SELECT id, name FROM before) THEN
        UPDATE incidents_menu_version SET version = nextval('incidents_menu_version_seq');
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION incidents_place_menu_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT id, level, name_en, name_ar, path FROM after
               EXCEPT SELECT id, level, name_en, name_ar, path FROM before) THEN
        UPDATE incidents_menu_version SET version = nextval('incidents_menu_version_seq');
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER {table}_menu_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incidents_menu_rows_changed();
CREATE TRIGGER {table}_menu_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION incidents_menu_rows_changed();
CREATE TRIGGER {table}_menu_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT EXECUTE FUNCTION {updated}();
CREATE TRIGGER {table}_menu_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_menu_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS {table}_menu_insert ON {table};
DROP TRIGGER IF EXISTS {table}_menu_delete ON {table};
DROP TRIGGER IF EXISTS {table}_menu_update ON {table};
DROP TRIGGER IF EXISTS {table}_menu_truncate ON {table};
"""

TABLES = (("sources_source", "incidents_source_menu_updated"), ("incidents_place", "incidents_place_menu_updated"))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_discrepancy_rows"),
        ("sources", "0002_background_import_jobs"),
    ]

    operations = [
        migrations.RunSQL(
            sql=SQL + "".join(TRIGGERS.format(table=table, updated=updated) for table, updated in TABLES),
            reverse_sql="".join(DROP.format(table=table) for table, _ in TABLES)
            + """
DROP FUNCTION IF EXISTS incidents_place_menu_updated();
DROP FUNCTION IF EXISTS incidents_source_menu_updated();
DROP FUNCTION IF EXISTS incidents_menu_rows_changed();
DROP FUNCTION IF EXISTS incidents_menu_changed();
DROP TABLE IF EXISTS incidents_menu_version;
DROP SEQUENCE IF EXISTS incidents_menu_version_seq;
""",
        ),
    ]
