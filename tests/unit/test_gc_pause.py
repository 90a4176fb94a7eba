"""The cycle collector is paused inside ``cycle_collection_paused`` and comes back when the last thread
inside leaves; a collector that was off stays off."""
import gc
import threading

from common.gc_pause import cycle_collection_paused


def test_the_collector_is_off_inside_and_back_after():
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_last_of_several_threads_leaves():
    inside, leave_first, first_left = threading.Event(), threading.Event(), threading.Event()

    def first():
        with cycle_collection_paused():
            inside.set()
            leave_first.wait(5)
        first_left.set()

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    with cycle_collection_paused():
        leave_first.set()
        first_left.wait(5)
        assert not gc.isenabled()  # the first thread left; this one is still inside
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_still_brings_the_collector_back():
    try:
        with cycle_collection_paused():
            raise ValueError("refused")
    except ValueError:
        pass
    assert gc.isenabled()
