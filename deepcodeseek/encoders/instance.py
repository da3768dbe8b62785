"""What a published index version gives its students: the teacher, the contexts, the document vectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepcodeseek.index.contexts import CONTEXTS_FILE, UsageContext, read_contexts


@dataclass
class IndexInputs:
    teacher_name: str
    teacher_path: str
    contexts: list[UsageContext]
    document_ids: list[str]
    document_vectors: np.ndarray  # (documents, d): the teacher's embeddings, as the index holds them


def index_inputs(retriever) -> IndexInputs:
    """The inputs of ``train_query_encoders`` from a loaded :class:`Retriever`'s version."""
    from deepcodeseek.index.embedder import local_model_path

    if retriever.vector_owners is not None:
        raise ValueError(f"index version {retriever.version}: vectors are chunks, one document vector is needed")
    from deepcodeseek.index.publish import version_path

    contexts = retriever.paths.index.local(version_path(retriever.version, CONTEXTS_FILE))  # local or object storage
    return IndexInputs(retriever.model_name, local_model_path(retriever.model_name, retriever.paths.home),
                       read_contexts(contexts), list(retriever.docs.column("sys_id")),
                       np.asarray(retriever.vectors, dtype=np.float32))
