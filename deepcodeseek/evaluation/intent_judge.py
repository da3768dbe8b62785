"""Clear-intent judge: could a model infer, from the code before the cursor, what comes next?

The benchmark reports the clear-intent subset separately, as the DeepCodeSeek paper does.
With an LLM client the judge asks the model (cached by content hash, costed); without
one, :func:`deepcodeseek.evaluation.mining.judge_clear_intent` (a heuristic) decides.
Every sample records which judge decided.
"""

from __future__ import annotations

from dataclasses import replace

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.mining import judge_clear_intent
from deepcodeseek.llm.client import LLMError, UsageTotals
from deepcodeseek.text import last_lines

HEURISTIC_JUDGE = "heuristic-v2"
PROMPT_VERSION = "intent-v1"
SYSTEM = ("You review code-completion benchmark samples for ServiceNow server and client JavaScript. "
          "Answer with one word: yes or no.")


def _prompt(sample: Sample) -> str:
    return ("Here is the code before the cursor:\n```javascript\n"
            f"{last_lines(sample.code_before, 25)}\n```\n"
            "Without seeing the next line, could an experienced ServiceNow developer tell what the next line "
            "should accomplish (its intent, not the exact API name)? Answer yes or no.")


def judge_samples(samples: list[Sample], client=None) -> tuple[list[Sample], str, UsageTotals]:
    """Set ``clear_intent`` on every sample; returns the samples, the judge's name and LLM usage."""
    usage = UsageTotals()
    if client is None:
        return samples, HEURISTIC_JUDGE, usage
    judged = []
    for sample in samples:
        try:
            result = client.complete(SYSTEM, _prompt(sample), prompt_version=PROMPT_VERSION, max_tokens=5)
        except LLMError:
            judged.append(replace(sample, clear_intent=judge_clear_intent(sample.code_before)))
            continue
        usage.add(result.usage)
        answer = result.text.strip().lower()
        judged.append(replace(sample, clear_intent=answer.startswith("yes")))
    return judged, f"llm:{getattr(client, 'model', client.name)}:{PROMPT_VERSION}", usage
