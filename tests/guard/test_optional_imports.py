"""Flask and Django REST framework are optional extras: jwtgate and jwtgate.guard import and
work without them, and their integration modules say which extra to install. Importing the
Guard pulls in no web framework and no HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("flask", "django", "rest_framework"):
                raise ImportError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, Block())
    """
)


def run(code: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_jwtgate_and_the_guard_work_without_the_extras() -> None:
    out = run(
        """
        import json, sys, time
        import jwtgate, jwtgate.guard
        from jwtgate import Guard, Key, KeySet, encode
        key = Key.generate("ES256")
        now = int(time.time())
        claims = {"iss": "i", "aud": "api", "sub": "u", "exp": now + 60, "iat": now, "jti": "j"}
        token = encode(claims, key, headers={"typ": "at+jwt"})
        guard = Guard(issuer="i", audience="api", keys=KeySet([key.public()]))
        heavy = ("httpx", "fastapi", "starlette", "flask", "django", "rest_framework")
        print(json.dumps({"sub": guard.verify(token).sub,
                          "loaded": [m for m in heavy if m in sys.modules]}))
        """
    )
    assert out == {"sub": "u", "loaded": []}


def test_the_integrations_name_their_extra() -> None:
    out = run(
        """
        import json
        messages = {}
        for name in ("flask", "django"):
            try:
                __import__(f"jwtgate.guard.{name}")
            except ImportError as exc:
                messages[name] = str(exc)
        print(json.dumps(messages))
        """
    )
    assert "pip install 'jwtgate[flask]'" in str(out["flask"])
    assert "pip install 'jwtgate[django]'" in str(out["django"])


def test_the_fastapi_integration_needs_no_extra() -> None:
    out = run(
        """
        import json
        from jwtgate import Guard, Key, KeySet
        guard = Guard(issuer="i", audience="api", keys=KeySet([Key.generate("ES256")]))
        print(json.dumps({"dependency": type(guard.require(roles=["admin"])).__name__}))
        """
    )
    assert out == {"dependency": "Require"}
