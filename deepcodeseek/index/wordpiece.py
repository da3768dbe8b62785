"""One WordPiece tokenizer per tokenizer.json content, shared by every encoder of a process.

A query passes through two encoders of the same teacher: the static table (semantic
votes) and the ONNX student (the dense signal). Both cut the same full encoding of the
same text, so it is computed once and kept for the few texts in flight; copies of the
teacher's tokenizer.json in different model folders load as one tokenizer.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path

_LOADED: dict[str, "SharedTokenizer"] = {}
_LOCK = threading.Lock()


class SharedTokenizer:
    """A ``tokenizers.Tokenizer`` without truncation or padding, and its recent full encodings."""

    def __init__(self, file: Path):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()  # a teacher's tokenizer.json may pad to a fixed length
        self.ids = lru_cache(maxsize=64)(self._ids)

    def _ids(self, text: str) -> tuple[int, ...]:
        """Token ids of ``text`` without special tokens (callers cut them as their model needs).

        ``encode_batch`` of one text, not ``encode``: the same ids, but it releases the GIL while it
        tokenises (``encode`` holds it), so the service's other queries run meanwhile. On a 3,000-character
        query two threads tokenised at 0.41 ms a text instead of 0.78.
        """
        return tuple(self.tokenizer.encode_batch([text], add_special_tokens=False)[0].ids)

    @classmethod
    def load(cls, file: str | Path) -> "SharedTokenizer":
        digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        with _LOCK:
            shared = _LOADED.get(digest)
            if shared is None:
                shared = _LOADED[digest] = cls(Path(file))
            return shared
