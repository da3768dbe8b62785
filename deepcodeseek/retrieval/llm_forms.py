"""Query forms written by an LLM: an intent description, or a hypothetical completion (HyDE).

The DeepCodeSeek paper compares these with the raw code context. They need the LLM
resource (Anthropic, cached by content hash and costed by the client); without one
they are unavailable and say so, never faked.
"""

from __future__ import annotations

from deepcodeseek.errors import MethodUnavailable  # noqa: F401 - re-exported: callers import it from here
from deepcodeseek.text import last_lines

INTENT_VERSION = "query-intent-v1"
HYDE_VERSION = "query-hyde-v1"
CONTEXT_LINES = 25

INTENT_SYSTEM = ("You read partial ServiceNow JavaScript and say, in one or two plain English sentences, what the "
                 "developer is about to do next. Do not write code and do not guess API names.")
HYDE_SYSTEM = ("You complete partial ServiceNow JavaScript. Reply with only the next 1-3 lines of code that most "
               "likely follow the cursor, no explanation, no code fences.")


def _context(code_before: str, code_after: str | None) -> str:
    text = f"Code before the cursor:\n{last_lines(code_before, CONTEXT_LINES)}\n<cursor>"
    if code_after:
        text += f"\nCode after the cursor:\n{last_lines(code_after, 5)}"
    return text


def describe_intent(llm, code_before: str, code_after: str | None = None) -> str:
    return llm.complete(INTENT_SYSTEM, _context(code_before, code_after), prompt_version=INTENT_VERSION,
                        max_tokens=80).text.strip()


def hypothetical_completion(llm, code_before: str, code_after: str | None = None) -> str:
    text = llm.complete(HYDE_SYSTEM, _context(code_before, code_after), prompt_version=HYDE_VERSION,
                        max_tokens=120).text.strip()
    return text.removeprefix("```javascript").removeprefix("```js").removeprefix("```").removesuffix("```").strip()
