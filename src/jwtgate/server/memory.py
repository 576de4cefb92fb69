"""Keep a server process's memory flat under password-hashing load (glibc only).

argon2id allocates ``argon2_memory_cost`` KiB (19 MiB by default) per hash, in whichever
threadpool thread runs the login. Left alone, glibc serves such a block by mmap until the first
free raises its dynamic mmap threshold; from then on the blocks come from per-thread arenas
(one per thread, up to 8 per core), which keep the freed memory: measured on one worker,
141 MiB before a login burst, 254 MiB after.

Returning every block to the system bounds that too, but costs each hash about 4,900 page
faults (19 MiB touched afresh), a quarter of its CPU. Instead the blocks are reused: the mmap
threshold is fixed at its maximum (32 MiB, which also turns the dynamic one off) so a hash's
block comes from the heap, the trim threshold is raised so a freed block stays mapped for the
next hash, and every thread shares one arena (with two, 100 concurrent logins peaked 60 MiB
higher: each arena kept blocks of its own, pinned apart by smaller allocations). What stays
resident is then bounded by what runs at once: at most one hash per CPU
(:class:`jwtgate.auth.passwords.PasswordHasher`), each of ``argon2_memory_cost``, in one
heap trimmed past ``_TRIM_THRESHOLD``. With a
memory cost above 32 MiB each hash is mmapped and returned, as before.

Once a burst is over, :class:`IdleTrimmer` gives the reused blocks back (``malloc_trim``): the
server ticks it every two seconds, and when the allocator has held more than
``_IDLE_FREE_BYTES`` of free memory at two ticks in a row, it trims. An idle server so holds
no argon2 block (the first login after a trim faults its block in once), and a busy one trims
at most once per two ticks, a few milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

__all__ = ["IdleTrimmer", "tune_allocator"]

_M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)
_TRIM_THRESHOLD = 2 * _MMAP_THRESHOLD
_IDLE_FREE_BYTES = 8 * 1024 * 1024

log = logging.getLogger(__name__)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def tune_allocator() -> bool:
    """Let argon2's blocks be reused: mmap threshold 32 MiB, trim threshold 64 MiB, one
    arena. False where the C library is not glibc (nothing changed) or refused a setting."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False  # not Linux, or musl and others with no mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = all(
        mallopt(option, value)
        for option, value in (
            (_M_MMAP_THRESHOLD, _MMAP_THRESHOLD),
            (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD),
            (_M_ARENA_MAX, 1),
        )
    )
    if not ok:
        log.info("mallopt refused the allocator settings; memory may grow under login load")
    return ok


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


class IdleTrimmer:
    """Return the allocator's free memory to the system once it has stayed over
    ``_IDLE_FREE_BYTES`` for two calls of :meth:`tick` in a row (glibc 2.33+; elsewhere
    :meth:`tick` does nothing and says False)."""

    def __init__(self) -> None:
        libc = _libc()
        self._mallinfo2 = getattr(libc, "mallinfo2", None)
        self._malloc_trim = getattr(libc, "malloc_trim", None)
        if self._mallinfo2 is not None and self._malloc_trim is not None:
            self._mallinfo2.restype = _MallInfo2
            self._mallinfo2.argtypes = []
            self._malloc_trim.argtypes = [ctypes.c_size_t]
            self._malloc_trim.restype = ctypes.c_int
        self._held_before = False

    @property
    def available(self) -> bool:
        """True where the C library can say what it holds and trim it."""
        return self._mallinfo2 is not None and self._malloc_trim is not None

    def free_bytes(self) -> int:
        """Free bytes the allocator holds in its arenas (0 where it cannot say)."""
        if self._mallinfo2 is None:
            return 0
        return int(self._mallinfo2().fordblks)

    def trim(self) -> bool:
        """Give free memory back now; True when some was."""
        return self._malloc_trim is not None and bool(self._malloc_trim(0))

    def tick(self) -> bool:
        """Trim when the free memory held was over the bound at this call and the last."""
        if not self.available:
            return False
        held = self.free_bytes() > _IDLE_FREE_BYTES
        trimmed = held and self._held_before and self.trim()
        self._held_before = held and not trimmed
        return trimmed
