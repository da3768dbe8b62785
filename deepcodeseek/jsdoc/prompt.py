"""The prompt that asks an LLM for the JSDoc of one Script Include.

The answer feeds the retrieval index, where JSDoc text is the best-performing document
form: it must describe what a developer *calling* the Script Include needs (purpose, when
to use it, each public method), not how it is implemented. The model returns JSON in the
:class:`~deepcodeseek.jsdoc.model.NamespaceDoc` shape so both backends produce one format.

``PROMPT_VERSION`` is part of the LLM cache key: change it whenever the wording or the
requested shape changes, or re-runs would keep serving answers to the old prompt.
"""

from __future__ import annotations

from deepcodeseek.jsdoc.model import NamespaceDoc

PROMPT_VERSION = "jsdoc-v1"

#: Scripts longer than this are cut; large includes would otherwise blow the token budget
#: (and the bill) while the first part nearly always shows the class and its methods.
MAX_SCRIPT_CHARS = 24_000

SYSTEM_PROMPT = """\
You are a senior ServiceNow developer writing API documentation (JSDoc) for Script Includes.
Your documentation is read by developers (and code-completion tools) who want to CALL the
Script Include from their own server-side scripts, so describe what each public method
does, what to pass and what comes back, not how it is implemented.

Rules:
- Reply with ONLY one JSON object, no prose before or after it, no Markdown fences.
- Use exactly this shape:
  {"description": string,
   "extends": string or null,
   "methods": [{"name": string,
                "description": string,
                "params": [{"name": string, "type": string, "description": string}],
                "returns_type": string,
                "returns_description": string,
                "is_static": boolean}]}
- "description": one to three sentences: the purpose of the Script Include and when to use it.
- "extends": the base class (for example "AbstractAjaxProcessor") or null.
- List every public method. Skip methods whose names start with an underscore (private by
  convention) and the "type" property. Include "initialize" only if it takes parameters;
  then describe it as the constructor.
- Types are JavaScript or Glide types (string, number, boolean, Object, Array, GlideRecord,
  GlideDateTime, void, ...). Use "" when you cannot tell.
- "is_static" is true for methods called on the namespace itself (X.method()), false for
  methods called on an instance (new X().method()).
- Never invent methods that are not in the script.
"""


def build_prompt(
    namespace: str,
    api_name: str,
    scope: str,
    script: str,
    static_hint: NamespaceDoc | None = None,
) -> str:
    """The user prompt for one Script Include.

    ``static_hint`` is what static analysis found; it is offered as a checklist of method
    names and parameters, which matters most when the script had to be truncated and the
    model cannot see the later methods.
    """
    truncated = len(script) > MAX_SCRIPT_CHARS
    shown = script[:MAX_SCRIPT_CHARS] if truncated else script

    parts = [
        f"Script Include: {namespace}",
        f"API name: {api_name}",
        f"Application scope: {scope}",
        "",
    ]
    if truncated:
        parts += [
            f"NOTE: the script is {len(script):,} characters long; only the first "
            f"{MAX_SCRIPT_CHARS:,} are shown below. Document the methods listed by static "
            "analysis even if their bodies are cut off, from their names and parameters.",
            "",
        ]
    parts += ["Script:", "```javascript", shown, "```", ""]
    if static_hint is not None and static_hint.methods:
        parts += [
            "Static analysis found these members (it may be incomplete or wrong; the script wins):",
            static_hint.render(),
            "",
        ]
    parts.append(
        "Return the JSON object described in the instructions for this Script Include, "
        "and nothing else."
    )
    return "\n".join(parts)
