"""Files that hold the data are the owner's alone (mode 0600).

The SQLite database, its ``-wal``, ``-shm`` and ``-journal`` files hold password hashes,
sessions and client addresses; the key file opens the private signing keys. Each is created
with mode 0600 under a ``077`` umask (SQLite gives the files it creates beside a database the
database's own mode), and files left readable by a release that did not do this are
tightened when they are opened. A directory made for them is 0700.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SQLITE_COMPANIONS", "create_private_file", "private_umask", "tighten"]

log = logging.getLogger("jwtgate.store")

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""Suffixes of the files SQLite keeps beside a database."""

# The umask belongs to the whole process: changes are serialised so that two threads that
# narrow it at once cannot leave it narrowed for good.
_UMASK_LOCK = threading.Lock()


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Within the block, files and directories this process creates get no group or other
    permission bits (umask 077), whatever mode their creator asks for."""
    with _UMASK_LOCK:
        previous = os.umask(0o077)
        try:
            yield
        finally:
            os.umask(previous)


def tighten(path: Path) -> bool:
    """Take the group and other permission bits off ``path`` if it exists; True when it had
    some. A file this process may not change (another owner) is left as it is, logged."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if not mode & 0o077:
        return False
    try:
        os.chmod(path, mode & 0o700)
    except PermissionError:
        log.warning("cannot make %s private (mode %o): not its owner", path, mode)
        return False
    log.warning("made %s private: mode %o was %o", path, mode & 0o700, mode)
    return True


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 (and its missing directories 0700) unless it
    exists; True when this call created it."""
    with private_umask():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
    os.close(fd)
    return True
