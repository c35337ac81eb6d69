"""Tool calling over the loopback emulator: what ``bind_tools`` sends, how
``tool_choice`` maps to ``toolConfig``, how ``functionCall`` parts become
``tool_calls`` (unary and streamed) and how ``ToolMessage``s go back as
``functionResponse`` parts.

Every assertion reads the request body the emulator received, so it checks the
wire format, not an intermediate structure.
"""

from __future__ import annotations

import enum
import operator
import warnings
from functools import reduce
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from langchain_core._api.beta_decorator import LangChainBetaWarning
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import StructuredTool, tool
from pydantic import BaseModel, Field
from pydantic import v1 as pydantic_v1
from typing_extensions import NotRequired, TypedDict

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply

PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx"
    "0gAAAABJRU5ErkJggg=="
)


def llm_for(
    emulator: GeminiEmulator, model: str = "gemini-2.5-flash"
) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key="test", model=model)


def answer(*parts: dict[str, Any], finish: str = "STOP") -> dict[str, Any]:
    """A unary ``GenerateContentResponse`` with one candidate."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": list(parts)},
                "finishReason": finish,
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 5,
            "candidatesTokenCount": 3,
            "totalTokenCount": 8,
        },
        "modelVersion": "gemini-2.5-flash",
    }


def event(*parts: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """One streamed event; ``finish`` marks the last."""
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}


def call(name: str, args: Any, call_id: str | None = None) -> dict[str, Any]:
    fc: dict[str, Any] = {"name": name, "args": args}
    if call_id:
        fc["id"] = call_id
    return {"functionCall": fc}


OK = answer({"text": "ok"})


def sent(emulator: GeminiEmulator, index: int = -1) -> dict[str, Any]:
    body = emulator.requests[index].body
    assert isinstance(body, dict)
    return body


def declarations(emulator: GeminiEmulator) -> list[dict[str, Any]]:
    tools = sent(emulator)["tools"]
    assert len(tools) == 1 and list(tools[0]) == ["functionDeclarations"]
    return list(tools[0]["functionDeclarations"])


# -- the tool kinds bind_tools accepts ------------------------------------------


class GetWeather(BaseModel):
    """Weather for a city."""

    city: str = Field(description="City name", min_length=2)
    unit: Literal["c", "f"] = "c"


class GetWeatherV1(pydantic_v1.BaseModel):
    """Weather for a city."""

    city: str = pydantic_v1.Field(description="City name", min_length=2)
    days: int = pydantic_v1.Field(3, ge=1, le=10)


class GetWeatherDict(TypedDict):
    """Weather for a city."""

    city: Annotated[str, ..., "City name"]
    days: Annotated[int, Field(ge=1, le=10)]


def get_weather(city: str, days: int = 3) -> str:
    """Weather for a city.

    Args:
        city: City name
        days: How many days
    """
    return f"{city}: sunny for {days} days"


@tool
def weather_tool(city: Annotated[str, Field(min_length=2)]) -> str:
    """Weather for a city."""
    return f"{city}: sunny"


class RunnableArgs(BaseModel):
    city: str = Field(min_length=2)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", LangChainBetaWarning)  # as_tool is beta in core
    RUNNABLE_TOOL = RunnableLambda(lambda d: f"{d['city']}: sunny").as_tool(
        name="city_weather",
        description="Weather for a city.",
        args_schema=RunnableArgs,
    )


WEATHER_JSON_SCHEMA = {
    "title": "get_weather",
    "description": "Weather for a city.",
    "type": "object",
    "properties": {"city": {"type": "string", "minLength": 2}},
    "required": ["city"],
}

OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "pattern": "^[A-Z]"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}

TOOL_KINDS: dict[str, tuple[Any, dict[str, Any]]] = {
    "pydantic_v2": (
        GetWeather,
        {
            "name": "GetWeather",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {
                        "type": "string",
                        "title": "City",
                        "description": "City name",
                        "minLength": 2,
                    },
                    "unit": {
                        "enum": ["c", "f"],
                        "type": "string",
                        "title": "Unit",
                        "default": "c",
                    },
                },
                "required": ["city"],
            },
        },
    ),
    "pydantic_v1": (
        GetWeatherV1,
        {
            "name": "GetWeatherV1",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {
                        "type": "string",
                        "title": "City",
                        "description": "City name",
                        "minLength": 2,
                    },
                    "days": {
                        "type": "integer",
                        "title": "Days",
                        "default": 3,
                        "minimum": 1,
                        "maximum": 10,
                    },
                },
                "required": ["city"],
            },
        },
    ),
    "typed_dict": (
        GetWeatherDict,
        {
            "name": "GetWeatherDict",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {
                        "type": "string",
                        "title": "City",
                        "description": "City name",
                    },
                    "days": {
                        "type": "integer",
                        "title": "Days",
                        "minimum": 1,
                        "maximum": 10,
                    },
                },
                "required": ["city", "days"],
            },
        },
    ),
    "json_schema": (
        WEATHER_JSON_SCHEMA,
        {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {"city": {"type": "string", "minLength": 2}},
                "required": ["city"],
            },
        },
    ),
    "openai_tool": (
        OPENAI_TOOL,
        {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parametersJsonSchema": OPENAI_TOOL["function"]["parameters"],  # type: ignore[index]
        },
    ),
    "function": (
        get_weather,
        {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {
                        "type": "string",
                        "title": "City",
                        "description": "City name",
                    },
                    "days": {
                        "type": "integer",
                        "title": "Days",
                        "description": "How many days",
                        "default": 3,
                    },
                },
                "required": ["city"],
            },
        },
    ),
    "base_tool": (
        weather_tool,
        {
            "name": "weather_tool",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "title": "City", "minLength": 2}
                },
                "required": ["city"],
            },
        },
    ),
    "runnable_as_tool": (
        RUNNABLE_TOOL,
        {
            "name": "city_weather",
            "description": "Weather for a city.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "title": "City", "minLength": 2}
                },
                "required": ["city"],
            },
        },
    ),
    "structured_tool_json_args": (
        StructuredTool(
            name="count",
            description="Count up.",
            args_schema={
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 3}},
                "required": ["n"],
            },
            func=lambda n: n,
        ),
        {
            "name": "count",
            "description": "Count up.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 3}},
                "required": ["n"],
            },
        },
    ),
}


@pytest.mark.filterwarnings(
    "ignore::langchain_core._api.beta_decorator.LangChainBetaWarning"
)
@pytest.mark.parametrize("kind", list(TOOL_KINDS))
def test_bind_tools_sends_exact_declaration(
    emulator: GeminiEmulator, kind: str
) -> None:
    tool_obj, expected = TOOL_KINDS[kind]
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([tool_obj]).invoke("weather?")
    assert declarations(emulator) == [expected]
    assert "parameters" not in declarations(emulator)[0]


BUILTINS = {
    "google_search": "googleSearch",
    "googleSearch": "googleSearch",
    "google_maps": "googleMaps",
    "googleMaps": "googleMaps",
    "code_execution": "codeExecution",
    "codeExecution": "codeExecution",
    "url_context": "urlContext",
    "urlContext": "urlContext",
}


@pytest.mark.parametrize("spelling", list(BUILTINS))
def test_builtin_tool_spellings(emulator: GeminiEmulator, spelling: str) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([{spelling: {}}]).invoke("hi")
    assert sent(emulator)["tools"] == [{BUILTINS[spelling]: {}}]


def test_builtin_tool_config_passes_through(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    maps = {"google_maps": {"enableWidget": True}}
    llm_for(emulator).bind_tools([maps]).invoke("hi")
    assert sent(emulator)["tools"] == [{"googleMaps": {"enableWidget": True}}]


def test_mixed_builtin_and_function_tools(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm = llm_for(emulator, "gemini-3-flash-preview").bind_tools(
        [{"google_search": {}}, GetWeather, {"urlContext": {}}, get_weather]
    )
    llm.invoke("hi")
    tools = sent(emulator)["tools"]
    assert tools[1:] == [{"googleSearch": {}}, {"urlContext": {}}]
    assert [d["name"] for d in tools[0]["functionDeclarations"]] == [
        "GetWeather",
        "get_weather",
    ]


def test_duplicate_tool_names_rejected(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValueError, match="Duplicate tool names"):
        llm_for(emulator).bind_tools([get_weather, WEATHER_JSON_SCHEMA])


def test_non_object_parameters_rejected(emulator: GeminiEmulator) -> None:
    bad = {"name": "f", "description": "", "parameters": {"type": "string"}}
    with pytest.raises(ValueError, match="type 'object'"):
        llm_for(emulator).bind_tools([bad])


def test_tool_without_arguments(emulator: GeminiEmulator) -> None:
    def ping() -> str:
        """Ping."""
        return "pong"

    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([ping]).invoke("hi")
    assert declarations(emulator) == [
        {
            "name": "ping",
            "description": "Ping.",
            "parametersJsonSchema": {"type": "object", "properties": {}},
        }
    ]


# -- schema table: every construct reaches parametersJsonSchema intact ---------


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip_code: str = Field(pattern=r"^\d{5}$")


class Nested(BaseModel):
    """Nested object."""

    address: Address


class WithOptional(BaseModel):
    nickname: Optional[str] = None  # noqa: UP045 - the Optional spelling is the point


class WithUnion(BaseModel):
    value: Union[int, str]  # noqa: UP007 - the Union spelling is the point


class WithEnum(BaseModel):
    color: Color


class WithList(BaseModel):
    tags: list[str] = Field(min_length=1, max_length=5)


class WithDict(BaseModel):
    scores: dict[str, float]


class TreeNode(BaseModel):
    """A node in a tree."""

    value: str
    children: list[TreeNode] = []


class Constrained(BaseModel):
    age: int = Field(ge=0, le=150)
    ratio: float = Field(gt=0, lt=1)
    code: str = Field(pattern=r"^[A-Z]{3}$", min_length=3, max_length=3)
    email: str = Field(json_schema_extra={"format": "email"})
    retries: int = 3


class Closed(BaseModel):
    model_config = {"extra": "forbid"}
    name: str


class Person(TypedDict):
    """A person."""

    name: Annotated[str, Field(min_length=1)]
    age: NotRequired[Annotated[int, Field(ge=0)]]


class Tree(TypedDict):
    value: int
    kids: list[Tree]


RAW_SCHEMA = {
    "title": "raw",
    "type": "object",
    "properties": {
        "point": {
            "type": "array",
            "prefixItems": [{"type": "number"}, {"type": "number"}],
            "minItems": 2,
            "maxItems": 2,
        },
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
        "kind": {"anyOf": [{"const": "a"}, {"const": "b"}]},
        "items": {
            "type": "array",
            "items": {"$ref": "#/$defs/Item"},
            "uniqueItems": True,
        },
    },
    "$defs": {"Item": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    "required": ["point"],
}


def at(schema: dict[str, Any], *path: str) -> Any:
    """Follow ``path`` through ``schema``, resolving local ``$ref``s."""
    node: Any = schema
    for key in path:
        if isinstance(node, dict) and "$ref" in node and key not in node:
            node = resolve(schema, node["$ref"])
        node = node[key]
    if isinstance(node, dict) and "$ref" in node:
        node = resolve(schema, node["$ref"])
    return node


def resolve(schema: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = schema
    for key in ref[2:].split("/"):
        node = node[key]
    return node


# (schema, [(path, expected sub-schema items)]); each item must be present.
SCHEMA_TABLE: dict[str, tuple[Any, list[tuple[tuple[str, ...], dict[str, Any]]]]] = {
    "nested": (
        Nested,
        [
            (
                ("properties", "address", "properties", "zip_code"),
                {"pattern": r"^\d{5}$"},
            ),
            (("properties", "address"), {"required": ["street", "zip_code"]}),
        ],
    ),
    "optional": (
        WithOptional,
        [
            (
                ("properties", "nickname"),
                {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            )
        ],
    ),
    "union": (
        WithUnion,
        [
            (
                ("properties", "value"),
                {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            )
        ],
    ),
    "enum": (WithEnum, [(("properties", "color"), {"enum": ["red", "blue"]})]),
    "list": (
        WithList,
        [
            (
                ("properties", "tags"),
                {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": 5,
                },
            )
        ],
    ),
    "dict": (
        WithDict,
        [(("properties", "scores"), {"additionalProperties": {"type": "number"}})],
    ),
    "recursive": (
        TreeNode,
        [
            (
                ("properties", "children", "items", "properties", "value"),
                {"type": "string"},
            ),
            (("properties", "children", "items"), {"required": ["value"]}),
        ],
    ),
    "constraints": (
        Constrained,
        [
            (("properties", "age"), {"minimum": 0, "maximum": 150}),
            (("properties", "ratio"), {"exclusiveMinimum": 0, "exclusiveMaximum": 1}),
            (
                ("properties", "code"),
                {"pattern": "^[A-Z]{3}$", "minLength": 3, "maxLength": 3},
            ),
            (("properties", "email"), {"format": "email"}),
            (("properties", "retries"), {"default": 3}),
        ],
    ),
    "additional_properties_false": (Closed, [((), {"additionalProperties": False})]),
    "typed_dict": (
        Person,
        [
            (("properties", "name"), {"minLength": 1}),
            (("properties", "age"), {"minimum": 0}),
            ((), {"required": ["name"]}),
        ],
    ),
    "recursive_typed_dict": (
        Tree,
        [(("properties", "kids", "items", "properties", "value"), {"type": "integer"})],
    ),
    "raw_json_schema": (
        RAW_SCHEMA,
        [
            (
                ("properties", "point"),
                {
                    "prefixItems": [{"type": "number"}, {"type": "number"}],
                    "minItems": 2,
                },
            ),
            (("properties", "meta"), {"additionalProperties": {"type": "string"}}),
            (("properties", "kind"), {"anyOf": [{"const": "a"}, {"const": "b"}]}),
            (("properties", "items"), {"uniqueItems": True}),
            (("properties", "items", "items", "properties", "n"), {"type": "integer"}),
        ],
    ),
}


def assert_constraints(
    schema: dict[str, Any], expectations: list[tuple[tuple[str, ...], dict[str, Any]]]
) -> None:
    for path, expected in expectations:
        node = at(schema, *path)
        for key, value in expected.items():
            assert node.get(key) == value, (path, key, node)


@pytest.mark.parametrize("case", list(SCHEMA_TABLE))
def test_schema_table_tools(emulator: GeminiEmulator, case: str) -> None:
    schema, expectations = SCHEMA_TABLE[case]
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([schema]).invoke("hi")
    (declaration,) = declarations(emulator)
    parameters = declaration["parametersJsonSchema"]
    assert parameters["type"] == "object"  # a function's parameters are an object
    assert_constraints(parameters, expectations)


@pytest.mark.parametrize("case", list(SCHEMA_TABLE))
def test_schema_table_structured_output(emulator: GeminiEmulator, case: str) -> None:
    schema, expectations = SCHEMA_TABLE[case]
    emulator.queue(Reply(json=answer({"text": "{}"})))
    # include_raw: the parser may reject ``{}``; the request is what is checked.
    llm_for(emulator).with_structured_output(schema, include_raw=True).invoke("hi")
    config = sent(emulator)["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert_constraints(config["responseJsonSchema"], expectations)


def test_recursive_model_inlines_root_for_tools(emulator: GeminiEmulator) -> None:
    """A recursive model's root ``$ref`` becomes an object schema; ``$defs`` stay."""
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([TreeNode]).invoke("hi")
    (declaration,) = declarations(emulator)
    parameters = declaration["parametersJsonSchema"]
    assert "$ref" not in parameters
    assert parameters["properties"]["children"]["items"] == {"$ref": "#/$defs/TreeNode"}
    assert parameters["$defs"]["TreeNode"]["properties"]["value"] == {
        "title": "Value",
        "type": "string",
    }
    assert declaration["description"] == "A node in a tree."


