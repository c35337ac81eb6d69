"""Pure conversion of LangChain tools and ``tool_choice`` into Gemini's shapes.

Function tools become ``functionDeclarations`` whose parameters travel as full
JSON Schema in ``parametersJsonSchema`` (constraints, ``$defs``/``$ref``,
``anyOf`` and recursion intact), not the lossy OpenAPI subset of
``parameters``. Gemini's built-in tools pass through as their own tool entries.
See https://ai.google.dev/api/caching#Tool
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin, get_type_hints

from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from typing_extensions import NotRequired, ReadOnly, Required, is_typeddict

from langchain_cometgemini._profiles import GENERATION_3

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

__all__ = [
    "BUILTIN_TOOLS",
    "FUNCTION_NAME",
    "SERVER_SIDE_FLAG",
    "check_function_name",
    "combined_tool_config",
    "convert_tools",
    "inline_root_ref",
    "openai_tool",
    "response_format_settings",
    "response_json_schema",
    "schema_of",
    "strict_tool_config",
    "tool_config",
]

BUILTIN_TOOLS = {
    "google_search": "googleSearch",
    "google_search_retrieval": "googleSearchRetrieval",
    "google_maps": "googleMaps",
    "code_execution": "codeExecution",
    "url_context": "urlContext",
    "file_search": "fileSearch",
    "computer_use": "computerUse",
    "mcp_servers": "mcpServers",
}
_BUILTIN_WIRE = {wire: wire for wire in BUILTIN_TOOLS.values()} | BUILTIN_TOOLS

FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
"""Gemini's rule for function names: start with a letter or an underscore, then
a-z, A-Z, 0-9, underscores, dots, colons and dashes; at most 64 characters.
See https://ai.google.dev/api/caching#FunctionDeclaration (the characters and
length) and the google-genai SDK's ``FunctionDeclaration.name`` (the first
character, https://googleapis.github.io/java-genai/javadoc/google-genai/com.google.genai.types/-function-declaration/-builder/name.html)."""

# Keys of a one-key dict that is a tool definition, not a built-in tool.
_DEFINITION_KEYS = frozenset(
    {"type", "function", "name", "title", "properties", "parameters", "description"}
)

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
    return dict(_v1_defs(model.schema()))  # type: ignore[attr-defined]


