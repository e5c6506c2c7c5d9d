"""A throw-away S3-compatible server for tests: moto's server (PyPI `moto[server]`) in its own process on a free
port of 127.0.0.1, its buckets in memory."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

KEY_ID, SECRET, REGION = "sdc-test", "sdc-test-secret", "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto's S3 server did not come up on port {self.port}") from None
                time.sleep(0.1)

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name=REGION
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def environment(self, data_path: str) -> dict[str, str]:
        """`sdc`'s settings for a lake whose data is at `data_path` (s3://bucket/prefix) on this server."""
        return {"SDC_LAKE_DATA_PATH": data_path, "SDC_S3_ENDPOINT": self.endpoint, "SDC_S3_REGION": REGION,
                "SDC_S3_KEY_ID": KEY_ID, "SDC_S3_SECRET": SECRET}  # fmt: skip

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
