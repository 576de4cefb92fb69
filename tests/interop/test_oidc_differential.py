"""Differential: the same relying-party scripts against jwtgate and against npm
``oidc-provider`` 9.13.3 (the certified reference OP, configured like jwtgate in
tests/node/scripts/reference_op.mjs): the discovery document, the ID token's claims,
userinfo, and the error code of each negative case agree, except for the differences listed
in ``KNOWN_DIFFERENCES`` (each with why; docs/oidc.md repeats them)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..nodekit import require_node_modules, run_node
from ..server.live import Live, free_port
from .test_oidc_clients import PASSWORD, live, register  # noqa: F401 (the live fixture)

REDIRECT = "http://127.0.0.1:9/callback"
POST_LOGOUT = "http://127.0.0.1:9/signed-out"
SECRET = "differential-client-secret-0123456789abcdef"

# case -> (jwtgate, oidc-provider, why they differ)
KNOWN_DIFFERENCES: dict[str, tuple[str, str, str]] = {
    "prompt_none_logged_in": (
        "ok",
        "consent_required",
        "oidc-provider asks consent for every client that has not been granted it in an "
        "interaction; jwtgate's first-party clients skip consent (the contract)",
    ),
    "unknown_parameter": (
        "ok",
        "page 200",
        "the same cause: oidc-provider shows its consent page; both ignore the parameter",
    ),
    "response_type_token": (
        "unsupported_response_type",
        "no code",
        "oidc-provider answers an implicit-flow request in the fragment (it still knows "
        "response_type=token); jwtgate supports code only and says so in the query",
    ),
}


@pytest.fixture(scope="module")
def reference() -> Iterator[str]:
    node, cwd = require_node_modules("oidc-provider")
    port = free_port()
    client = {
        "client_id": "differential",
        "client_secret": SECRET,
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [POST_LOGOUT],
    }
    process = subprocess.Popen(
        [node, "scripts/reference_op.mjs", str(port), json.dumps(client)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening" in line, line
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def config(issuer: str, client_id: str, secret: str, username: str) -> str:
    return json.dumps(
        {
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": REDIRECT,
            "post_logout_redirect_uri": POST_LOGOUT,
            "username": username,
            "password": PASSWORD,
        }
    )


@pytest.fixture(scope="module")
def both(live: Live, reference: str) -> dict[str, dict[str, Any]]:  # noqa: F811
    client = register(live, first_party=True)
    ours = config(live.url, client["client_id"], client["client_secret"], "carol")
    theirs = config(reference, "differential", SECRET, "carol")
    out: dict[str, dict[str, Any]] = {}
    for name, cfg in (("jwtgate", ours), ("reference", theirs)):
        flow = json.loads(run_node(Path("scripts/oidc_rp.mjs"), cfg, timeout=120))
        negative = json.loads(run_node(Path("scripts/oidc_negative.mjs"), cfg, timeout=180))
        out[name] = {"flow": flow, "negative": negative}
    return out


def test_discovery_documents_agree_on_the_contract(both: dict[str, dict[str, Any]]) -> None:
    ours, theirs = (both[n]["flow"]["metadata"] for n in ("jwtgate", "reference"))
    for name in ("code_challenge_methods_supported", "subject_types_supported"):
        assert ours[name] == theirs[name], name
    assert ours["response_types_supported"] == ["code"]
    assert "code" in theirs["response_types_supported"]
    assert "RS256" in ours["id_token_signing_alg_values_supported"]
    assert "RS256" in theirs["id_token_signing_alg_values_supported"]
    assert ours["authorization_response_iss_parameter_supported"] is True
    assert theirs["authorization_response_iss_parameter_supported"] is True
    # Every identity claim the reference can release, jwtgate can too.
    assert set(theirs["claims_supported"]) <= set(ours["claims_supported"])
    for endpoint in ("userinfo_endpoint", "end_session_endpoint", "jwks_uri"):
        assert endpoint in ours and endpoint in theirs


def test_id_tokens_carry_at_least_the_references_claims(
    both: dict[str, dict[str, Any]],
) -> None:
    ours, theirs = (both[n]["flow"]["claims"] for n in ("jwtgate", "reference"))
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    # jwtgate adds what the contract asks for (auth_time always, azp, at_hash, sid, acr, amr).
    assert {"auth_time", "azp", "at_hash", "sid", "acr", "amr"} <= set(ours)


def test_userinfo_answers_the_same_claims(both: dict[str, dict[str, Any]]) -> None:
    ours, theirs = (both[n]["flow"]["userinfo"] for n in ("jwtgate", "reference"))
    assert set(ours) == set(theirs)
    assert ours["email_verified"] is theirs["email_verified"] is False


def test_negative_cases_answer_the_same_error_codes(both: dict[str, dict[str, Any]]) -> None:
    ours, theirs = (both[n]["negative"] for n in ("jwtgate", "reference"))
    assert set(ours) == set(theirs)
    differing = {case for case in ours if ours[case] != theirs[case]}
    assert differing == set(KNOWN_DIFFERENCES), {c: (ours[c], theirs[c]) for c in differing}
    for case, (mine, reference, _why) in KNOWN_DIFFERENCES.items():
        assert (ours[case], theirs[case]) == (mine, reference), case
