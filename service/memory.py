"""Process memory settings: glibc malloc arenas (each thread that allocates may get its own)."""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc <malloc.h>


def limit_malloc_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas at ``count`` (0: leave the default); False where not glibc.

    Decode, model and encode threads each allocating frame-sized buffers otherwise get their own
    arenas, whose fragments make a long video's peak RSS creep up.
    """
    if count <= 0:
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False
