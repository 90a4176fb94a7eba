"""A plan's problem document as the database keeps it (dispatch.stored_problem), and stock given to the parser as
columns: the same problem, the same plan, and the contract's document given back exactly."""
from datetime import date

import numpy as np
import orjson
import pytest

from dispatch import stored_problem
from dispatch.allocator import allocate, parse_problem, solve
from dispatch.problem import NO_EXPIRY, stock_columns
from tests.unit.test_allocator import problem_doc

DOC = problem_doc(
    min_shelf_days=7,
    stock=[("T1", "tent", "L9", 3, "2026-12-31"), ("C0", "tent", "L2", 5, None), ("C0", "tent", "L1", 4, "2026-07-03"),
           ("C0", "water", "W1", 40, "2027-01-01"), ("T1", "tent", "L3", 2, "2026-12-31")],
    floors=[("T1", "tent", 1)],
    demand=[("V1", "tent", 6), ("V2", "tent", 4), ("V1", "water", 30)],
    routes=[("C0", "V1", 30), ("T1", "V1", 5), ("C0", "V2", 40)],
)


def same_plan(a, b):
    return {**a, "solve_seconds": 0} == {**b, "solve_seconds": 0} and a["transfers"]


def without_stock(doc):
    return {key: value for key, value in doc.items() if key != "stock"}


def test_a_stored_document_gives_back_the_contract_document_in_the_problem_order():
    problem = parse_problem(DOC)
    text = stored_problem.dumps(without_stock(DOC), problem)
    stored = orjson.loads(text)
    assert "stock" not in stored and len(stored["stock_columns"]["lot"]) == 5
    assert stored["stock_columns"]["expires_day"].count(None) == 1  # no expiry is null, not a day number
    document = stored_problem.document(text)
    assert list(document) == list(DOC)  # the stock array where the contract has it
    # every lot with its values, listed by depot, item, first expiry first out (none last), then lot id
    assert [(r["depot"], r["item"], r["lot"], r["quantity"], r["expires"]) for r in document["stock"]] == [
        ("C0", "tent", "L1", 4, "2026-07-03"), ("C0", "tent", "L2", 5, None), ("C0", "water", "W1", 40, "2027-01-01"),
        ("T1", "tent", "L3", 2, "2026-12-31"), ("T1", "tent", "L9", 3, "2026-12-31")]
    assert {k: v for k, v in document.items() if k != "stock"} == without_stock(DOC)
    assert same_plan(allocate(document), allocate(DOC))


def test_a_stored_document_read_back_as_a_problem_plans_the_same():
    problem = parse_problem(DOC)
    doc, again = stored_problem.parsed(stored_problem.dumps(without_stock(DOC), problem))
    assert doc == without_stock(DOC)
    assert same_plan(solve(again), solve(problem))
    assert again.held("C0", "tent") == 9 and again.available("C0", "tent") == 5  # L1 expires before usable


def test_rows_stored_with_the_stock_array_are_read_as_they_are():
    text = orjson.dumps(DOC).decode()
    assert stored_problem.document(text) == DOC
    doc, problem = stored_problem.parsed(text)
    assert doc == DOC and same_plan(solve(problem), allocate(DOC))


def test_a_document_whose_depots_are_not_sorted_is_not_stored_with_positions():
    doc = without_stock(DOC)
    doc["depots"] = list(reversed(doc["depots"]))
    with pytest.raises(ValueError, match="depots are not sorted"):
        stored_problem.dumps(doc, parse_problem(DOC))


def test_stock_given_as_columns_is_the_problem_the_document_states():
    depots, items = ("C0", "T1"), ("tent", "water")
    rows = DOC["stock"]
    columns = (np.array([depots.index(r["depot"]) for r in rows]), np.array([items.index(r["item"]) for r in rows]),
               [r["lot"] for r in rows], np.array([r["quantity"] for r in rows]),
               np.array([NO_EXPIRY if r["expires"] is None else date.fromisoformat(r["expires"]).toordinal()
                         for r in rows]))
    from_columns = parse_problem(without_stock(DOC), stock=columns)
    assert from_columns.lots == parse_problem(DOC).lots


@pytest.mark.parametrize("change, message", [
    (lambda c: (c[0][:-1], *c[1:]), "different lengths"),
    (lambda c: (np.array([0, 0, 2]), *c[1:]), "out of range"),
    (lambda c: (*c[:3], np.array([1, -1, 1]), c[4]), "out of range"),
    (lambda c: (*c[:2], ["a", "", "c"], *c[3:]), "out of range"),
])
def test_stock_columns_out_of_range_are_refused(change, message):
    good = (np.array([0, 1, 1]), np.array([0, 0, 1]), ["a", "b", "c"], np.array([1, 2, 3]), np.array([1, 2, 3]))
    assert len(stock_columns(*good, n_depots=2, n_items=2)[2]) == 3
    with pytest.raises(ValueError, match=message):
        stock_columns(*change(good), n_depots=2, n_items=2)