def _v1_defs(schema: Any) -> Any:
    """Pydantic v1 ``definitions`` -> ``$defs`` (refs rewritten to match).

    Gemini documents ``$defs``/``$ref`` for ``parametersJsonSchema`` and
    ``responseJsonSchema``; v1 models emit the draft-07 ``definitions``
    spelling, so the same sub-schemas are moved, not dropped.
    """
    if isinstance(schema, list):
        return [_v1_defs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/definitions/", "#/$defs/", 1)
        elif key == "definitions" and isinstance(value, dict):
            out["$defs"] = {k: _v1_defs(v) for k, v in value.items()}
        else:
            out[key] = _v1_defs(value)
    return out


def _own_doc(cls: type) -> str:
    """The class's own docstring (not one inherited from ``BaseModel``)."""
    doc = cls.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def inline_root_ref(schema: dict[str, Any]) -> dict[str, Any]:
    """``{"$ref": "#/$defs/X", "$defs": ...}`` -> X's body at the root.

    A recursive model's schema is only a reference at its root; a function's
    parameters must be an object schema, so X is copied to the root while
    ``$defs`` (still needed by the recursive references) stays.
    """
    ref = schema.get("$ref")
    defs = schema.get("$defs")
    if not (
        isinstance(ref, str) and ref.startswith("#/$defs/") and isinstance(defs, dict)
    ):
        return schema
    target = defs.get(ref.removeprefix("#/$defs/"))
    if not isinstance(target, dict):
        return schema
    rest = {k: v for k, v in schema.items() if k != "$ref"}
    return {**target, **rest}


_QUALIFIERS = (Required, NotRequired, ReadOnly)
_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$", re.M)
_ARG_LINE = re.compile(r"^\s+(\w+)(?:\s*\([^)]*\))?:\s*(.+)$")


def _typed_dict_schema(td: type) -> tuple[str, str, dict[str, Any]]:
    """A TypedDict -> (name, description, JSON schema) with constraints intact.

    langchain-core's converter loses ``Field`` constraints, fails on
    ``NotRequired`` and recursion, and leaks ``dict``'s docstring into nested
    objects; pydantic's ``TypeAdapter`` has none of those faults. Kept from
    LangChain's conventions: ``Annotated[T, default, "description"]`` and a
    Google-style ``Args:`` section describing fields.
    """
    raw = dict(TypeAdapter(td).json_schema())
    raw = inline_root_ref(raw)
    name = str(raw.pop("title", td.__name__))
    raw.pop("description", None)
    doc = _own_doc(td)
    header = _ARGS_HEADER.search(doc)
    described: dict[str, str] = {}
    if header:
        for line in doc[header.end() :].splitlines():
            match = _ARG_LINE.match(line)
            if match:
                described[match.group(1)] = match.group(2).strip()
        doc = doc[: header.start()].strip()
    properties = raw.get("properties")
    if isinstance(properties, dict):
        for field, hint in get_type_hints(td, include_extras=True).items():
            prop = properties.get(field)
            if not isinstance(prop, dict):
                continue
            _annotated_extras(hint, prop)
            if field in described:
                prop.setdefault("description", described[field])
    return name, doc, raw


def _annotated_extras(hint: Any, prop: dict[str, Any]) -> None:
    """Apply LangChain's ``Annotated[T, default, "description"]`` convention."""
    while get_origin(hint) in _QUALIFIERS:
        hint = get_args(hint)[0]
    if get_origin(hint) is not Annotated:
        return
    extras = [m for m in get_args(hint)[1:] if not isinstance(m, FieldInfo)]
    if extras and isinstance(extras[-1], str):
        prop.setdefault("description", extras[-1])
        extras = extras[:-1]
    if extras and extras[0] is not ... and _is_json_value(extras[0]):
        prop.setdefault("default", extras[0])


def _is_json_value(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def _function_tool(func: Callable[..., Any]) -> BaseTool:
    """A plain function as a tool: docstring ``Args:`` parsed when present."""
    from langchain_core.tools import StructuredTool

    return StructuredTool.from_function(
        func,
        description=None if func.__doc__ else "",
        parse_docstring=True,
        error_on_invalid_docstring=False,
    )


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
    # Imported on use: langchain_core.tools adds ~15 ms to importing this package.
    from langchain_core.tools import BaseTool

    if _is_pydantic_class(schema):
        raw = _pydantic_schema(schema)
        if "$ref" in raw:  # a recursive model: its root is a reference
            raw = inline_root_ref(raw)
        name = raw.pop("title", schema.__name__)
        description = raw.pop("description", None) or _own_doc(schema)
        return str(name), str(description), raw
    if is_typeddict(schema):
        return _typed_dict_schema(schema)
    if (
        callable(schema)
        and inspect.isfunction(schema)
        and not isinstance(schema, BaseTool)
    ):
        # Not convertible that way? Then langchain-core's converter below.
        with contextlib.suppress(TypeError, ValueError):
            schema = _function_tool(schema)
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
    check_function_name(name)
    declaration: dict[str, Any] = {"name": name, "parametersJsonSchema": parameters}
    if description:
        declaration["description"] = description
    return declaration


def check_function_name(name: Any) -> None:
    """``ValueError`` for a function name Gemini refuses (see ``FUNCTION_NAME``)."""
    if not isinstance(name, str) or not FUNCTION_NAME.fullmatch(name):
        raise ValueError(
            f"Tool name {name!r} is not a valid Gemini function name: it must "
            "start with a letter or '_', hold only a-z, A-Z, 0-9, '_', '.', ':' "
            "or '-', and be at most 64 characters. Rename the tool (for a "
            "@tool function: @tool('valid_name'))."
        )


def _builtin(tool: Mapping[str, Any]) -> dict[str, Any] | None:
    """A built-in tool dict in either spelling -> its wire entry, else None.

    The entry is sent in Google's ``Tool`` shape: the configuration's keys in
    camelCase (``file_search_store_names`` -> ``fileSearchStoreNames``), the
    keys of ``headers`` maps left as written. ``mcp_servers`` takes a list of
    servers, each with a ``name``. A one-key dict whose value is a dict and
    whose key names no built-in and no part of a tool definition is a
    misspelt built-in: ``ValueError`` lists the known ones (and the closest).
    """
    if len(tool) == 1:
        ((key, value),) = tool.items()
        wire = _BUILTIN_WIRE.get(key)
        if wire == "mcpServers":
            return {wire: _mcp_servers(value)}
        if wire is not None:
            if value is not None and not isinstance(value, Mapping):
                raise ValueError(
                    f"Built-in tool {key!r} takes a dict of settings (or {{}}), "
                    f"got {value!r}"
                )
            return {wire: _camel_keys(dict(value or {}))}
        if (value is None or isinstance(value, Mapping | list)) and key not in (
            _DEFINITION_KEYS
        ):
            close = difflib.get_close_matches(str(key), list(_BUILTIN_WIRE), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown built-in tool {key!r}.{hint} Known built-ins: "
                f"{', '.join(sorted(BUILTIN_TOOLS))} (or their camelCase wire "
                "names)."
            )
    return None


def _mcp_servers(value: Any) -> list[dict[str, Any]]:
    """``mcp_servers``: a list of ``{"name", "streamable_http_transport"...}``.

    See https://ai.google.dev/api/caching#McpServer
    """
    servers = value if isinstance(value, list | tuple) else None
    if not servers or not all(
        isinstance(s, Mapping) and isinstance(s.get("name"), str) and s["name"]
        for s in servers
    ):
        raise ValueError(
            "Built-in tool 'mcp_servers' takes a list of servers, each a dict with "
            f"a 'name' (and 'streamable_http_transport'), got {value!r}"
        )
    return [_camel_keys(dict(server)) for server in servers]


_KEPT_AS_WRITTEN = frozenset({"headers"})  # user maps: header names stay


def _camel_keys(value: Any) -> Any:
    """Dict keys in camelCase, at every level but inside ``headers``."""
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        head, *rest = str(key).split("_")
        camel = head + "".join(word[:1].upper() + word[1:] for word in rest)
        out[camel] = item if camel in _KEPT_AS_WRITTEN else _camel_keys(item)
    return out


def convert_tools(
    tools: Sequence[Mapping[str, Any] | type | Callable[..., Any] | BaseTool],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Tools -> (Gemini ``tools`` list, names of the function tools).

    All function declarations go in one ``Tool`` entry, followed by one entry
    per built-in tool. Identical declarations are sent once; two different
    tools with one name are an error.
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
                    check_function_name(decl.get("name"))
                    declarations.append(dict(decl))
                continue
        declarations.append(_declaration(tool))
    # The same tool given twice (a pydantic class and its JSON schema, say) is
    # sent once; two different tools under one name remain an error.
    declarations = [d for i, d in enumerate(declarations) if d not in declarations[:i]]
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
        raw = choice.get(
            "functionCallingConfig", choice.get("function_calling_config", choice)
        )
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


SERVER_SIDE_FLAG = "includeServerSideToolInvocations"
"""``toolConfig`` key Gemini 3+ needs when built-in tools and function
declarations share a request (without it the service answers 400). See
https://ai.google.dev/gemini-api/docs/tool-combination"""


def combined_tool_config(
    tools: Sequence[Mapping[str, Any]] | None,
    config: Mapping[str, Any] | None,
    generation: str | None,
) -> dict[str, Any] | None:
    """``toolConfig`` for ``tools``: with built-ins mixed with functions on
    Gemini 3+ (``generation == "3"``), :data:`SERVER_SIDE_FLAG` set beside any
    ``functionCallingConfig``; a value the caller set in a raw ``tool_config``
    wins. Otherwise ``config`` as given (2.5 and other models do not know it).
    """
    current = dict(config) if config else None
    if generation != GENERATION_3 or not tools:
        return current
    functions = any(tool.get("functionDeclarations") for tool in tools)
    builtins = any(key != "functionDeclarations" for tool in tools for key in tool)
    if not (functions and builtins):
        return current
    combined = current or {}
    combined.setdefault(SERVER_SIDE_FLAG, True)
    return combined


def strict_tool_config(
    config: dict[str, Any] | None, names: Sequence[str]
) -> dict[str, Any] | None:
    """``bind_tools(strict=True)``: calls must follow the declared schemas.

    Gemini has no per-tool ``strict`` flag; its ``VALIDATED`` calling mode is
    the equivalent ("function calls are schema-validated", see
    https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes).
    So an unset or ``AUTO`` choice becomes ``VALIDATED``; ``ANY`` (and a named
    function) already constrain calls to the schema and ``NONE`` makes no
    calls, so those stay as they are. Without function tools there is nothing
    to validate.
    """
    if not names:
        return config
    calling = dict((config or {}).get("functionCallingConfig") or {})
    if str(calling.get("mode", "AUTO")).upper() != "AUTO":
        return config
    calling["mode"] = "VALIDATED"
    return {"functionCallingConfig": calling}


_JSON = "application/json"


def response_format_settings(response_format: Any) -> dict[str, Any]:
    """``bind_tools(response_format=...)`` -> the generation settings to bind.

    Accepts a pydantic class, a TypedDict, a JSON Schema dict, or OpenAI's
    ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}``
    (what ``langchain.agents.ProviderStrategy`` passes) and
    ``{"type": "json_object"}`` (JSON without a schema). The schema goes out
    as ``generationConfig.responseJsonSchema`` with a JSON MIME type. OpenAI's
    ``strict`` has no Gemini counterpart and needs none: Gemini always keeps
    to a given response schema
    (https://ai.google.dev/gemini-api/docs/structured-output).
    """
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind == "json_object":
            return {"response_mime_type": _JSON}
        if kind == "json_schema":
            inner = response_format.get("json_schema")
            schema = inner.get("schema") if isinstance(inner, Mapping) else None
            if not isinstance(schema, Mapping):
                raise ValueError(
                    "response_format {'type': 'json_schema', ...} needs "
                    "'json_schema': {'name': ..., 'schema': {...}}; got "
                    f"{response_format!r}"
                )
            return {"response_mime_type": _JSON, "response_json_schema": dict(schema)}
        if not any(key in response_format for key in ("type", "$ref", "anyOf")):
            raise ValueError(
                "response_format must be a pydantic class, a TypedDict, a JSON "
                "Schema dict or {'type': 'json_schema', 'json_schema': {...}}; "
                f"got {response_format!r}"
            )
    elif not (_is_pydantic_class(response_format) or is_typeddict(response_format)):
        raise ValueError(
            "response_format must be a pydantic class, a TypedDict, a JSON Schema "
            f"dict or {{'type': 'json_schema', ...}}; got {response_format!r}"
        )
    return {
        "response_mime_type": _JSON,
        "response_json_schema": response_json_schema(response_format),
    }


def response_json_schema(schema: Any) -> dict[str, Any]:
    """An output schema -> ``generationConfig.responseJsonSchema``.

    Pydantic schemas go as pydantic writes them (a recursive model's root
    ``$ref`` included: the service accepts it); JSON Schema dicts go as given;
    TypedDicts and other shapes as ``schema_of`` converts them, titled.
    """
    if _is_pydantic_class(schema):
        return _pydantic_schema(schema)
    if isinstance(schema, Mapping) and (
        "type" in schema or "$ref" in schema or "anyOf" in schema
    ):
        return dict(schema)
    name, description, parameters = schema_of(schema)
    titled: dict[str, Any] = {"title": name}
    if description:
        titled["description"] = description
    return {**titled, **parameters}


def openai_tool(schema: Any) -> dict[str, Any]:
    """OpenAI-format tool dict of a schema (for ``ls_structured_output_format``).

    Built from ``schema_of`` so tracing metadata shows the schema actually
    sent; an untitled JSON Schema is named ``structured_output``.
    """
    try:
        name, description, parameters = schema_of(schema)
    except (ValueError, TypeError):
        if not isinstance(schema, Mapping):
            raise
        name = str(schema.get("title", "structured_output"))
        description = str(schema.get("description", ""))
        parameters = {
            k: v for k, v in schema.items() if k not in ("title", "description")
        }
    function: dict[str, Any] = {"name": name, "parameters": parameters}
    if description:
        function["description"] = description
    return {"type": "function", "function": function}
