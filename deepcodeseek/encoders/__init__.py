"""Light query encoders (CodeQuest): students that embed queries into the tuned teacher's space.

Documents are embedded once by the instance's tuned embedder (the teacher); a query
only has to land near its answer in that space, so a much cheaper model can encode it.
Three kinds of student, each trained on the instance's own code contexts with the
teacher's query embeddings as targets:

- compact (``compact``): the teacher itself, quantised (torch int8, ONNX Runtime int8);
- external (``static_map``): static token vectors distilled from the teacher, with a
  learned map into its space (orthogonal Procrustes, then a small MLP);
- internal (``internal``): the student fine-tuned itself (a truncated teacher, or the
  static token table) against the teacher's embeddings plus the call-site contrastive loss.

Every student answers :class:`~deepcodeseek.encoders.base.QueryEncoder`: ``embed_query(text)``
returns a float32 unit vector in the teacher's space. ``measure`` scores them through the
serving path; ``select_student`` picks the cheapest that keeps the teacher's quality.

Only this module and ``base`` import at package import; torch, onnxruntime and
scikit-learn load inside the functions that need them (the query path stays fast to import).
"""

from deepcodeseek.encoders.base import QueryEncoder, load_encoder

__all__ = ["QueryEncoder", "load_encoder"]
