"""Per-instance adaptation: fine-tune the embedder on the instance's own call sites.

Every call site on an instance is a free labelled example (the code before it → the
namespace it called). ``examples`` turns call sites and the mined triplets into
contrastive examples, holding out the scripts the evaluation samples come from;
``contrastive`` trains a sentence-transformers model on them (in-batch and hard
negatives), on the GPU when there is one and on the CPU otherwise.
"""
