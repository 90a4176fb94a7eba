"""A request's one-statement reads (the token check, the scanned lot) share one connection on PostgreSQL,
see what was committed before each statement, and give the connection back when the request ends; SQLite
and code outside a request use a connection per read."""
from flask import g

from common.db import UnitOfWork, one_statement_reads
from inventory.catalog import DepotFields, add_depot
from tests.conftest import bearer


def _depot_names(conn) -> set[str]:
    return set(conn.exec_driver_sql("SELECT name FROM depot").scalars())


def test_inside_a_request_reads_share_a_connection_on_postgresql_and_see_each_commit(app, engine, county):
    with app.test_request_context("/login"):
        app.preprocess_request()
        with one_statement_reads(engine) as first:
            before = _depot_names(first)
        with UnitOfWork(engine) as uow:  # another connection commits meanwhile
            add_depot(uow, DepotFields(code="T9", name="新设储备站", tier="town", parent="C1"))
            uow.commit()
        with one_statement_reads(engine) as second:
            after = _depot_names(second)
        shared = first is second
        app.do_teardown_request()
        assert "reads_token" not in g
    assert "新设储备站" not in before and "新设储备站" in after  # no snapshot kept from the first read
    assert shared is (engine.dialect.name == "postgresql")
    assert first.closed and second.closed  # given back when the request ended


def test_outside_a_request_each_read_has_its_own_connection(engine, county):
    with one_statement_reads(engine) as first:
        _depot_names(first)
    with one_statement_reads(engine) as second:
        _depot_names(second)
    assert first is not second and first.closed and second.closed


def test_after_many_lookups_no_connection_is_left_checked_out(client, engine, county):

    for _ in range(25):
        answer = client.get("/api/v1/lots/NOPE", headers=bearer(county, "keeper"))
        assert answer.status_code == 404
    assert engine.pool.checkedout() == 0
