"""Keep a server process's memory flat under password-hashing load (glibc only).

argon2id allocates ``argon2_memory_cost`` KiB (19 MiB by default) per hash, in whichever
threadpool thread runs the login. Left alone, glibc serves such a block by mmap until the first
free raises its dynamic mmap threshold; from then on the blocks come from per-thread arenas
(one per thread, up to 8 per core), which keep the freed memory: measured on one worker,
141 MiB before a login burst, 254 MiB after.

Returning every block to the system bounds that too, but costs each hash about 4,900 page
faults (19 MiB touched afresh), a quarter of its CPU. Instead the blocks are reused: the mmap
threshold is fixed at its maximum (32 MiB, which also turns the dynamic one off) so a hash's
block comes from an arena, the trim threshold is raised so a freed block stays mapped for the
next hash, and the arenas are capped at two. What stays resident is then bounded by what runs
at once: at most one hash per CPU (:class:`jwtgate.auth.passwords.PasswordHasher`), each of
``argon2_memory_cost``, in at most two arenas, each trimmed past ``_TRIM_THRESHOLD``. With a
memory cost above 32 MiB each hash is mmapped and returned, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

__all__ = ["tune_allocator"]

_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)
_TRIM_THRESHOLD = 2 * _MMAP_THRESHOLD

log = logging.getLogger(__name__)


def tune_allocator() -> bool:
    """Let argon2's blocks be reused: mmap threshold 32 MiB, trim threshold 64 MiB, two
    arenas. False where the C library is not glibc (nothing changed) or refused a setting."""
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
    ok = all(
        mallopt(option, value)
        for option, value in (
            (_M_MMAP_THRESHOLD, _MMAP_THRESHOLD),
            (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD),
            (_M_ARENA_MAX, 2),
        )
    )
    if not ok:
        log.info("mallopt refused the allocator settings; memory may grow under login load")
    return ok