class InnerV1(pydantic_v1.BaseModel):
    z: str = pydantic_v1.Field(regex="^z")


class OuterV1(pydantic_v1.BaseModel):
    """Outer."""

    inner: InnerV1


def test_pydantic_v1_definitions_become_defs(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([OuterV1]).invoke("hi")
    parameters = declarations(emulator)[0]["parametersJsonSchema"]
    assert "definitions" not in parameters
    assert parameters["properties"]["inner"] == {"$ref": "#/$defs/InnerV1"}
    assert parameters["$defs"]["InnerV1"]["properties"]["z"]["pattern"] == "^z"


def test_model_without_docstring_gets_no_inherited_description(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([WithEnum]).invoke("hi")
    assert "description" not in declarations(emulator)[0]


# -- tool_choice -----------------------------------------------------------------

CHOICES: list[tuple[Any, dict[str, Any]]] = [
    ("auto", {"mode": "AUTO"}),
    ("none", {"mode": "NONE"}),
    ("any", {"mode": "ANY"}),
    ("required", {"mode": "ANY"}),
    (True, {"mode": "ANY"}),
    ("get_weather", {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
    (
        ["get_weather", "GetWeather"],
        {"mode": "ANY", "allowedFunctionNames": ["get_weather", "GetWeather"]},
    ),
    (
        {"type": "function", "function": {"name": "GetWeather"}},
        {"mode": "ANY", "allowedFunctionNames": ["GetWeather"]},
    ),
    (
        {"mode": "any", "allowed_function_names": ["GetWeather"]},
        {"mode": "ANY", "allowedFunctionNames": ["GetWeather"]},
    ),
    (
        {"functionCallingConfig": {"mode": "VALIDATED"}},
        {"mode": "VALIDATED"},
    ),
]


@pytest.mark.parametrize(("choice", "expected"), CHOICES, ids=lambda v: repr(v)[:40])
def test_tool_choice(
    emulator: GeminiEmulator, choice: Any, expected: dict[str, Any]
) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([get_weather, GetWeather], tool_choice=choice).invoke(
        "hi"
    )
    assert sent(emulator)["toolConfig"] == {"functionCallingConfig": expected}


def test_no_tool_choice_sends_no_tool_config(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).bind_tools([get_weather]).invoke("hi")
    assert "toolConfig" not in sent(emulator)


@pytest.mark.parametrize("choice", ["nope", ["get_weather", "nope"]])
def test_tool_choice_unbound_name(emulator: GeminiEmulator, choice: Any) -> None:
    with pytest.raises(ValueError, match="nope"):
        llm_for(emulator).bind_tools([get_weather], tool_choice=choice)
    assert emulator.requests == []


# -- functionCall parts -> tool_calls ------------------------------------------------


def test_function_calls_become_tool_calls_in_order(emulator: GeminiEmulator) -> None:
    emulator.queue(
        Reply(
            json=answer(
                {"text": "Checking."},
                call("get_weather", {"city": "Paris"}, "call-1"),
                call("get_weather", {"city": "Rome"}),
                call("GetWeather", {"city": "Oslo", "unit": "f"}, "call-3"),
            )
        )
    )
    message = llm_for(emulator).bind_tools([get_weather, GetWeather]).invoke("hi")
    assert message.content == "Checking."
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Rome"}),
        ("GetWeather", {"city": "Oslo", "unit": "f"}),
    ]
    ids = [c["id"] for c in message.tool_calls]
    assert ids[0] == "call-1" and ids[2] == "call-3"
    assert ids[1] and len(set(ids)) == 3  # generated, distinct


def test_generated_ids_are_unique_across_identical_calls(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply(json=answer(call("ping", {}), call("ping", {}))))
    message = llm_for(emulator).invoke("hi")
    assert len({c["id"] for c in message.tool_calls}) == 2


@pytest.mark.parametrize("bad_args", [[1, 2], "city=Paris", 7])
def test_malformed_args_become_invalid_tool_calls(
    emulator: GeminiEmulator, bad_args: Any
) -> None:
    emulator.queue(
        Reply(
            json=answer(call("get_weather", bad_args, "c1"), call("ok", {"a": 1}, "c2"))
        )
    )
    message = llm_for(emulator).invoke("hi")
    assert [c["name"] for c in message.tool_calls] == ["ok"]
    (invalid,) = message.invalid_tool_calls
    assert invalid["name"] == "get_weather" and invalid["id"] == "c1"
    assert invalid["error"]


def _stream(
    emulator: GeminiEmulator, events: list[dict[str, Any]]
) -> list[AIMessageChunk]:
    emulator.queue(Reply(events=events))
    return list(llm_for(emulator).stream("hi"))


def test_stream_two_events_each_with_a_call(emulator: GeminiEmulator) -> None:
    chunks = _stream(
        emulator,
        [
            event(call("get_weather", {"city": "Paris"})),
            event(call("get_weather", {"city": "Rome"}), finish="STOP"),
        ],
    )
    tool_chunks = [tc for c in chunks for tc in c.tool_call_chunks]
    assert len(tool_chunks) == 2
    assert tool_chunks[0]["index"] != tool_chunks[1]["index"]
    total = reduce(operator.add, chunks)
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Rome"}),
    ]
    assert len({c["id"] for c in total.tool_calls}) == 2
    assert total.invalid_tool_calls == []


def test_stream_one_event_with_two_calls(emulator: GeminiEmulator) -> None:
    chunks = _stream(
        emulator,
        [
            event({"text": "Let me check."}),
            event(
                call("get_weather", {"city": "Paris"}, "a"),
                call("get_time", {"tz": "CET"}, "b"),
                finish="STOP",
            ),
        ],
    )
    tool_chunks = [tc for c in chunks for tc in c.tool_call_chunks]
    assert [tc["index"] for tc in tool_chunks] == [0, 1]
    total = reduce(operator.add, chunks)
    assert total.content == "Let me check."
    assert [(c["id"], c["name"], c["args"]) for c in total.tool_calls] == [
        ("a", "get_weather", {"city": "Paris"}),
        ("b", "get_time", {"tz": "CET"}),
    ]


def test_stream_and_invoke_agree_on_tool_calls(emulator: GeminiEmulator) -> None:
    parts = [call("f", {"x": 1}, "i1"), call("g", {"y": [1, 2]}, "i2")]
    emulator.queue(
        Reply(json=answer(*parts)), Reply(events=[event(*parts, finish="STOP")])
    )
    llm = llm_for(emulator)
    unary = llm.invoke("hi")
    streamed = reduce(operator.add, llm.stream("hi"))
    assert streamed.tool_calls == unary.tool_calls


# -- ToolMessages -> functionResponse ----------------------------------------------


def history(*extra: Any) -> list[Any]:
    return [
        HumanMessage("weather in Paris and Rome?"),
        AIMessage(
            content="",
            tool_calls=[
                {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"},
                {"name": "get_weather", "args": {"city": "Rome"}, "id": "c2"},
            ],
        ),
        *extra,
    ]


def test_tool_messages_become_one_user_turn(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).invoke(
        history(
            ToolMessage("sunny", tool_call_id="c1"),
            ToolMessage('{"temp": 21, "sky": "clear"}', tool_call_id="c2"),
        )
    )
    contents = sent(emulator)["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"] == [
        {
            "functionCall": {
                "name": "get_weather",
                "args": {"city": "Paris"},
                "id": "c1",
            }
        },
        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}, "id": "c2"}},
    ]
    assert contents[2]["parts"] == [
        {
            "functionResponse": {
                "name": "get_weather",
                "response": {"output": "sunny"},
                "id": "c1",
            }
        },
        {
            "functionResponse": {
                "name": "get_weather",
                "response": {"temp": 21, "sky": "clear"},
                "id": "c2",
            }
        },
    ]


