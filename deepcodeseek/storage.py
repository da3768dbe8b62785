"""Where published index state lives: a local folder (the default) or S3-compatible object storage.

A :class:`Storage` is a tree of files under one root, named by relative paths
(``versions/<v>/bm25``, ``CURRENT.json``). The local root is a folder and every
operation is a plain file operation, so the default stays as fast as before. An
``s3://bucket/prefix`` root goes through ``pyarrow.fs.S3FileSystem`` (no extra
package) and LanceDB's native object-store support.

What makes publishing atomic on both:

- **parts are written once** (:meth:`Storage.write_once`): index versions are
  content-addressed, so a part that is complete is never rewritten. Locally a part is
  written beside its target and renamed into place. On S3 a file part is one PUT
  (atomic), a folder part is uploaded file by file and then a ``.complete`` marker is
  PUT last; a folder without its marker is unfinished and treated as absent, so an
  upload cut off half-way is never read and is simply redone by the next build;
- **small mutable objects are replaced whole** (:meth:`Storage.write_bytes`): a local
  ``os.replace`` or one S3 PUT, so a reader gets the old bytes or the new ones;
- the ``CURRENT.json`` pointer is written last, after the version's manifest, which is
  written only once every part is complete.

Readers of an S3 index download the immutable parts they need into a local cache
(keyed by the part's full URI, written by rename), so a replica loads a version once.

Settings come from the environment, as every AWS SDK reads them: ``AWS_ENDPOINT_URL``
(or ``AWS_ENDPOINT_URL_S3``; e.g. a MinIO or moto endpoint, empty for AWS itself),
``AWS_REGION`` (or ``AWS_DEFAULT_REGION``), and credentials ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``; without explicit keys the SDKs' own
chain (web identity / IRSA, instance profile) applies.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from deepcodeseek import atomic
from deepcodeseek.errors import StorageError  # re-exported: callers import it from here

INDEX_URI_ENV = "DEEPCODESEEK_INDEX_URI"  # s3://bucket/prefix: published indexes and models live there

CACHE_ENV = "DEEPCODESEEK_CACHE"  # where readers of a remote index cache its parts (default <home>/cache)
COMPLETE_MARKER = ".complete"
_REMOTE_SCHEMES = ("s3://",)


def is_remote(uri: str | os.PathLike[str]) -> bool:
    return str(uri).startswith(_REMOTE_SCHEMES)


@dataclass(frozen=True)
class S3Settings:
    """How to reach an S3-compatible endpoint, read from the standard AWS environment variables."""

    endpoint: str = ""
    region: str = ""
    access_key: str = ""
    secret_key: str = ""
    session_token: str = ""

    @classmethod
    def from_env(cls) -> "S3Settings":
        env = os.environ
        return cls(
            endpoint=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "",
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "",
            access_key=env.get("AWS_ACCESS_KEY_ID", ""),
            secret_key=env.get("AWS_SECRET_ACCESS_KEY", ""),
            session_token=env.get("AWS_SESSION_TOKEN", ""),
        )

    def lancedb_options(self) -> dict[str, str]:
        """LanceDB's ``storage_options`` (object_store keys); unset ones fall back to its own env chain."""
        options = {"aws_endpoint": self.endpoint, "aws_region": self.region,
                   "aws_access_key_id": self.access_key, "aws_secret_access_key": self.secret_key,
                   "aws_session_token": self.session_token}
        options = {k: v for k, v in options.items() if v}
        if self.endpoint.startswith("http://"):
            options["allow_http"] = "true"
        return options

    def filesystem(self):
        from pyarrow import fs

        kwargs: dict = {}
        if self.endpoint:
            scheme, _, host = self.endpoint.partition("://")
            kwargs.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
        if self.region:
            kwargs["region"] = self.region
        if self.access_key and self.secret_key:
            kwargs.update(access_key=self.access_key, secret_key=self.secret_key,
                          session_token=self.session_token or None)
        return fs.S3FileSystem(**kwargs)


