"""``with_structured_output``: what each method sends, what comes back.

Methods: ``json_schema`` (default: ``responseMimeType`` + ``responseJsonSchema``),
``function_calling`` (one forced tool) and ``json_mode`` (JSON, no schema), for
pydantic v2/v1 models, TypedDicts and JSON Schema dicts; ``include_raw``;
streaming partial objects; tracing metadata.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, Field
from pydantic import v1 as pydantic_v1
from typing_extensions import TypedDict

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply


def llm_for(emulator: GeminiEmulator) -> ChatCometGemini:
    return ChatCometGemini(
        base_url=emulator.url, api_key="test", model="gemini-2.5-flash"
    )


def text_answer(text: str) -> dict[str, Any]:
    answer: dict[str, Any] = Reply.text(text).json
    return answer


def call_answer(name: str, args: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = Reply.tool_call(name, args, signature=None).json
    return answer


def body(emulator: GeminiEmulator) -> dict[str, Any]:
    return emulator.requests[-1].body


class Movie(BaseModel):
    """A movie."""

    title: str = Field(min_length=1)
    year: int = Field(ge=1888)


class MovieV1(pydantic_v1.BaseModel):
    """A movie."""

    title: str = pydantic_v1.Field(min_length=1)
    year: int = pydantic_v1.Field(ge=1888)


class MovieDict(TypedDict):
    """A movie."""

    title: Annotated[str, ..., "The title"]
    year: Annotated[int, Field(ge=1888)]


MOVIE_SCHEMA = {
    "title": "MovieSchema",
    "description": "A movie.",
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "year": {"type": "integer", "minimum": 1888},
    },
    "required": ["title", "year"],
}

SCHEMAS: dict[str, Any] = {
    "pydantic_v2": Movie,
    "pydantic_v1": MovieV1,
    "typed_dict": MovieDict,
    "json_schema": MOVIE_SCHEMA,
}
ARGS = {"title": "Metropolis", "year": 1927}


def expected_output(kind: str) -> Any:
    if kind == "pydantic_v2":
        return Movie(**ARGS)
    if kind == "pydantic_v1":
        return MovieV1(**ARGS)
    return ARGS


def name_of(kind: str) -> str:
    return {
        "pydantic_v2": "Movie",
        "pydantic_v1": "MovieV1",
        "typed_dict": "MovieDict",
    }.get(kind, "MovieSchema")


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_json_schema_method(emulator: GeminiEmulator, kind: str) -> None:
    emulator.queue(Reply(json=text_answer(json.dumps(ARGS))))
    result = llm_for(emulator).with_structured_output(SCHEMAS[kind]).invoke("a film")
    assert result == expected_output(kind)
    sent = body(emulator)
    assert "tools" not in sent and "toolConfig" not in sent
    config = sent["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseJsonSchema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["title", "year"]
    assert schema["properties"]["year"]["minimum"] == 1888
    assert "responseSchema" not in config


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_function_calling_method(emulator: GeminiEmulator, kind: str) -> None:
    name = name_of(kind)
    emulator.queue(Reply(json=call_answer(name, ARGS)))
    runnable = llm_for(emulator).with_structured_output(
        SCHEMAS[kind], method="function_calling"
    )
    assert runnable.invoke("a film") == expected_output(kind)
    sent = body(emulator)
    (declaration,) = sent["tools"][0]["functionDeclarations"]
    assert declaration["name"] == name
    assert declaration["description"] == "A movie."
    assert declaration["parametersJsonSchema"]["properties"]["year"]["minimum"] == 1888
    assert sent["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}
    }
    assert "responseJsonSchema" not in sent.get("generationConfig", {})


def test_json_mode(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=text_answer('{"any": ["thing", 1]}')))
    result = (
        llm_for(emulator)
        .with_structured_output(method="json_mode")
        .invoke("json please")
    )
    assert result == {"any": ["thing", 1]}
    config = body(emulator)["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "responseJsonSchema" not in config


def test_json_mode_with_pydantic_parses_into_model(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=text_answer(json.dumps(ARGS))))
    result = (
        llm_for(emulator).with_structured_output(Movie, method="json_mode").invoke("x")
    )
    assert result == Movie(**ARGS)
    assert "responseJsonSchema" not in body(emulator)["generationConfig"]


def test_schema_required_except_json_mode(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValueError, match="schema is required"):
        llm_for(emulator).with_structured_output(None)
    with pytest.raises(ValueError, match="method must be"):
        llm_for(emulator).with_structured_output(Movie, method="xml")  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_include_raw_success(emulator: GeminiEmulator, method: str) -> None:
    reply = (
        text_answer(json.dumps(ARGS))
        if method == "json_schema"
        else call_answer("Movie", ARGS)
    )
    emulator.queue(Reply(json=reply))
    out = (
        llm_for(emulator)
        .with_structured_output(Movie, method=method, include_raw=True)
        .invoke("x")
    )  # type: ignore[arg-type]
    assert set(out) == {"raw", "parsed", "parsing_error"}
    assert isinstance(out["raw"], AIMessage)
    assert out["parsed"] == Movie(**ARGS)
    assert out["parsing_error"] is None
    if method == "function_calling":
        assert out["raw"].tool_calls[0]["args"] == ARGS


@pytest.mark.parametrize(
    ("kind", "text"),
    [("pydantic_v2", '{"title": "", "year": 1}'), ("json_schema", "not json at all")],
)
def test_include_raw_parsing_error(
    emulator: GeminiEmulator, kind: str, text: str
) -> None:
    emulator.queue(Reply(json=text_answer(text)))
    out = (
        llm_for(emulator)
        .with_structured_output(SCHEMAS[kind], include_raw=True)
        .invoke("x")
    )
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], OutputParserException)
    assert out["raw"].content == text


def test_without_include_raw_parsing_error_raises(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=text_answer('{"title": "x"}')))
    with pytest.raises(OutputParserException):
        llm_for(emulator).with_structured_output(Movie).invoke("x")


JSON_PIECES = ['{"title": "Met', 'ropolis", ', '"year": 19', "27}"]


def json_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for position, piece in enumerate(JSON_PIECES):
        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": piece}]}
        }
        if position == len(JSON_PIECES) - 1:
            candidate["finishReason"] = "STOP"
        events.append({"candidates": [candidate]})
    return events


def test_stream_yields_growing_partial_dicts(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=json_events()))
    parts = list(llm_for(emulator).with_structured_output(MOVIE_SCHEMA).stream("x"))
    assert len(parts) >= 3
    assert parts[0] == {"title": "Met"}
    assert {"title": "Metropolis"} in parts
    assert parts[-1] == ARGS
    assert emulator.requests[-1].action == "streamGenerateContent"


def test_stream_yields_partial_pydantic_objects(emulator: GeminiEmulator) -> None:
    class Loose(BaseModel):
        title: str = ""
        year: int = 0

    emulator.queue(Reply(events=json_events()))
    parts = list(llm_for(emulator).with_structured_output(Loose).stream("x"))
    assert len(parts) >= 2
    assert all(isinstance(p, Loose) for p in parts)
    assert parts[-1] == Loose(**ARGS)
    assert parts[0] != parts[-1]


async def test_astream_function_calling(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=[call_answer("MovieSchema", ARGS)]))
    runnable = llm_for(emulator).with_structured_output(
        MOVIE_SCHEMA, method="function_calling"
    )
    parts = [p async for p in runnable.astream("x")]
    assert parts[-1] == ARGS


class _Capture(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        self.starts.append(kwargs)


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_ls_structured_output_format(emulator: GeminiEmulator, method: str) -> None:
    reply = (
        call_answer("Movie", ARGS)
        if method == "function_calling"
        else text_answer(json.dumps(ARGS))
    )
    emulator.queue(Reply(json=reply))
    capture = _Capture()
    runnable = llm_for(emulator).with_structured_output(
        None if method == "json_mode" else Movie,
        method=method,  # type: ignore[arg-type]
    )
    runnable.invoke("x", config={"callbacks": [capture]})
    (start,) = capture.starts
    if method == "json_mode":
        # No schema to describe: langchain-core leaves the metadata out.
        assert "ls_structured_output_format" not in start["options"]
    else:
        fmt = start["options"]["ls_structured_output_format"]
        assert fmt["kwargs"] == {"method": method}
        assert fmt["schema"]["title"] == "Movie"
        assert fmt["schema"]["properties"]["year"]["minimum"] == 1888
    # Tracing metadata never reaches the wire.
    assert "ls_structured_output_format" not in json.dumps(body(emulator))


def test_untitled_json_schema(emulator: GeminiEmulator) -> None:
    """A schema without a title still works for json_schema (and is traced)."""
    schema = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 9}}}
    emulator.queue(Reply(json=text_answer('{"n": 3}')))
    capture = _Capture()
    result = (
        llm_for(emulator)
        .with_structured_output(schema)
        .invoke("x", config={"callbacks": [capture]})
    )
    assert result == {"n": 3}
    assert body(emulator)["generationConfig"]["responseJsonSchema"] == schema
    assert capture.starts[0]["options"]["ls_structured_output_format"]["kwargs"] == {
        "method": "json_schema"
    }


class PlainMovieDict(TypedDict):
    """A movie."""

    title: Annotated[str, ..., "The title"]
    year: int


@pytest.mark.parametrize("schema", [Movie, MovieV1, PlainMovieDict])
@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_traced_schema_is_core_json_schema(
    emulator: GeminiEmulator, schema: Any, method: str
) -> None:
    """The trace holds langchain-core's ``convert_to_json_schema(schema)``:
    no per-field titles from pydantic, whichever method sends it.
    """
    from langchain_core.utils.function_calling import convert_to_json_schema

    reply = (
        call_answer(convert_to_json_schema(schema)["title"], ARGS)
        if method == "function_calling"
        else text_answer(json.dumps(ARGS))
    )
    emulator.queue(Reply(json=reply))
    capture = _Capture()
    runnable = llm_for(emulator).with_structured_output(schema, method=method)  # type: ignore[arg-type]
    runnable.invoke("x", config={"callbacks": [capture]})
    traced = capture.starts[0]["options"]["ls_structured_output_format"]["schema"]
    assert traced == convert_to_json_schema(schema)
    assert "title" not in traced["properties"]["year"]


@pytest.mark.parametrize("schema", [Movie, PlainMovieDict])
def test_bind_tools_response_format_traces_core_json_schema(
    emulator: GeminiEmulator, schema: Any
) -> None:
    """``bind_tools(response_format=M)`` (create_agent's provider strategy)
    traces ``convert_to_json_schema(M)`` too.
    """
    from langchain_core.utils.function_calling import convert_to_json_schema

    emulator.queue(Reply(json=text_answer(json.dumps(ARGS))))
    capture = _Capture()
    bound = llm_for(emulator).bind_tools([], response_format=schema)
    bound.invoke("x", config={"callbacks": [capture]})
    fmt = capture.starts[0]["options"]["ls_structured_output_format"]
    assert fmt["schema"] == convert_to_json_schema(schema)
    assert fmt["kwargs"] == {"method": "json_schema", "strict": None}
