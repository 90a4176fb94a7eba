"""The lots read for a plan, turned into a problem's stock columns (dispatch.stock_read.problem_stock)."""
from types import SimpleNamespace

import numpy as np

from dispatch.stock_read import StockRead, problem_stock


def test_lots_become_positions_in_the_plans_depots_and_items_and_others_are_left_out():
    depots = [SimpleNamespace(id=7), SimpleNamespace(id=3)]  # sorted by code: ids in any order
    items = [SimpleNamespace(id=2), SimpleNamespace(id=5)]
    read = StockRead(codes=["a", "b", "c", "d", "e"], depot_id=np.array([3, 7, 3, 9, 3]),
                     item_id=np.array([5, 2, 4, 2, 12]), quantity=np.array([10, 20, 30, 40, 50]),
                     expires=np.array([1, 2, 3, 4, 5]))
    depot, item, codes, quantity, expires = problem_stock(read, depots, items)
    # c: an item the demand does not ask for; d: a depot opened since the depots were read; e: an item past them all
    assert codes == ["a", "b"]
    assert depot.tolist() == [1, 0] and item.tolist() == [1, 0]
    assert quantity.tolist() == [10, 20] and expires.tolist() == [1, 2]


def test_no_lots_no_columns():
    empty = StockRead([], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    depot, item, codes, quantity, expires = problem_stock(empty, [SimpleNamespace(id=1)], [])
    assert codes == [] and len(depot) == len(item) == len(quantity) == len(expires) == 0
