# incidents_search_word: every word of the incidents' and places' search keys, as the text index holds it.
#
# The list's search matches its last word as the start of a word (a search typed into a box matches while the
# word is being typed). PostgreSQL answers a prefix from the GIN index by gathering every match of every
# indexed word with that start into a bitmap before combining it with the other words: on the benchmark
# data, 2.3 ms of the search's 4.7 ms, against 0.8 ms for the same word whole. With the words listed here (a
# btree in byte order), the search looks up which words start with the typed text and asks for any of them
# whole (``incidents.filters.expand_prefix``): the same matches, found the fast way.
#
# The database keeps the list, whatever writes the rows (services, admin, importers, COPY, raw SQL): a
# statement trigger adds the words of inserted rows, a row trigger those of a changed search key; both fire
# always (ENABLE ALWAYS), the bulk import's inserts with its key checks off included. A word is
# never removed: one that no row holds any more adds a branch that matches nothing, where a missing word
# would lose matches. Only words not yet listed are written, so a new incident of known words writes
# nothing here.

from django.db import migrations

WORDS = "tsvector_to_array(to_tsvector('simple'::regconfig, COALESCE({}, '')))"
# Words that start with a digit are not listed: figures, dates and numbers in titles would make most of the list
# (a file of 250,000 numbered incidents, as many words), and a search rarely types the start of a number. A
# prefix starting with a digit is sent as a prefix (``incidents.filters.list_tsquery``); any other prefix can
# only start words that do not start with a digit, all listed.
LISTED = "w.word !~ '^[0-9]'"

SQL = f"""
CREATE TABLE incidents_search_word (word text COLLATE "C" PRIMARY KEY);

CREATE FUNCTION incidents_search_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incidents_search_word (word)
    SELECT n.word FROM (
        SELECT DISTINCT w.word
        FROM inserted CROSS JOIN LATERAL unnest({WORDS.format("inserted.search_key")}) AS w(word)
        WHERE {LISTED}
    ) n
    WHERE NOT EXISTS (SELECT 1 FROM incidents_search_word s WHERE s.word = n.word)
    ORDER BY n.word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION incidents_search_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incidents_search_word (word)
    SELECT DISTINCT w.word FROM unnest({WORDS.format("NEW.search_key")}) AS w(word)
    WHERE {LISTED} AND NOT EXISTS (SELECT 1 FROM incidents_search_word s WHERE s.word = w.word)
    ORDER BY w.word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER incident_search_words_insert AFTER INSERT ON incidents_incident
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION incidents_search_words_inserted();
CREATE TRIGGER incident_search_words_update AFTER UPDATE OF search_key ON incidents_incident
    FOR EACH ROW WHEN (OLD.search_key IS DISTINCT FROM NEW.search_key)
    EXECUTE FUNCTION incidents_search_words_changed();
CREATE TRIGGER place_search_words_insert AFTER INSERT ON incidents_place
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION incidents_search_words_inserted();
CREATE TRIGGER place_search_words_update AFTER UPDATE OF search_key ON incidents_place
    FOR EACH ROW WHEN (OLD.search_key IS DISTINCT FROM NEW.search_key)
    EXECUTE FUNCTION incidents_search_words_changed();
-- Always, even where session_replication_role turns ordinary triggers off (the bulk import's key checks,
-- sources/bulk_writes.py): the bulk path's incidents are listed by the same statement trigger.
ALTER TABLE incidents_incident ENABLE ALWAYS TRIGGER incident_search_words_insert;
ALTER TABLE incidents_incident ENABLE ALWAYS TRIGGER incident_search_words_update;
ALTER TABLE incidents_place ENABLE ALWAYS TRIGGER place_search_words_insert;
ALTER TABLE incidents_place ENABLE ALWAYS TRIGGER place_search_words_update;

INSERT INTO incidents_search_word (word)
SELECT w.word FROM incidents_incident CROSS JOIN LATERAL unnest({WORDS.format("search_key")}) AS w(word)
WHERE {LISTED}
UNION
SELECT w.word FROM incidents_place CROSS JOIN LATERAL unnest({WORDS.format("search_key")}) AS w(word)
WHERE {LISTED};
ANALYZE incidents_search_word;
"""

REVERSE = """
DROP TRIGGER IF EXISTS incident_search_words_insert ON incidents_incident;
DROP TRIGGER IF EXISTS incident_search_words_update ON incidents_incident;
DROP TRIGGER IF EXISTS place_search_words_insert ON incidents_place;
DROP TRIGGER IF EXISTS place_search_words_update ON incidents_place;
DROP FUNCTION IF EXISTS incidents_search_words_inserted();
DROP FUNCTION IF EXISTS incidents_search_words_changed();
DROP TABLE IF EXISTS incidents_search_word;
"""


class Migration(migrations.Migration):
    dependencies = [("incidents", "0016_event_context_not_indexed")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
