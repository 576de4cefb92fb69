"""atheris harness: refresh tokens as the auth layer receives them.

Promise checked (``fuzz.checks.RefreshProbe``): ``parse_refresh_token`` never raises and
accepts only 43 to 128 base64url characters; ``AuthService.refresh`` answers anything but the
live token with InvalidGrant, ``revoke`` stays silent, ``introspect`` answers inactive; and no
input, however close to the live token, refreshes or revokes the live session.

The service is real (SQLite in a temporary folder, cheap argon2). The custom mutator makes
near misses of the live refresh token: one character changed or case-flipped, padding,
whitespace, percent-encoding, truncation, extension; or libFuzzer's byte mutations.

    .venv/bin/python -m fuzz.fuzz_refresh_token -max_total_time=600 \\
        /tmp/new fuzz/corpus/refresh_token
"""

from __future__ import annotations

import atexit
import random
import tempfile

import atheris

with atheris.instrument_imports(include=["jwtgate"]):
    import jwtgate.auth  # noqa: F401  (instrumented before anything else imports it)

from .checks import RefreshProbe
from .fuzzkit import run

MAX_LEN = 512
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def near_miss(live: str, rng: random.Random) -> str:
    """The live token with one small change."""
    i = rng.randrange(len(live))
    edits = (
        lambda: live[:i] + rng.choice(ALPHABET) + live[i + 1 :],
        lambda: live[:i] + live[i].swapcase() + live[i + 1 :],
        lambda: live.upper() if rng.random() < 0.5 else live.lower(),
        lambda: live + rng.choice(("=", "==", " ", "\n", "\t", "\x00", "%3D")),
        lambda: rng.choice((" ", "\n", "Bearer ", "%20")) + live,
        lambda: live[:i] + live[i + 1 :],
        lambda: live + rng.choice(ALPHABET),
        lambda: live.replace("-", "+").replace("_", "/"),
        lambda: live[:i] + "%" + format(ord(live[i]), "02X") + live[i + 1 :],
        lambda: live + "." + live,
    )
    return rng.choice(edits)()


def main() -> None:
    """Run libFuzzer on the arguments given (flags and corpus directories)."""
    folder = tempfile.TemporaryDirectory(prefix="jwtgate-fuzz-")
    probe = RefreshProbe(folder.name)
    atexit.register(folder.cleanup)
    atexit.register(probe.close)

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        """libFuzzer custom mutator: near misses of the live token, or byte mutations."""
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return bytes(atheris.Mutate(data, max_size))
        return near_miss(probe.live, rng).encode("latin-1")[:max_size]

    run(probe.check, mutate, max_len=MAX_LEN)


if __name__ == "__main__":
    main()
