"""The public surface of ``jwtgate``: ``__all__`` is exact, the error tree is importable from
the top level, and importing the token core pulls in no web framework or database layer."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import jwtgate

# The contract names of the token core (DESIGN.md, "Python API").
CORE_NAMES = {
    "Guard",
    "Key",
    "KeySet",
    "encode",
    "decode",
    "verify_jws",
    "JWTGateError",
    "InvalidToken",
    "MalformedToken",
    "InvalidHeader",
    "InvalidSignature",
    "ExpiredToken",
    "ImmatureToken",
    "InvalidIssuer",
    "InvalidAudience",
    "MissingClaim",
    "InvalidClaim",
    "InvalidTokenType",
    "UnsupportedAlgorithm",
    "UnknownKey",
    "RevokedToken",
}
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "alembic", "flask", "django", "redis")


def _exported() -> set[str]:
    """Public names bound in the package, without the submodules it happens to import."""
    return {
        name
        for name, value in vars(jwtgate).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_all_matches_the_exported_names() -> None:
    assert len(jwtgate.__all__) == len(set(jwtgate.__all__)), "duplicates in __all__"
    assert set(jwtgate.__all__) - {"__version__"} == _exported()
    for name in jwtgate.__all__:
        assert hasattr(jwtgate, name), name


def test_contract_names_are_exported() -> None:
    missing = CORE_NAMES - set(jwtgate.__all__)
    assert not missing


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_invalid_token_subclass_is_importable_from_jwtgate() -> None:
    core_errors = {
        cls for cls in _subclasses(jwtgate.InvalidToken) if cls.__module__.startswith("jwtgate.")
    }
    assert len(core_errors) >= 13
    for cls in core_errors:
        assert getattr(jwtgate, cls.__name__, None) is cls, cls.__name__
        assert cls.__name__ in jwtgate.__all__
        if issubclass(cls, jwtgate.InvalidDPoPProof):  # RFC 9449 7.1 and 8 define their codes
            assert cls.code in ("invalid_dpop_proof", "use_dpop_nonce")
        else:
            assert cls.code == "invalid_token"
        assert issubclass(cls, jwtgate.JWTGateError)
    assert jwtgate.InvalidToken.code == "invalid_token"


def test_import_jwtgate_pulls_in_no_framework() -> None:
    probe = (
        "import json, sys; import jwtgate; "
        f"print(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


def test_using_the_core_pulls_in_no_framework() -> None:
    probe = (
        "import json, sys\n"
        "from jwtgate import Key, KeySet, encode, decode\n"
        "k = Key.generate('ES256')\n"
        "decode(encode({'exp': 4102444800}, k), KeySet([k.public()]))\n"
        f"print(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []
