"""Structured JSDoc for a Script Include namespace and its methods.

Both backends (LLM and static analysis) produce this one shape, so documents, the
knowledge graph and the index never care which backend wrote a summary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ParamDoc:
    name: str
    type: str = ""
    description: str = ""


@dataclass
class MethodDoc:
    name: str
    description: str = ""
    params: list[ParamDoc] = field(default_factory=list)
    returns_type: str = ""
    returns_description: str = ""
    is_static: bool = False
    calls: list[str] = field(default_factory=list)

    def signature(self) -> str:
        return f"{self.name}({', '.join(p.name for p in self.params)})"


@dataclass
class NamespaceDoc:
    """The JSDoc of one Script Include (one API namespace)."""

    namespace: str
    api_name: str
    description: str = ""
    extends: str | None = None
    methods: list[MethodDoc] = field(default_factory=list)
    backend: str = "static"  # which backend wrote it: "static" or "llm:<model>"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NamespaceDoc":
        methods = [
            MethodDoc(
                name=str(m["name"]),
                description=str(m.get("description") or ""),
                params=[ParamDoc(**_param_fields(p)) for p in m.get("params") or []],
                returns_type=str(m.get("returns_type") or ""),
                returns_description=str(m.get("returns_description") or ""),
                is_static=bool(m.get("is_static", False)),
                calls=[str(c) for c in m.get("calls") or []],
            )
            for m in data.get("methods") or []
        ]
        return cls(
            namespace=str(data["namespace"]),
            api_name=str(data.get("api_name") or data["namespace"]),
            description=str(data.get("description") or ""),
            extends=data.get("extends") or None,
            methods=methods,
            backend=str(data.get("backend") or "static"),
        )

    @classmethod
    def from_json(cls, text: str) -> "NamespaceDoc":
        return cls.from_dict(json.loads(text))

    def render(self) -> str:
        """JSDoc text, the paper's best index form: class comment then one block per method."""
        lines = ["/**", f" * @namespace {self.api_name}"]
        if self.description:
            lines += [f" * {row}" for row in self.description.splitlines()]
        if self.extends:
            lines.append(f" * @extends {self.extends}")
        lines.append(" */")
        for m in self.methods:
            lines.append("/**")
            if m.description:
                lines += [f" * {row}" for row in m.description.splitlines()]
            for p in m.params:
                typ = f"{{{p.type}}} " if p.type else ""
                lines.append(f" * @param {typ}{p.name}{' - ' + p.description if p.description else ''}".rstrip())
            if m.returns_type or m.returns_description:
                typ = f"{{{m.returns_type}}} " if m.returns_type else ""
                lines.append(f" * @returns {typ}{m.returns_description}".rstrip())
            if m.is_static:
                lines.append(" * @static")
            lines.append(" */")
            lines.append(f"{self.namespace}.{m.signature()}")
        return "\n".join(lines)


def _param_fields(p: Any) -> dict[str, str]:
    if isinstance(p, str):
        return {"name": p}
    return {
        "name": str(p.get("name", "")),
        "type": str(p.get("type") or ""),
        "description": str(p.get("description") or ""),
    }
