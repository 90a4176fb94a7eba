"""Who sends what to whom, and when a line is late: plain Python, no database."""
from datetime import datetime, timedelta, timezone

from orders.board import deadline, is_late
from orders.flows import Flow, by_destination, by_source

FLOWS = [Flow("C1", "T1-V1", "TENT", 30), Flow("C1", "T1-V1", "WATER", 40), Flow("C1", "T1-V1", "WATER", 10),
         Flow("T1", "T1-V1", "TENT", 5), Flow("C1", "S-1", "TENT", 10), Flow("T1", "S-1", "TENT", 0)]


def test_each_site_reads_what_arrives_from_which_depot_with_lots_of_one_item_added_up():
    sites = {g["code"]: g for g in by_destination(FLOWS)}
    assert [(p["code"], p["items"]) for p in sites["T1-V1"]["partners"]] == [
        ("C1", [("TENT", 30), ("WATER", 50)]), ("T1", [("TENT", 5)])]
    assert sites["T1-V1"]["totals"] == [("TENT", 35), ("WATER", 50)]
    assert [p["code"] for p in sites["S-1"]["partners"]] == ["C1"]  # nothing sent is no partner


def test_each_depot_reads_what_leaves_for_which_sites():
    depots = {g["code"]: g for g in by_source(FLOWS)}
    assert [(p["code"], p["items"]) for p in depots["C1"]["partners"]] == [
        ("S-1", [("TENT", 10)]), ("T1-V1", [("TENT", 30), ("WATER", 50)])]
    assert depots["T1"]["totals"] == [("TENT", 5)]


def test_a_line_is_late_only_when_not_received_after_the_levels_time_target():
    declared = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
    minutes, due = deadline(declared, "II", [{"level": "II", "time_target_minutes": 720}])
    assert minutes == 720 and due == declared + timedelta(hours=12)
    after = due + timedelta(seconds=1)
    assert not is_late("shipped", due, due) and is_late("shipped", due, after)
    assert is_late("partly_received", due, after) and is_late("approved", due, after)
    assert not is_late("received", due, after) and not is_late("cancelled", due, after)
    assert deadline(declared, "I", []) == (None, None) and not is_late("shipped", None, after)
