"""Pausing Python's cycle collector around work that builds large structures without cycles.

Planning a city builds some 100,000 rows, dicts and lists that reference counting frees when the request ends.
While they live they count towards the collector's thresholds, and every other plan set off a full (generation
2) pass over the whole process heap — 50 to 75 ms on the benchmark machine, half of the plan's own time — that
could free nothing of theirs. With the collector paused they are freed as before, by reference counting; cycles
made meanwhile anywhere in the process wait for the next collection after the pause.
"""
import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0  # threads inside a pause: the collector comes back when the last one leaves
_was_enabled = False


@contextmanager
def cycle_collection_paused():
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
