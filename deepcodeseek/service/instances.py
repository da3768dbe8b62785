"""Loaded index versions, one per served instance, swapped atomically when a new one is published.

A request takes the instance's current :class:`LiveIndex` once, at its start, and
answers from it to the end: a swap only rebinds ``InstanceSlot.live``, so requests in
flight finish on the version they began with and the old one is freed after them. The
watcher asks ``current_manifest`` (two small reads, on whatever storage the published
pointer lives) every few seconds; a new version is loaded and warmed up beside the old
one, then switched in. A version that fails to load leaves the old one serving and is
reported (``last_load_error``) until a newer version loads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from deepcodeseek.index.api_docs import ApiCatalog, read_api_catalog
from deepcodeseek.index.embedder import Embedder, query_embedder
from deepcodeseek.index.publish import IndexNotPublished, current_manifest
from deepcodeseek.paths import InstancePaths, instance_paths
from deepcodeseek.retrieval.retriever import Retriever

log = logging.getLogger("deepcodeseek.service")


class UnknownInstance(LookupError):
    """A request named an instance this process does not serve."""


class InstanceNotReady(RuntimeError):
    """The instance is served but no version of it has loaded (yet)."""


@dataclass(frozen=True)
class LiveIndex:
    """One loaded, warmed-up index version: what every request of its lifetime answers from."""

    instance: str
    manifest: dict
    retriever: Retriever
    catalog: ApiCatalog
    query_encoder: str  # what encodes queries: the version's student by name, or onnx-int8, torch-int8, torch, none
    loaded_at: float
    load_seconds: float

    @property
    def version(self) -> str:
        return self.manifest["version"]


class EncoderCache:
    """Query encoders by model name, shared by the versions of one model (a swap reuses it)."""

    def __init__(self):
        self._encoders: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    def get(self, model: str, home) -> Embedder:
        with self._lock:
            if model not in self._encoders:
                self._encoders[model] = query_embedder(model, home=home)
            return self._encoders[model]

    def keep_only(self, models: set[str]) -> None:
        with self._lock:
            for name in set(self._encoders) - models:
                del self._encoders[name]


def encoder_label(embedder: Embedder | None) -> str:
    if embedder is None:
        return "none"
    if not getattr(embedder, "uses_torch", True):
        return "onnx-int8"
    return "torch-int8" if getattr(embedder, "quantized_queries", False) else "torch"


def load_live_index(paths: InstancePaths, manifest: dict, encoders: EncoderCache) -> LiveIndex:
    """Load ``manifest``'s version with its API catalog and warm it up on the default method.

    Only an adapted version puts a model on the default method's path; others load one
    on their first dense query.
    """
    started = time.perf_counter()
    student = (manifest.get("query_encoder") or {}).get("name")  # the light encoder its calibration chose
    shared = manifest.get("adapted_from") and not student
    embedder = encoders.get(manifest["model"], paths.home) if shared else None
    retriever = Retriever(paths.instance, str(paths.home), embedder=embedder, manifest=manifest)
    catalog = read_api_catalog(paths, manifest["version"])
    retriever.warm_up()  # the version's own default: what requests that name no method get
    label = retriever.query_encoder_name if student and retriever._student_loaded() else encoder_label(embedder)
    return LiveIndex(instance=paths.instance, manifest=retriever.manifest, retriever=retriever, catalog=catalog,
                     query_encoder=label, loaded_at=time.time(),
                     load_seconds=round(time.perf_counter() - started, 3))


@dataclass
class LoadError:
    version: str | None
    error: str
    at: float

    def as_dict(self) -> dict:
        return {"version": self.version, "error": self.error, "at": _iso(self.at)}


@dataclass
class InstanceSlot:
    """An instance's current version and the outcome of its last load."""

    name: str
    paths: InstancePaths
    live: LiveIndex | None = None
    last_load_error: LoadError | None = None
    _failed: tuple[str, float, float] | None = field(default=None, repr=False)  # (version, published_at, when)

    def current(self) -> LiveIndex:
        live = self.live  # one read: the request keeps this version whatever the watcher does next
        if live is None:
            reason = f": {self.last_load_error.error}" if self.last_load_error else ""
            raise InstanceNotReady(f"instance {self.name!r} has no loaded index yet{reason}")
        return live


