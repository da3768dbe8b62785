"""Package discovery with the repository's layout kept.

The library is ``deepcodeseek/``; the Dagster code location is ``dagster_project/`` with
its assets in ``assets/``, installed together as ``deepcodeseek_pipeline`` (and
``deepcodeseek_pipeline.assets``) so that no generic top-level name (``assets``) is
installed; ``sql/`` ships as ``deepcodeseek.sql``. Every sub-package is discovered, so
a new one can never be left out of the wheel.
"""

from setuptools import find_packages, setup

MAPPED = {"deepcodeseek_pipeline": "dagster_project", "deepcodeseek_pipeline.assets": "assets",
          "deepcodeseek.sql": "sql"}


def discovered(name: str, folder: str) -> list[str]:
    return [name] + [f"{name}.{sub}" for sub in find_packages(folder)]


packages = find_packages(include=["deepcodeseek", "deepcodeseek.*"])
for name, folder in MAPPED.items():
    packages += discovered(name, folder)

setup(packages=sorted(set(packages)), package_dir=MAPPED)
