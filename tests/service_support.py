"""Helpers for the service tests: a private copy of the built sample, and a real uvicorn on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from deepcodeseek.index.publish import current_manifest, switch_current, versions_with_manifest
from deepcodeseek.paths import instance_paths

INSTANCE = "sample"


def copy_home(built: Path, target: Path) -> Path:
    """A writable copy of a built home (its instances), sharing the read-only models folder."""
    target.mkdir(parents=True)
    shutil.copytree(built / "instances", target / "instances")
    if (built / "instances.json").exists():
        shutil.copy2(built / "instances.json", target / "instances.json")
    if (built / "models").exists():
        (target / "models").symlink_to((built / "models").resolve(), target_is_directory=True)
    return target


def published_versions(home: Path) -> list[str]:
    """The versions of the sample with a manifest, staged or published (the build stages the base and the
    adapted one, and publishes one of them)."""
    return versions_with_manifest(instance_paths(INSTANCE, home))


def other_version(home: Path) -> str:
    """A complete version that is not the live one: promoting it is a real publish."""
    paths = instance_paths(INSTANCE, home)
    live = current_manifest(paths)["version"]
    return next(v for v in published_versions(home) if v != live and not v.startswith("broken"))


def publish_broken_version(home: Path, name: str = "broken0000000001") -> str:
    """A version whose manifest exists but whose vector table and BM25 index do not: loading it fails."""
    paths = instance_paths(INSTANCE, home)
    live = current_manifest(paths)
    folder = paths.version_dir(name)
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({**live, "version": name, "table": f"docs_{name}",
                                                      "published_at": time.time()}))
    switch_current(paths, name)
    return name


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def live_server(app, timeout: float = 60.0):
    """``app`` served by uvicorn on a random free loopback port; yields the base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")