class InstancePool:
    """The served instances, their loaded versions, and the watcher that swaps them."""

    def __init__(self, instances: list[str], home: str | None = None, poll_seconds: float = 2.0,
                 retry_seconds: float = 60.0,
                 on_load: Callable[[str, LiveIndex | None, LoadError | None], None] | None = None,
                 loader: Callable[[InstancePaths, dict, EncoderCache], LiveIndex] = load_live_index):
        if not instances:
            raise ValueError("serve at least one instance (--instance NAME)")
        self.slots = {name: InstanceSlot(name, instance_paths(name, home)) for name in dict.fromkeys(instances)}
        self.poll_seconds, self.retry_seconds = poll_seconds, retry_seconds
        self.encoders = EncoderCache()
        self._loader, self._on_load = loader, on_load
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh_lock = threading.Lock()  # one refresh at a time (watcher, tests, startup)

    @property
    def names(self) -> list[str]:
        return list(self.slots)

    def slot(self, name: str | None) -> InstanceSlot:
        """The named instance's slot; the only one when the process serves one and ``name`` is None."""
        if name is None and len(self.slots) == 1:
            return next(iter(self.slots.values()))
        if name is None:
            raise UnknownInstance(f"name the instance: this service serves {', '.join(self.slots)}")
        try:
            return self.slots[name]
        except KeyError:
            raise UnknownInstance(f"unknown instance {name!r} (served: {', '.join(self.slots)})") from None

    def current(self, name: str | None) -> LiveIndex:
        return self.slot(name).current()

    @property
    def ready(self) -> bool:
        return all(slot.live is not None for slot in self.slots.values())

    def refresh(self) -> list[str]:
        """Check every instance's published version once; load and switch to new ones. Returns the swapped names."""
        swapped = []
        with self._refresh_lock:
            for slot in self.slots.values():
                if self._refresh_slot(slot):
                    swapped.append(slot.name)
            self.encoders.keep_only({s.live.manifest["model"] for s in self.slots.values() if s.live})
        return swapped

    def _refresh_slot(self, slot: InstanceSlot) -> bool:
        try:
            manifest = current_manifest(slot.paths)
        except IndexNotPublished as exc:
            if slot.live is None:
                slot.last_load_error = LoadError(None, str(exc), time.time())
            return False
        except Exception as exc:  # noqa: BLE001 - an unreadable pointer or manifest: keep serving, report
            self._failed_load(slot, None, 0.0, exc)
            return False
        version, published_at = manifest["version"], float(manifest.get("published_at") or 0.0)
        if slot.live is not None and slot.live.version == version:
            slot.last_load_error, slot._failed = None, None  # published again: an older failure is moot
            return False
        if slot._failed and slot._failed[:2] == (version, published_at) and \
                time.time() - slot._failed[2] < self.retry_seconds:
            return False
        try:
            live = self._loader(slot.paths, manifest, self.encoders)
        except Exception as exc:  # noqa: BLE001 - any failure to load keeps the old version serving
            self._failed_load(slot, version, published_at, exc)
            return False
        previous, slot.live = slot.live, live  # the switch: one rebinding
        slot.last_load_error, slot._failed = None, None
        log.info("instance %s: serving version %s (was %s), loaded in %.2f s", slot.name, version,
                 previous.version if previous else None, live.load_seconds)
        del previous  # freed once the requests still holding it finish
        release_freed_memory()
        if self._on_load:
            self._on_load(slot.name, live, None)
        return True

    def _failed_load(self, slot: InstanceSlot, version: str | None, published_at: float, exc: Exception) -> None:
        error = LoadError(version, f"{type(exc).__name__}: {exc}", time.time())
        slot.last_load_error, slot._failed = error, (version or "", published_at, error.at)
        log.warning("instance %s: version %s failed to load, still serving %s: %s", slot.name, version,
                    slot.live.version if slot.live else None, error.error)
        if self._on_load:
            self._on_load(slot.name, None, error)

    # -- the watcher -------------------------------------------------------------------

    def start(self) -> None:
        """Load what is published now, in the background, then keep following the pointer."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="deepcodeseek-index-watcher", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - the watcher never dies; the next poll tries again
                log.exception("index watcher: refresh failed")
            self._stop.wait(self.poll_seconds)

    def wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.ready


def release_freed_memory() -> None:
    """Hand memory freed by a replaced version back to the system (the allocators keep it otherwise)."""
    import ctypes
    import gc

    gc.collect()
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def describe_slot(slot: InstanceSlot) -> dict:
    """What ``GET /v1/instances`` says about one instance."""
    live = slot.live
    out: dict = {"instance": slot.name, "ready": live is not None,
                 "last_load_error": slot.last_load_error.as_dict() if slot.last_load_error else None}
    if live is not None:
        m = live.manifest
        published = float(m.get("published_at") or 0.0)
        out.update({
            "version": live.version, "model": m.get("model"), "adapted": bool(m.get("adapted_from")),
            "documents": m.get("documents"), "published_at": _iso(published) if published else None,
            "age_seconds": round(time.time() - published, 1) if published else None,
            "loaded_at": _iso(live.loaded_at), "load_seconds": live.load_seconds,
            "query_encoder": live.query_encoder, "api_docs": live.catalog.source,
        })
    return out


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