class Storage:
    """A tree of files under ``root``: a local folder or ``s3://bucket/prefix``."""

    def __init__(self, root: str | os.PathLike[str], settings: S3Settings | None = None,
                 cache: str | os.PathLike[str] | None = None):
        self.root = str(root).rstrip("/") if is_remote(root) else str(Path(root))
        self.remote = is_remote(self.root)
        self.settings = (settings or S3Settings.from_env()) if self.remote else None
        self._cache = Path(cache) if cache else None
        self._fs = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Storage({self.root!r})"

    # -- naming --------------------------------------------------------------------

    def uri(self, rel: str = "") -> str:
        """The full URI (or local path) of ``rel``; what error messages and metadata show."""
        if not rel:
            return self.root
        return f"{self.root}/{rel}" if self.remote else str(Path(self.root) / rel)

    def _key(self, rel: str) -> str:  # bucket/prefix/rel, as pyarrow's S3 filesystem names objects
        return self.uri(rel)[len("s3://"):]

    def _local(self, rel: str) -> Path:
        return Path(self.root) / rel

    @property
    def fs(self):
        with self._lock:
            if self._fs is None:
                self._fs = self.settings.filesystem()
            return self._fs

    # -- reading -------------------------------------------------------------------

    def exists(self, rel: str) -> bool:
        if not self.remote:
            return self._local(rel).exists()
        from pyarrow import fs

        return self._info(rel).type != fs.FileType.NotFound

    def read_bytes(self, rel: str) -> bytes:
        """The object's bytes; FileNotFoundError when it does not exist."""
        if not self.remote:
            return self._local(rel).read_bytes()
        try:
            with self.fs.open_input_stream(self._key(rel)) as stream:
                return stream.read()
        except FileNotFoundError:
            raise
        except OSError as exc:
            if "not found" in str(exc).lower() or "nosuchkey" in str(exc).lower():
                raise FileNotFoundError(self.uri(rel)) from exc
            raise StorageError(f"reading {self.uri(rel)} failed: {exc}") from exc

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode("utf-8")

    def is_complete(self, rel: str) -> bool:
        """Whether a part written by :meth:`write_once` is all there (an unfinished one is not)."""
        if not self.remote:
            return self._local(rel).exists()
        from pyarrow import fs

        kind = self._info(rel).type
        if kind == fs.FileType.File:
            return True
        return kind == fs.FileType.Directory and self.exists(f"{rel}/{COMPLETE_MARKER}")

    def local(self, rel: str) -> Path:
        """A local path holding the part ``rel``; it exists only when the part is complete.

        Local storage returns the part itself. Remote parts are immutable, so they are
        downloaded once into the cache (beside it, then renamed) and reused after that.
        """
        if not self.remote:
            return self._local(rel)
        target = self.cache_dir / rel
        if not target.exists():
            self.download(rel, target)
        return target

    def download(self, rel: str, target: Path) -> bool:
        """Copy a complete remote part to the local ``target`` (beside it, then one rename).

        False, and nothing written, when the part is absent or unfinished.
        """
        if not self.is_complete(rel):
            return False
        from pyarrow import fs

        tmp = atomic.temp_dir_beside(target)
        try:
            if self._info(rel).type == fs.FileType.File:
                (tmp / target.name).write_bytes(self.read_bytes(rel))
            else:
                prefix = self._key(rel) + "/"
                infos = self.fs.get_file_info(fs.FileSelector(self._key(rel), recursive=True))
                for info in infos:
                    name = info.path[len(prefix):]
                    if info.type != fs.FileType.File or name == COMPLETE_MARKER:
                        continue
                    out = tmp / target.name / name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with self.fs.open_input_stream(info.path) as src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst, length=8 << 20)
                (tmp / target.name).mkdir(exist_ok=True)
            atomic.rename_into_place(tmp / target.name, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True

    @property
    def cache_dir(self) -> Path:
        """Where this remote root's parts are cached locally (one folder per root URI)."""
        base = self._cache or Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "deepcodeseek-cache")
        return base / hashlib.sha256(self.root.encode()).hexdigest()[:16]

    def children(self, rel: str) -> list[str]:
        """Names of the folders directly under ``rel`` (empty when it does not exist)."""
        if not self.remote:
            folder = self._local(rel)
            return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        from pyarrow import fs

        infos = self.fs.get_file_info(fs.FileSelector(self._key(rel), allow_not_found=True))
        return sorted(i.base_name for i in infos if i.type == fs.FileType.Directory)

    def newest_mtime(self, rel: str) -> float:
        """The newest modification time of anything under ``rel`` (0 when empty): how recent a version is."""
        if not self.remote:
            folder = self._local(rel)
            times = [folder.stat().st_mtime] + [p.stat().st_mtime for p in folder.rglob("*")]
            return max(times)
        from pyarrow import fs

        infos = self.fs.get_file_info(fs.FileSelector(self._key(rel), recursive=True, allow_not_found=True))
        times = [i.mtime.timestamp() for i in infos if i.type == fs.FileType.File and i.mtime]
        return max(times, default=0.0)

    # -- writing -------------------------------------------------------------------

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Replace the object whole: readers get the old bytes or the new ones, never a mix."""
        if not self.remote:
            atomic.write_bytes(self._local(rel), data)
            return
        try:
            with self.fs.open_output_stream(self._key(rel)) as stream:  # one PUT for small objects
                stream.write(data)
        except OSError as exc:
            raise StorageError(f"writing {self.uri(rel)} failed: {exc}") from exc

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode("utf-8"))

    def write_once(self, rel: str, write: Callable[[Path], None]) -> bool:
        """Write an immutable part (a file or a folder) unless it is already complete.

        ``write(path)`` creates the part at a local scratch ``path``. Returns whether
        anything was written. A crash leaves only a temporary name (local) or a folder
        without its marker (S3), which readers never use and the next call replaces.
        """
        if self.is_complete(rel):
            return False
        if not self.remote:
            return atomic.write_once(self._local(rel), write)
        with tempfile.TemporaryDirectory(prefix="deepcodeseek-part-") as scratch:
            local = Path(scratch) / Path(rel).name
            write(local)
            self.upload(local, rel)
        return True

    def upload(self, local: Path, rel: str) -> None:
        """Copy a local file (one PUT) or folder (every file, then the completion marker) to ``rel``."""
        if local.is_file():
            self.write_bytes(rel, local.read_bytes())
            return
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            self._put_file(path, f"{rel}/{path.relative_to(local).as_posix()}")
        self.write_bytes(f"{rel}/{COMPLETE_MARKER}", b"")

    def _put_file(self, path: Path, rel: str) -> None:
        try:
            with path.open("rb") as src, self.fs.open_output_stream(self._key(rel)) as dst:
                shutil.copyfileobj(src, dst, length=8 << 20)
        except OSError as exc:
            raise StorageError(f"uploading {path} to {self.uri(rel)} failed: {exc}") from exc

    def remove(self, rel: str) -> None:
        """Delete a file or folder part; the marker goes first, so a half-deleted folder reads as absent."""
        if not self.remote:
            target = self._local(rel)
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
            return
        from pyarrow import fs

        kind = self._info(rel).type
        if kind == fs.FileType.File:
            self.fs.delete_file(self._key(rel))
        elif kind == fs.FileType.Directory:
            if self.exists(f"{rel}/{COMPLETE_MARKER}"):
                self.fs.delete_file(self._key(f"{rel}/{COMPLETE_MARKER}"))
            self.fs.delete_dir(self._key(rel))

    # -- LanceDB -------------------------------------------------------------------

    def lancedb(self, rel: str):
        """A LanceDB connection on ``rel``: a local folder, or LanceDB's native S3 support."""
        import lancedb

        if not self.remote:
            folder = self._local(rel)
            folder.mkdir(parents=True, exist_ok=True)
            return lancedb.connect(str(folder))
        return lancedb.connect(self.uri(rel), storage_options=self.settings.lancedb_options())

    def _info(self, rel: str):
        try:
            return self.fs.get_file_info(self._key(rel))
        except OSError as exc:
            raise StorageError(f"object storage at {self.uri(rel)} could not be reached: {exc}") from exc


@lru_cache(maxsize=64)
def _cached_storage(root: str, settings: S3Settings | None, cache: str) -> Storage:
    return Storage(root, settings, cache or None)


def storage_for(root: str | os.PathLike[str], cache: str | os.PathLike[str] | None = None) -> Storage:
    """A :class:`Storage` for ``root``, shared per root and settings (one S3 client, one cache)."""
    root = str(root)
    settings = S3Settings.from_env() if is_remote(root) else None
    return _cached_storage(root, settings, str(cache or ""))
