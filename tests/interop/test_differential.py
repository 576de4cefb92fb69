"""Differential test (issue 13): the same openid-client script, case by case, against npm
``oidc-provider`` 9.13.3 (the certified reference provider) and against a real ``jwtgate
serve`` configured alike. Each case must end the same way (success, or the same error code);
the differences that remain are listed in docs/oauth.md with why, and here in KNOWN."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..nodekit import require_node_modules, run_node
from ..server.live import ADMIN_PASSWORD, Live, free_port, serve

REDIRECT = "http://127.0.0.1:9/callback"
RESOURCE = "https://orders.example"
SECRET = "differential-secret-0123456789abcdefghijklmnop"

KNOWN: dict[str, tuple[str, str]] = {}
"""case -> (oidc-provider's outcome, jwtgate's outcome) for documented differences."""


@pytest.fixture(scope="module")
def reference() -> Iterator[str]:
    node, cwd = require_node_modules("oidc-provider", "openid-client", "jose")
    port = free_port()
    process = subprocess.Popen(
        [node, "scripts/oidc_provider.mjs", str(port), REDIRECT, RESOURCE, SECRET],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), (line, process.stderr.read() if process.stderr else "")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def jwtgate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, dict[str, str]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve(tmp_path_factory.mktemp("differential"), port=port, JWTGATE_ISSUER=url) as live:
        token = httpx.post(
            url + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        ids: dict[str, str] = {}
        for name, kind in (
            ("public", "public"),
            ("other", "public"),
            ("confidential", "confidential"),
        ):
            body = httpx.post(
                url + "/admin/clients",
                headers={"authorization": f"Bearer {token}"},
                json={
                    "name": name,
                    "type": kind,
                    "redirect_uris": [REDIRECT],
                    "scopes": ["orders:read"],
                    "audiences": [RESOURCE],
                },
            ).json()
            ids[name] = body["client_id"]
            if kind == "confidential":
                ids["secret"] = body["client_secret"]
        yield live, ids


def outcomes(
    issuer: str,
    public: str,
    other: str,
    confidential: str,
    secret: str,
    username: str,
    password: str,
) -> dict[str, str]:
    out = run_node(
        Path("scripts/differential.mjs"),
        issuer,
        public,
        other,
        confidential,
        secret,
        REDIRECT,
        RESOURCE,
        username,
        password,
        timeout=180,
    )
    return {item["case"]: item["outcome"] for item in map(json.loads, out.splitlines())}


def test_openid_client_gets_the_same_outcomes_from_jwtgate_and_oidc_provider(
    reference: str, jwtgate: tuple[Live, dict[str, str]]
) -> None:
    live, ids = jwtgate
    theirs = outcomes(
        reference, "public-app", "other-app", "confidential-app", SECRET, "alice", "any password"
    )
    ours = outcomes(
        live.url,
        ids["public"],
        ids["other"],
        ids["confidential"],
        ids["secret"],
        "admin",
        ADMIN_PASSWORD,
    )
    assert set(theirs) == set(ours) and len(ours) >= 12
    assert ours["public client: code, PKCE, refresh"] == "success", ours
    differences = {case: (theirs[case], ours[case]) for case in ours if theirs[case] != ours[case]}
    assert differences == KNOWN, json.dumps({"oidc-provider": theirs, "jwtgate": ours}, indent=1)
