"""Copies of one tokenizer.json load as one tokenizer, whose encodings are those of a fresh one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deepcodeseek.index.wordpiece import SharedTokenizer


@pytest.fixture
def teacher_tokenizer() -> Path:
    from deepcodeseek.index.embedder import local_model_path

    return Path(local_model_path("all-MiniLM-L6-v2")) / "tokenizer.json"


def test_copies_share_one_tokenizer_and_its_encodings_match_a_fresh_one(teacher_tokenizer, tmp_path):
    from tokenizers import Tokenizer

    copy = tmp_path / "student" / "tokenizer.json"
    copy.parent.mkdir()
    shutil.copyfile(teacher_tokenizer, copy)
    shared = SharedTokenizer.load(teacher_tokenizer)
    assert SharedTokenizer.load(copy) is shared
    fresh = Tokenizer.from_file(str(teacher_tokenizer))
    fresh.no_truncation()
    fresh.no_padding()
    text = "var gr = new GlideRecord('incident');\n" * 40 + "gr.addQuery('active', true);"
    assert shared.ids(text) == tuple(fresh.encode(text, add_special_tokens=False).ids)
    assert len(shared.ids(text)) > 512  # no truncation: each encoder cuts as its model does
    assert shared.ids(text) is shared.ids(text)  # the second ask is the kept encoding
