"""The S3 adapter: private objects in the app's buckets and short-lived presigned links to them.

The client is built on first use and kept while warm; like every adapter it reaches the emulator
locally through `AWS_ENDPOINT_URL`, with no branch on "local". Bucket names come from the stage
(`.chalice/config.json`, one variable per `resources.BUCKETS` entry).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core.config import get_settings
from chalicelib.core.resources import Bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# A presigned link is a bearer credential for one object: keep it short. Links in e-mails point
# at the API instead, which checks who asks and then redirects to a fresh presigned URL.
DEFAULT_LINK_SECONDS = 300
MAX_LINK_SECONDS = 3600

_s3: S3Client | None = None


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int


def bucket_name(bucket: Bucket) -> str:
    """The bucket's physical name from the stage's environment."""
    name = os.environ.get(bucket.env)
    if not name:
        raise RuntimeError(f"{bucket.env} is not set: the stage must name the {bucket.key} bucket")
    return name


def get_s3() -> S3Client:
    global _s3
    if _s3 is None:
        import boto3
        from botocore.config import Config

        # SigV4 (the only signature KMS-encrypted objects accept); presigned URLs must name the
        # regional endpoint, or a new bucket answers them with a redirect the browser cannot follow.
        _s3 = boto3.client("s3", region_name=get_settings().region, config=Config(signature_version="s3v4"))
    return _s3


def set_s3(client: Any) -> None:
    """Replace the client (tests), or forget it so the next call builds it."""
    global _s3
    _s3 = client


def put_private(
    bucket: Bucket, key: str, data: bytes, *, content_type: str, metadata: dict[str, str] | None = None
) -> StoredObject:
    """Store an object (overwriting: callers use deterministic keys, so a retry replaces a copy with
    the same content). Encryption comes from the bucket's default (the platform KMS key in prod);
    the bucket blocks every form of public access."""
    name = bucket_name(bucket)
    get_s3().put_object(
        Bucket=name,
        Key=key,
        Body=data,
        ContentType=content_type,
        Metadata=metadata or {},
    )
    return StoredObject(name, key, len(data))


def get_object(bucket: Bucket, key: str) -> bytes:
    body = get_s3().get_object(Bucket=bucket_name(bucket), Key=key)["Body"]
    return body.read()


def presigned_get(
    bucket: Bucket, key: str, *, expires_in: int = DEFAULT_LINK_SECONDS, download_name: str | None = None
) -> str:
    """A URL that lets whoever holds it GET one object for `expires_in` seconds (at most an hour)."""
    if not 1 <= expires_in <= MAX_LINK_SECONDS:
        raise ValueError(f"expires_in must be between 1 and {MAX_LINK_SECONDS} seconds")
    params: dict[str, Any] = {"Bucket": bucket_name(bucket), "Key": key}
    if download_name:
        safe = "".join(ch for ch in download_name if ch.isalnum() or ch in "._-") or "download"
        params["ResponseContentDisposition"] = f'inline; filename="{safe}"'
    return str(get_s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))
