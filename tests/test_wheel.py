"""The project as a new user gets it: the wheel built from a clean tree, installed in a fresh venv,
and ``deepcodeseek demo`` run from outside the checkout.

Slow (a minute or more), so it runs with ``--runslow`` or when ``CI`` is set. The demo runs over a
copy of the session's sample build (``built_sample``): every asset runs from the installed package
(sources read from the wheel's sample data, its SQL, its models found), content-addressed against
that build, then the evaluation and the example retrieval. A second build of the sample from scratch
cost 9-10 minutes of CI's two cores; the first one (``built_sample``, from the checkout) already
proves the fresh path, and the first test below proves that the wheel holds every file it needs. The venv installs the wheel alone and borrows the test environment's dependencies (see
``_share_dependencies``) and checks that they meet the wheel's requirements.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                    ".deepcodeseek", ".dagster_home", "*.duckdb", "*.duckdb.wal")
TIMINGS: dict[str, float] = {}


def _run(args: list[str], *, cwd: Path, env: dict | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    step = (Path(args[0]).name + " " + " ".join(a for a in args[1:4] if not a.startswith("/")))[:30]
    step += f" {Path(args[-1]).name[:30]}" if len(args) > 4 else ""
    TIMINGS[step] = round(time.perf_counter() - started, 1)
    print(f"[wheel test] {step}: {TIMINGS[step]} s", flush=True)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _packages(folder: Path, name: str) -> set[str]:
    """Dotted names of ``folder`` and every package below it, installed as ``name``."""
    return {name + "".join(f".{p}" for p in init.parent.relative_to(folder).parts)
            for init in folder.rglob("__init__.py") if "__pycache__" not in init.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built with ``pip wheel --no-deps .`` from a copy of the source tree (the checkout stays clean)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", ".", "-w", str(tmp / "dist")], cwd=source)
    (built,) = (tmp / "dist").glob("deepcodeseek-*.whl")
    return built


def test_the_wheel_holds_every_package_and_data_file_and_nothing_generic(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("/__init__.py")}
    expected = (_packages(ROOT / "deepcodeseek", "deepcodeseek") | _packages(ROOT / "dagster_project", "deepcodeseek_pipeline")
                | _packages(ROOT / "assets", "deepcodeseek_pipeline.assets") | {"deepcodeseek.sql"})
    assert expected <= packages, f"missing from the wheel: {sorted(expected - packages)}"
    for wanted in ("deepcodeseek.training", "deepcodeseek.parsing", "deepcodeseek_pipeline.assets.sources",
                   "deepcodeseek_pipeline.assets.index", "deepcodeseek_pipeline.assets.adaptation"):
        assert wanted in packages
    tops = {n.split("/", 1)[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"deepcodeseek", "deepcodeseek_pipeline"}
    sql = {f"deepcodeseek/sql/{p.relative_to(ROOT / 'sql').as_posix()}" for p in (ROOT / "sql").rglob("*.sql")}
    sample_root = ROOT / "deepcodeseek" / "sample_instance"
    sample = {f"deepcodeseek/sample_instance/{p.relative_to(sample_root).as_posix()}" for p in sample_root.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert sql and sql <= names, f"SQL files missing: {sorted(sql - names)[:5]}"
    assert len(sample) > 100 and sample <= names, f"sample instance files missing: {sorted(sample - names)[:5]}"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "deepcodeseek = deepcodeseek.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# Run in the new venv: each base requirement of the installed wheel that no installed distribution
# meets (``pip check`` would also judge the test environment's own packages).
UNMET_REQUIREMENTS = """
import importlib.metadata as m, json
from packaging.requirements import Requirement
unmet = []
for raw in m.requires("deepcodeseek") or []:
    req = Requirement(raw)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        version = m.version(req.name)
    except m.PackageNotFoundError:
        unmet.append(raw)
        continue
    if not req.specifier.contains(version, prereleases=True):
        unmet.append(f"{raw} (installed: {version})")
print(json.dumps(unmet))
"""


def _share_dependencies(python: Path) -> None:
    """Make the test environment's installed packages importable from the new venv, not its source tree.

    A path line (not ``site.addsitedir``) adds the site-packages folder without running its ``.pth``
    files, so the checkout's editable install of deepcodeseek stays invisible and only the wheel's copy
    can be imported. Installing every dependency again cost two minutes of CI's twenty (unpacking
    dagster, lancedb, pyarrow and torch from pip's cache); the quickstart on a fresh clone still
    installs them all from ``pyproject.toml``, and a check below proves that what is installed
    meets the wheel's own requirements.
    """
    import sysconfig

    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "_test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")


def test_the_installed_wheel_runs_the_demo_from_outside_the_checkout(wheel, tmp_path, built_sample):
    started = time.perf_counter()
    shutil.copytree(built_sample, tmp_path / "home", symlinks=True)  # a writable copy: the demo reindexes it
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _share_dependencies(python)
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], cwd=tmp_path)
    unmet = _run([str(python), "-c", UNMET_REQUIREMENTS], cwd=tmp_path)
    assert json.loads(unmet.stdout) == [], f"the wheel's requirements that nothing installed meets: {unmet.stdout}"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "DEEPCODESEEK_HOME": str(tmp_path / "home"),
           "DEEPCODESEEK_ENV": "ci", "HF_HUB_OFFLINE": "1", "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
    where = _run([str(python), "-c", "import json, deepcodeseek, deepcodeseek_pipeline.definitions as d;"
                  "import importlib.util as u;"
                  "print(json.dumps([deepcodeseek.__file__, d.__file__, u.find_spec('assets') is None]))"],
                 cwd=elsewhere, env=env)
    library, pipeline, no_generic_assets = json.loads(where.stdout)
    assert str(venv) in library and str(venv) in pipeline and str(ROOT) not in library + pipeline
    assert no_generic_assets, "a top-level 'assets' package was installed"

    before = (tmp_path / "home" / "instances" / "sample" / "index" / "CURRENT.json").read_text()
    demo = _run([str(venv / "bin" / "deepcodeseek"), "demo"], cwd=elsewhere, env=env, timeout=1800)
    assert "Example retrieval for:" in demo.stdout and "top@5" in demo.stdout.lower().replace(" ", ""), \
        demo.stdout[-2000:]
    for step in ("source_records", "adapted_embedder", "learned_ranker", "published_index", "evaluation_report"):
        assert f"  {step} " in demo.stderr, f"the installed package's run did not materialise {step}: {demo.stderr[-2000:]}"
    after = json.loads((tmp_path / "home" / "instances" / "sample" / "index" / "CURRENT.json").read_text())
    assert after["version"] == json.loads(before)["version"]  # the same sample, the same content: the same version
    assert not any(elsewhere.iterdir()), "the demo wrote into the working directory"
    TIMINGS["total"] = round(time.perf_counter() - started, 1)
    print("wheel test timings (s):", json.dumps(TIMINGS))
