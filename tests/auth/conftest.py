"""Fixtures for the authentication tests: key pairs, a JWKS file and a local JWKS server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_support import EC_KID, KID, Keys, public_jwk
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from oidc_support import AUDIENCE, ISSUER, JwksServer

from config.settings import Settings


@pytest.fixture(scope="session")
def keys() -> Keys:
    """RSA key generation is slow-ish, so the key pairs are made once per session."""
    return Keys(
        provider=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        attacker=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        provider_ec=ec.generate_private_key(ec.SECP256R1()),
    )


@pytest.fixture
def jwks_document(keys: Keys) -> dict[str, Any]:
    return {
        "keys": [
            public_jwk(keys.provider, KID, "RS256"),
            public_jwk(keys.provider_ec, EC_KID, "ES256"),
        ]
    }


@pytest.fixture
def jwks_file(tmp_path: Path, jwks_document: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks_document), encoding="utf-8")
    return path


@pytest.fixture
def oidc_settings(tmp_path: Path, jwks_file: Path) -> Callable[..., Settings]:
    """Settings for production (JWKS file) authentication; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "jwks_file": jwks_file,
            "jwks_url": None,
            "oidc_issuer": ISSUER,
            "oidc_audience": AUDIENCE,
            "dev_secret": "",
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def dev_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for development authentication; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "jwks_file": None,
            "jwks_url": None,
            "dev_auth": True,
            "dev_secret": "",
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def jwks_server(jwks_document: dict[str, Any]) -> Iterator[JwksServer]:
    """A real HTTP server on 127.0.0.1 serving the JWKS at /jwks, recording each request."""
    server = JwksServer(jwks_document)
    try:
        yield server
    finally:
        server.stop()
