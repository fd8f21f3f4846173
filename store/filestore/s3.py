"""Files in a bucket of an S3-compatible object store (boto3), one object per key."""

from __future__ import annotations

from typing import Any

from store.filestore.base import KEY_PATTERN, checked_key

#: objects live under this prefix, so the bucket may hold other things too
PREFIX = "tavle-files/"


class S3Storage:
    def __init__(
        self,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        import boto3  # type: ignore[import-untyped]  # only when S3 storage is configured
        from botocore.config import Config  # type: ignore[import-untyped]

        if not bucket:
            raise ValueError("TAVLE_S3_BUCKET must be set for TAVLE_FILE_STORAGE=s3")
        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=PREFIX + checked_key(key),
            Body=data,
            ContentType="application/octet-stream",
        )

    def get(self, key: str) -> bytes:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=PREFIX + checked_key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        data: bytes = found["Body"].read()
        return data

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=PREFIX + checked_key(key))

    def all_keys(self) -> set[str]:
        return set(self._stored())

    def keys_stored_before(self, cutoff: float) -> set[str]:
        return {key for key, written in self._stored().items() if written < cutoff}

    def remove_partial_before(self, cutoff: float) -> int:
        return 0  # a PUT stores the whole object or nothing

    def _stored(self) -> dict[str, float]:
        """Each key and when its object was stored (``LastModified``)."""
        found: dict[str, float] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=PREFIX):
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(PREFIX) :]
                if KEY_PATTERN.fullmatch(name) is not None:
                    found[name] = item["LastModified"].timestamp()
        return found