def test_tool_result_list_and_error_wrapped(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).invoke(
        history(
            ToolMessage('["a", "b"]', tool_call_id="c1"),
            ToolMessage("city not found", tool_call_id="c2", status="error"),
        )
    )
    responses = [p["functionResponse"] for p in sent(emulator)["contents"][2]["parts"]]
    assert responses[0]["response"] == {"output": ["a", "b"]}
    assert responses[1]["response"] == {"error": "city not found"}


def test_tool_result_content_blocks(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm_for(emulator).invoke(
        history(
            ToolMessage([{"type": "text", "text": "a chart"}], tool_call_id="c1"),
            ToolMessage(
                [
                    {"type": "text", "text": "the photo"},
                    {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
                    {
                        "type": "file",
                        "url": "gs://bucket/report.pdf",
                        "mime_type": "application/pdf",
                    },
                ],
                tool_call_id="c2",
            ),
        )
    )
    parts = sent(emulator)["contents"][2]["parts"]
    assert parts[0] == {
        "functionResponse": {
            "name": "get_weather",
            "response": {"output": "a chart"},
            "id": "c1",
        }
    }
    assert parts[1]["functionResponse"]["response"] == {"output": "the photo"}
    assert parts[2] == {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}
    assert parts[3] == {
        "fileData": {"fileUri": "gs://bucket/report.pdf", "mimeType": "application/pdf"}
    }


def test_tool_response_without_id_when_call_had_none(emulator: GeminiEmulator) -> None:
    """A call the service sent without id: its generated id maps the name back."""
    emulator.queue(
        Reply(json=answer(call("get_weather", {"city": "Oslo"}))), Reply(json=OK)
    )
    llm = llm_for(emulator)
    ai = llm.invoke("hi")
    tool_id = ai.tool_calls[0]["id"]
    llm.invoke([HumanMessage("hi"), ai, ToolMessage("cold", tool_call_id=tool_id)])
    (response,) = sent(emulator)["contents"][2]["parts"]
    assert response["functionResponse"]["name"] == "get_weather"
    assert response["functionResponse"]["response"] == {"output": "cold"}


def test_tool_message_without_matching_call(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValueError, match="tool_call_id='nope'"):
        llm_for(emulator).invoke(history(ToolMessage("x", tool_call_id="nope")))
    assert emulator.requests == []


async def test_tool_round_trip_async(emulator: GeminiEmulator) -> None:
    emulator.queue(
        Reply(json=answer(call("get_weather", {"city": "Oslo"}, "z1"))), Reply(json=OK)
    )
    llm = llm_for(emulator).bind_tools([get_weather])
    ai = await llm.ainvoke("hi")
    assert isinstance(ai, AIMessage)
    await llm.ainvoke([HumanMessage("hi"), ai, ToolMessage("cold", tool_call_id="z1")])
    assert sent(emulator)["contents"][2]["parts"] == [
        {
            "functionResponse": {
                "name": "get_weather",
                "response": {"output": "cold"},
                "id": "z1",
            }
        }
    ]
