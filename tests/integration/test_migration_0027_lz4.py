"""Migration 0027: on PostgreSQL a plan's problem and plan documents are compressed with lz4, not pglz (a city's
1.6 MB problem stored in a quarter of the time; docs/benchmarks.md, "County planning")."""
import sqlalchemy as sa


def test_plan_documents_are_written_with_lz4_on_postgresql(pg_schema_url):
    engine = sa.create_engine(pg_schema_url)
    try:
        with engine.connect() as c:
            methods = dict(c.execute(sa.text(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid = 'plan'::regclass AND attname IN ('problem', 'plan', 'adjustments')")).all())
    finally:
        engine.dispose()
    assert methods == {"problem": "l", "plan": "l", "adjustments": ""}  # "" = the server's default (pglz)
