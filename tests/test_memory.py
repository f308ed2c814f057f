import platform

import pytest

from service.memory import limit_malloc_arenas


def test_zero_leaves_the_allocator_alone():
    assert limit_malloc_arenas(0) is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_arena_cap_is_accepted_by_glibc():
    assert limit_malloc_arenas(2) is True
