"""Which usage contexts a set of scripts wrote, found by lookup instead of string comparison.

Every evaluation sample and every training query of the learned ranker sets its own script
group aside from the votes, the prior and the usage graph. ``np.isin`` over the contexts'
caller names compares strings (an object array) one excluded script at a time: at 10,000
namespaces (45,127 contexts, groups of up to hundreds of near-duplicate scripts) it took 9 ms
a call, five calls a query, and 80% of the calibration A/B. Numbering the callers once turns
each call into a gather of booleans; the masks are the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class CallerCodes:
    """Each context's caller as a small integer, numbered on first use (a query that sets nothing
    aside, as every served query, never pays for it)."""

    def __init__(self, callers: np.ndarray):
        self._callers = callers
        self._numbers: tuple[dict[str, int], np.ndarray] | None = None  # one attribute: threads see both or neither

    def _numbered(self) -> tuple[dict[str, int], np.ndarray]:
        if self._numbers is None:
            code: dict[str, int] = {}
            codes = np.fromiter((code.setdefault(c, len(code)) for c in self._callers), dtype=np.int64,
                                count=len(self._callers))
            self._numbers = (code, codes)
        return self._numbers

    def written_by(self, scripts: Iterable[str]) -> np.ndarray:
        """Per context: was it written by one of ``scripts``? (What ``np.isin(callers, scripts)`` gives.)"""
        if not len(self._callers):
            return np.zeros(0, dtype=bool)
        code, codes = self._numbered()
        hits = [code[s] for s in scripts if s in code]
        if not hits:
            return np.zeros(len(codes), dtype=bool)
        chosen = np.zeros(len(code), dtype=bool)
        chosen[hits] = True
        return chosen[codes]
