"""Keep a server process's memory flat under password-hashing load (glibc only).

argon2id allocates ``argon2_memory_cost`` KiB (19 MiB by default) per hash, in whichever
threadpool thread runs the login. glibc serves such a block by mmap and returns it at once,
until the first free raises its dynamic mmap threshold; from then on the blocks come from
per-thread arenas, which keep the freed memory. Measured on one worker: 141 MiB before a
login burst, 254 MiB after. A fixed threshold (which also turns the dynamic one off) and two
arenas keep every hash's memory returned to the system when the hash ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

__all__ = ["tune_allocator"]

_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
_M_ARENA_MAX = -8
_MMAP_THRESHOLD = 1024 * 1024

log = logging.getLogger(__name__)


def tune_allocator() -> bool:
    """Fix glibc's mmap threshold at 1 MiB and cap arenas at 2; False where not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # musl and others have no mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_ARENA_MAX, 2))
    if not ok:
        log.info("mallopt refused the allocator settings; memory may grow under login load")
    return ok
