"""No part of a query may name its answer.

A query is the code before the cursor and the first lines after it. A sample whose
prefix already names the target API is a leak (the model could copy it) and is dropped
when mining. A suffix that names it is cut before its first such line, as the paper's
fill-in-the-middle suffix "adds extra lines without exposing the API". The same rule
applies to any benchmark at evaluation time, so a hand-written or external benchmark
cannot leak either.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from deepcodeseek.evaluation.benchmark import Sample


@lru_cache(maxsize=4096)
def _pattern(namespace: str) -> re.Pattern:
    return re.compile(rf"(?<![\w$]){re.escape(namespace)}(?![\w$])", re.IGNORECASE)


def names_target(text: str, namespace: str) -> bool:
    """Whether ``text`` names ``namespace`` as a whole identifier, in any case: in code,
    a string (``GlideAjax('HRCaseAjax')``) or a comment alike; ``Util`` is not named in ``ArrayUtil``."""
    return bool(namespace) and _pattern(namespace).search(text) is not None


def cut_suffix(code_after: str, namespace: str) -> tuple[str, bool]:
    """``code_after`` up to (not including) its first line that names ``namespace``; and whether it was cut."""
    lines = code_after.split("\n")
    for i, line in enumerate(lines):
        if names_target(line, namespace):
            return "\n".join(lines[:i]), True
    return code_after, False


def without_suffix_leak(sample: Sample) -> tuple[Sample, bool]:
    """The sample with its suffix cut before the target is named (unchanged when it never is)."""
    after, cut = cut_suffix(sample.code_after, sample.target_namespace)
    return (replace(sample, code_after=after), True) if cut else (sample, False)


def prefix_names_target(sample: Sample) -> bool:
    return names_target(sample.code_before, sample.target_namespace)
