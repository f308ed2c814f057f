import threading

import pytest

from service.media.stages import Consumer, Producer


def test_producer_hands_over_every_item_in_order():
    assert list(Producer(range(100), size=3)) == list(range(100))


def test_producer_error_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("decode failed")

    got = []
    with pytest.raises(ValueError, match="decode failed"):
        for item in Producer(items(), size=1):
            got.append(item)
    assert got == [1, 2]


def test_closing_a_producer_early_stops_its_thread():
    before = threading.active_count()
    producer = Producer(iter(range(10**9)), size=2)
    next(iter(producer))
    producer.close()
    assert threading.active_count() == before


def test_consumer_handles_in_order_and_raises_its_error_on_the_next_call():
    seen = []
    consumer = Consumer(seen.append, size=2)
    for i in range(50):
        consumer.put(i)
    consumer.close()
    assert seen == list(range(50))

    def fail(item):
        raise OSError("disk full")

    consumer = Consumer(fail, size=1)
    consumer.put(1)
    with pytest.raises(OSError, match="disk full"):
        for i in range(100):  # the error surfaces on a later put (or at close), never silently
            consumer.put(i)
        consumer.close()


def test_aborting_a_consumer_discards_the_rest():
    seen = []
    gate = threading.Event()
    consumer = Consumer(lambda item: (gate.wait(), seen.append(item)), size=10)
    for i in range(5):
        consumer.put(i)
    threading.Timer(0.05, gate.set).start()
    consumer.abort()  # marks the error at once; only an item already in hand is finished
    assert len(seen) <= 1
