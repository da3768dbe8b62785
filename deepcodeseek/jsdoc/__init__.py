"""JSDoc summaries of Script Includes: one model, an LLM backend and a static backend."""

from deepcodeseek.jsdoc.model import MethodDoc, NamespaceDoc, ParamDoc

__all__ = ["MethodDoc", "NamespaceDoc", "ParamDoc"]
