"""The S3-compatible file storage (``TAVLE_FILE_STORAGE=s3``), against a real S3 server.

No S3 service runs here, so the test starts moto's S3 server (``moto[server]``, pinned in the
dev extra) on a local port: a real HTTP server speaking the S3 protocol, which boto3 talks to
exactly as to any S3-compatible store (MinIO, Ceph, a cloud provider). Nothing is mocked inside
the process: the gateway is configured with the server's endpoint URL, bucket, region and keys.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway, own_gateway
from moto.server import ThreadedMotoServer  # type: ignore[import-untyped]
from sqlalchemy import select

from config.ids import from_global_id
from store import tables as t
from store.db import make_engine
from store.filestore import S3Storage, new_storage_key
from store.filestore.deletions import sweep

BUCKET = "tavle-test-files"
REGION = "eu-north-1"
KEYS = {"s3_access_key": "test-access-key", "s3_secret_key": "test-secret-key"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
UPLOAD = "mutation($file: Upload!) { uploadFile(file: $file) { id downloadUrl } }"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=KEYS["s3_access_key"],
        aws_secret_access_key=KEYS["s3_secret_key"],
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    try:
        yield endpoint
    finally:
        server.stop()


def _objects(endpoint: str) -> set[str]:
    storage = S3Storage(BUCKET, REGION, endpoint, KEYS["s3_access_key"], KEYS["s3_secret_key"])
    return storage.all_keys()


def test_the_s3_storage_puts_gets_lists_and_deletes(s3_endpoint: str) -> None:
    storage = S3Storage(BUCKET, REGION, s3_endpoint, KEYS["s3_access_key"], KEYS["s3_secret_key"])
    key = new_storage_key()
    storage.put(key, b"hello")
    assert storage.get(key) == b"hello"
    assert key in storage.all_keys()
    # Its age comes from the object's LastModified: the sweep's grace period (files sweep).
    assert key not in storage.keys_stored_before(time.time() - 3600)
    assert key in storage.keys_stored_before(time.time() + 60)
    assert storage.remove_partial_before(time.time() + 60) == 0
    storage.delete(key)
    assert key not in storage.all_keys()
    with pytest.raises(FileNotFoundError):
        storage.get(key)
    storage.delete(key)  # deleting what is gone is no error
    with pytest.raises(ValueError):
        storage.put("../escape", b"x")


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param,
        tmp_path_factory,
        "files-s3",
        file_storage="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=BUCKET,
        s3_region=REGION,
        **KEYS,
    ) as gateway:
        yield gateway


def _gql_upload(live: LiveGateway, who: str, content: bytes) -> dict[str, Any]:
    response = live.client.post(
        f"{live.url}/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("figur.png", content, "image/png")},
        headers={"Authorization": f"Bearer {live.token(who)}", "Apollo-Require-Preflight": "1"},
    )
    result = GraphQLResult(response.json())
    assert result.errors == [], result.errors
    return result.data["uploadFile"]  # type: ignore[no-any-return]


def test_an_upload_round_trips_through_s3(live: LiveGateway, s3_endpoint: str) -> None:
    before = _objects(s3_endpoint)
    found = _gql_upload(live, "elev.ola", PNG)
    key = str(
        live.scalar(
            select(t.files.c.storage_key).where(t.files.c.id == from_global_id(found["id"])[1])
        )
    )
    assert _objects(s3_endpoint) - before == {key}
    assert not live.state.settings.files_dir.exists()  # nothing on the local disk
    response = live.client.get(f"{live.url}{found['downloadUrl']}")
    assert response.status_code == 200
    assert response.content == PNG


def test_the_sweep_removes_only_unreferenced_objects(live: LiveGateway, s3_endpoint: str) -> None:
    """``tavle files sweep`` on S3: an object no row refers to goes once it is past the grace
    period (here none: every object counts as old); young ones and referenced ones stay."""
    storage = S3Storage(BUCKET, REGION, s3_endpoint, KEYS["s3_access_key"], KEYS["s3_secret_key"])
    found = _gql_upload(live, "elev.ola", PNG)
    key = str(
        live.scalar(
            select(t.files.c.storage_key).where(t.files.c.id == from_global_id(found["id"])[1])
        )
    )
    orphan = new_storage_key()
    storage.put(orphan, b"left behind")

    async def run(grace: float) -> int:
        engine = make_engine(live.database_url)
        try:
            return await sweep(engine, storage, grace_seconds=grace)
        finally:
            await engine.dispose()

    asyncio.run(run(3600))
    assert {key, orphan} <= _objects(s3_endpoint)  # both younger than the grace period
    assert asyncio.run(run(-60)) >= 1
    held = _objects(s3_endpoint)
    assert orphan not in held
    assert key in held
