"""The serving path: query forms and the loaded :class:`Retriever`."""

from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, METHODS, Result, Retriever

__all__ = ["DEFAULT_METHOD", "METHODS", "Result", "Retriever"]
