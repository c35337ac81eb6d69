"""Pure conversion of LangChain tools and ``tool_choice`` into Gemini's shapes.

Function tools become ``functionDeclarations`` whose parameters travel as full
JSON Schema in ``parametersJsonSchema`` (constraints, ``$defs``/``$ref``,
``anyOf`` and recursion intact), not the lossy OpenAPI subset of
``parameters``. Gemini's built-in tools pass through as their own tool entries.
See https://ai.google.dev/api/caching#Tool
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

__all__ = ["BUILTIN_TOOLS", "convert_tools", "schema_of", "tool_config"]

BUILTIN_TOOLS = {
    "google_search": "googleSearch",
    "google_search_retrieval": "googleSearchRetrieval",
    "google_maps": "googleMaps",
    "code_execution": "codeExecution",
    "url_context": "urlContext",
    "file_search": "fileSearch",
    "computer_use": "computerUse",
}
_BUILTIN_WIRE = {wire: wire for wire in BUILTIN_TOOLS.values()} | BUILTIN_TOOLS

_MODES = {
    "auto": "AUTO",
    "none": "NONE",
    "any": "ANY",
    "required": "ANY",
    "validated": "VALIDATED",
}


def _pydantic_schema(model: type) -> dict[str, Any]:
    if hasattr(model, "model_json_schema"):
        return dict(model.model_json_schema())
    return dict(model.schema())  # pydantic v1 model


def _is_pydantic_class(obj: Any) -> bool:
    if not isinstance(obj, type):
        return False
    if issubclass(obj, BaseModel):
        return True
    try:
        from pydantic.v1 import BaseModel as V1BaseModel
    except ImportError:  # pragma: no cover
        return False
    return issubclass(obj, V1BaseModel)


def schema_of(schema: Any) -> tuple[str, str, dict[str, Any]]:
    """(name, description, JSON schema) of a tool or output schema.

    Pydantic classes keep their own JSON Schema (with ``$defs``); other shapes
    go through langchain-core's converter.
    """
    if _is_pydantic_class(schema):
        raw = _pydantic_schema(schema)
        name = raw.pop("title", schema.__name__)
        description = raw.pop("description", None) or inspect.getdoc(schema) or ""
        return str(name), str(description), raw
    if isinstance(schema, BaseTool) and _is_pydantic_class(schema.tool_call_schema):
        raw = _pydantic_schema(schema.tool_call_schema)  # type: ignore[arg-type]
        raw.pop("title", None)
        raw.pop("description", None)
        return schema.name, schema.description or "", raw
    if isinstance(schema, Mapping) and "name" in schema and "parameters" in schema:
        return (
            str(schema["name"]),
            str(schema.get("description", "")),
            dict(schema["parameters"]),
        )
    if isinstance(schema, Mapping) and "title" in schema and "type" not in schema:
        raise ValueError(
            f"Tool schema {schema.get('title')!r} has no 'type'; a JSON Schema "
            "for a tool must describe an object."
        )
    if (
        isinstance(schema, Mapping)
        and "title" in schema
        and schema.get("type") == "object"
    ):
        raw = dict(schema)
        name = raw.pop("title")
        description = raw.pop("description", "")
        return str(name), str(description), raw
    function = convert_to_openai_tool(schema)["function"]
    return (
        function["name"],
        function.get("description", ""),
        dict(function.get("parameters") or {"type": "object", "properties": {}}),
    )


def _declaration(tool: Any) -> dict[str, Any]:
    name, description, parameters = schema_of(tool)
    if parameters.get("type", "object") != "object":
        raise ValueError(
            f"Tool {name!r}: parameters must be a JSON Schema of type 'object', "
            f"got type {parameters.get('type')!r}."
        )
    parameters.setdefault("type", "object")
    declaration: dict[str, Any] = {"name": name, "parametersJsonSchema": parameters}
    if description:
        declaration["description"] = description
    return declaration


def _builtin(tool: Mapping[str, Any]) -> dict[str, Any] | None:
    """A built-in tool dict in either spelling -> its wire entry, else None."""
    if len(tool) == 1:
        (key, value), = tool.items()
        wire = _BUILTIN_WIRE.get(key)
        if wire is not None:
            return {wire: dict(value or {})}
    return None


def convert_tools(
    tools: Sequence[Mapping[str, Any] | type | Callable[..., Any] | BaseTool],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Tools -> (Gemini ``tools`` list, names of the function tools).

    All function declarations go in one ``Tool`` entry, followed by one entry
    per built-in tool. Duplicate function names are an error.
    """
    declarations: list[dict[str, Any]] = []
    builtins: list[dict[str, Any]] = []
    for tool in tools:
        if isinstance(tool, Mapping):
            builtin = _builtin(tool)
            if builtin is not None:
                builtins.append(builtin)
                continue
            if "functionDeclarations" in tool or "function_declarations" in tool:
                for decl in tool.get("functionDeclarations") or tool.get(
                    "function_declarations", []
                ):
                    declarations.append(dict(decl))
                continue
        declarations.append(_declaration(tool))
    names = [d["name"] for d in declarations]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Duplicate tool names: {duplicates}")
    entries = [{"functionDeclarations": declarations}] if declarations else []
    return entries + builtins, names


def tool_config(choice: Any, names: Sequence[str]) -> dict[str, Any] | None:
    """``tool_choice`` -> ``toolConfig`` (``functionCallingConfig``).

    Accepts ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True``,
    ``"validated"``, a tool name, a list of names, an OpenAI-style
    ``{"type": "function", "function": {"name": ...}}`` or a raw
    ``functionCallingConfig`` dict. A name that is not bound is an error.
    """
    if choice is None or choice is False:
        return None
    config: dict[str, Any]
    if choice is True:
        config = {"mode": "ANY"}
    elif isinstance(choice, str) and choice.lower() in _MODES:
        config = {"mode": _MODES[choice.lower()]}
    elif isinstance(choice, str):
        config = {"mode": "ANY", "allowedFunctionNames": [choice]}
    elif isinstance(choice, list | tuple):
        config = {"mode": "ANY", "allowedFunctionNames": [str(n) for n in choice]}
    elif isinstance(choice, Mapping) and "function" in choice:
        config = {"mode": "ANY", "allowedFunctionNames": [choice["function"]["name"]]}
    elif isinstance(choice, Mapping):
        raw = choice.get("functionCallingConfig", choice.get("function_calling_config", choice))
        config = {
            {"allowed_function_names": "allowedFunctionNames"}.get(k, k): v
            for k, v in dict(raw).items()
        }
        if isinstance(config.get("mode"), str):
            config["mode"] = config["mode"].upper()
    else:
        raise ValueError(f"Unsupported tool_choice {choice!r}")
    unknown = [n for n in config.get("allowedFunctionNames", []) if n not in names]
    if unknown:
        raise ValueError(
            f"tool_choice names {unknown} but the bound tools are {list(names)}"
        )
    return {"functionCallingConfig": config}
