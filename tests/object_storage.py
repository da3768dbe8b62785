"""An S3-compatible server on loopback (moto in server mode), started inside the test that needs it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
               "AWS_EC2_METADATA_DISABLED": "true"}


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    bucket: str

    def uri(self, prefix: str = "") -> str:
        return f"s3://{self.bucket}/{prefix}".rstrip("/")


@contextmanager
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Endpoint]:
    """A fresh moto server on 127.0.0.1 (a free port) with one bucket; AWS_* variables point at it."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is a test dependency (pip install -e .[dev])")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{server._server.server_port}"
        for key, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": url}.items():
            monkeypatch.setenv(key, value)
        bucket = f"deepcodeseek-{uuid.uuid4().hex[:8]}"
        import boto3

        boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=bucket)
        yield S3Endpoint(url, bucket)
    finally:
        server.stop()
