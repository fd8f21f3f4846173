"""Constants and helpers shared by the authentication tests and their fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

KID = "provider-key-1"
EC_KID = "provider-ec-key"


@dataclass(frozen=True)
class Keys:
    provider: rsa.RSAPrivateKey
    attacker: rsa.RSAPrivateKey
    provider_ec: ec.EllipticCurvePrivateKey


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str, alg: str) -> Any:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}
