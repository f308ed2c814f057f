from collections import deque

import av
import numpy as np

from service.media.buffers import FramePool


def test_a_buffer_is_reused_only_once_nothing_refers_to_it():
    pool = FramePool()
    a = pool.take((4, 6, 3))
    view = pool.take((4, 6, 3))[1:]  # the buffer behind a view is held by the view
    wrapped = av.VideoFrame.from_numpy_buffer(pool.take((4, 6, 3)), format="rgb24")  # and by a frame
    held = {id(a), id(view.base), id(wrapped)}
    assert len(pool) == 3
    assert id(pool.take((4, 6, 3))) not in held and len(pool) == 4  # all in use: a new one
    del a
    again = pool.take((4, 6, 3))
    assert len(pool) == 4 and again.shape == (4, 6, 3)  # a's buffer came back, nothing new
    assert pool.take((2, 2, 3)).shape == (2, 2, 3) and len(pool) == 5  # shapes do not mix


def test_frames_alive_for_a_bounded_span_keep_the_pool_bounded_and_apart():
    pool, alive = FramePool(), deque()
    for t in range(200):
        frame = pool.copy(np.full((8, 8, 3), t % 256, np.uint8))
        alive.append((t, frame))
        if len(alive) > 5:
            alive.popleft()
        assert all(np.all(f == s % 256) for s, f in alive)  # no frame overwrote another
    assert len(pool) <= 7
