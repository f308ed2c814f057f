import platform

import numpy as np
import pytest

from service.memory import limit_malloc_arenas, peak_rss_mb, reset_peak_rss


def test_zero_leaves_the_allocator_alone():
    assert limit_malloc_arenas(0) is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_arena_cap_is_accepted_by_glibc():
    assert limit_malloc_arenas(2) is True


@pytest.mark.skipif(not reset_peak_rss(), reason="needs /proc/self/clear_refs")
def test_the_peak_window_restarts_at_a_reset():
    big = np.ones(64 << 20, np.uint8)  # 64 MiB touched
    before = peak_rss_mb()
    del big
    assert reset_peak_rss()
    assert peak_rss_mb() < before - 32
