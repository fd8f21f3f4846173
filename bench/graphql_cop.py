"""Run graphql-cop (a GraphQL security auditor) against the gateway in production mode.

Usage::

    .venv/bin/python bench/graphql_cop.py CHECKOUT [--cop-python PYTHON]

``CHECKOUT`` is a checkout of graphql-cop (its ``graphql-cop.py`` at the top); ``PYTHON`` is an
interpreter that has graphql-cop's requirements installed (default: ``python3`` on PATH). The
repository does not contain graphql-cop; docs/security.md ("graphql-cop") says how to get it.

The script starts ``tavle serve`` (``load_server.ServerProcess``) on a temporary data folder with
the demo school and production authentication: development login off, a JWKS file with an RSA
key the script makes (``TAVLE_JWKS_FILE``, ``TAVLE_OIDC_ISSUER``, ``TAVLE_OIDC_AUDIENCE``), so
introspection, suggestions and GraphiQL are as in production. It checks that the gateway takes a
pupil's token signed by that key, then runs every graphql-cop test twice against ``/graphql``:
anonymously, and as that pupil. It prints each test's result and exits 1 when graphql-cop
reports a finding in either run (or the server logged an error).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from load_server import ServerProcess

ISSUER = "https://idp.graphql-cop.test"
AUDIENCE = "tavle-graphql-cop"
KID = "graphql-cop-key"
#: the demo pupil the authenticated run logs in as
PUPIL = "elev.ola"


def write_jwks(folder: Path) -> tuple[rsa.RSAPrivateKey, Path]:
    """A fresh RSA key; its public half as a JWKS file (owner-only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    path = folder / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    path.chmod(0o600)
    return key, path


def sign_token(key: rsa.RSAPrivateKey, subject: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 3600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def check_signed_token(url: str, token: str) -> str | None:
    """Why the gateway does not take the pupil's token signed with the JWKS key (None if it
    does): then production authentication is not what runs."""
    with httpx.Client(base_url=url, timeout=30) as http:
        answer = http.post(
            "/graphql",
            json={"query": "query Me { viewer { id } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = answer.json()
    if answer.status_code == 200 and (body.get("data") or {}).get("viewer"):
        return None
    return f"HTTP {answer.status_code} {body}"


def run_cop(python: str, checkout: Path, target: str, headers: dict[str, str] | None) -> Any:
    command = [python, str(checkout / "graphql-cop.py"), "-t", target, "-o", "json"]
    if headers:
        command += ["-H", json.dumps(headers)]
    done = subprocess.run(
        command, cwd=checkout, capture_output=True, text=True, timeout=600, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        raise SystemExit(
            f"graphql-cop failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-2000:]}"
        )
    try:
        return json.loads(lines[-1])
    except ValueError:
        raise SystemExit(f"graphql-cop printed no JSON:\n{done.stdout[-2000:]}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("checkout", type=Path, help="a checkout of graphql-cop")
    parser.add_argument(
        "--cop-python",
        default="python3",
        help="Python with graphql-cop's requirements (default: python3 on PATH)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder and its log")
    args = parser.parse_args(argv)
    checkout: Path = args.checkout.resolve()
    if not (checkout / "graphql-cop.py").is_file():
        parser.error(f"{checkout} has no graphql-cop.py")

    folder = Path(tempfile.mkdtemp(prefix="tavle-graphql-cop-"))
    key, jwks = write_jwks(folder)
    server = ServerProcess(
        folder,
        dev_secret=None,
        database_url=None,
        workers=1,
        extra_env={
            "TAVLE_DEV_AUTH": "false",
            "TAVLE_JWKS_FILE": str(jwks),
            "TAVLE_OIDC_ISSUER": ISSUER,
            "TAVLE_OIDC_AUDIENCE": AUDIENCE,
        },
    )
    findings = count = 0
    try:
        server.start()
        token = sign_token(key, PUPIL)
        problem = check_signed_token(server.url, token)
        if problem is not None:
            print(f"The gateway does not accept the JWKS-signed token: {problem}")
            return 1
        target = f"{server.url}/graphql"
        print(f"graphql-cop against {target} (production mode: JWKS, no development login)")
        runs = (("anonymous", None), (f"as {PUPIL}", {"Authorization": f"Bearer {token}"}))
        for label, headers in runs:
            results = run_cop(args.cop_python, checkout, target, headers)
            print(f"\n--- {label} ---")
            for result in results:
                found = bool(result.get("result"))
                findings += found
                print(
                    f"  {'FINDING' if found else 'ok     '}  [{result.get('severity')}] "
                    f"{result.get('title')}: {result.get('description')}"
                )
        count, lines = server.log_problems()
        if count:
            print(f"\nserver log: {count} error lines, the first:")
            for line in lines:
                print(f"  {line}")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {folder} (server.log)")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{findings} finding(s)")
    return 1 if findings or count else 0


if __name__ == "__main__":
    sys.exit(main())
