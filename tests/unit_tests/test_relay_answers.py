"""Answers as a relay passes them on (issue 13, parser half).

Each quirk is driven through invoke and stream over the loopback emulator and
through the pure parser: snake_case answers, ``"text": ""`` beside other
data, Vertex AI's streamed function-call arguments, per-modality usage,
``createTime`` / ``trafficType``, a Gemini 3 stream closed by an empty signed
text part, and UTF-16 surrogate pairs split between events.
"""

from __future__ import annotations

import copy
import json
import operator
import re
from collections.abc import Iterator
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._body import encode
from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._request import build_contents
from langchain_cometgemini._response import (
    SIGNATURES_KEY,
    StreamState,
    final_chunk,
    parse_event,
    response_to_result,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests import recordings

MODEL = "gemini-3-flash-preview"
SIG = "c2lnbmVk"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def emu() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as server:
        yield server


def _event(parts: list[dict[str, Any]], **candidate: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, **candidate}],
        "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4},
        "modelVersion": MODEL,
        "responseId": "resp-1",
    }


def _stream_events(*parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event per list of parts; the last one finishes the answer."""
    events = [_event(p) for p in parts]
    events[-1]["candidates"][0]["finishReason"] = "STOP"
    return events


def _both(emu: GeminiEmulator, reply: Reply) -> tuple[AIMessage, AIMessageChunk]:
    """(invoke, the stream's chunks summed) for one scripted answer."""
    llm = ChatCometGemini(base_url=emu.url, api_key="k", model=MODEL, max_retries=0)
    emu.queue(reply)
    unary = llm.invoke("hi")
    emu.queue(reply)
    total = reduce(operator.add, llm.stream("hi"))
    assert isinstance(unary, AIMessage)
    return unary, total


def _pure(events: list[dict[str, Any]]) -> tuple[AIMessage, AIMessageChunk]:
    """(response_to_result of the events merged, parse_event over them)."""
    state = StreamState(model=MODEL)
    chunks = [parse_event(e, state) for e in events]
    total = reduce(operator.add, [*chunks, final_chunk(state)])
    merged = copy.deepcopy(events[-1])
    merged["candidates"][0]["content"]["parts"] = [
        p for e in events for p in e["candidates"][0]["content"]["parts"]
    ]
    message = response_to_result(merged, MODEL).generations[0].message
    assert isinstance(message, AIMessage)
    return message, total


# -- 1. both spellings ------------------------------------------------------------

_OPAQUE = {"args", "response"}
"""Keys whose values are the caller's data (call arguments, tool results):
their own keys keep their spelling."""


def _to_snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def snake_twin(value: Any) -> Any:
    """Every wire key snake_case, as a relay speaking proto names sends it."""
    if isinstance(value, list):
        return [snake_twin(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        _to_snake(k): v if k in _OPAQUE else snake_twin(v) for k, v in value.items()
    }


def _comparable(message: AIMessage | AIMessageChunk) -> Any:
    """The message as JSON, with ids generated per call replaced."""
    dumped = message.model_dump(exclude={"type"})
    return json.loads(UUID.sub("<generated>", json.dumps(dumped, sort_keys=True)))


def test_twin_converter_keeps_opaque_values() -> None:
    part = {"functionCall": {"name": "f", "args": {"cityName": {"zipCode": 1}}}}
    assert snake_twin(part) == {
        "function_call": {"name": "f", "args": {"cityName": {"zipCode": 1}}}
    }


_ANSWERED = [n for n in recordings.names() if recordings.load(n)["status"] == 200]


@pytest.mark.parametrize("name", _ANSWERED)
def test_snake_case_recording_parses_like_its_camel_case_twin(name: str) -> None:
    """Pure parser: invoke of each answer and the stream of its events."""
    recording = recordings.load(name)
    events = recordings.events(recording)
    for answer in events:
        camel = response_to_result(answer, MODEL).generations[0].message
        snake = response_to_result(snake_twin(answer), MODEL).generations[0].message
        assert _comparable(snake) == _comparable(camel)
    totals = []
    for spelled in (events, [snake_twin(e) for e in events]):
        state = StreamState(model=MODEL)
        chunks = [parse_event(e, state) for e in spelled]
        totals.append(reduce(operator.add, [*chunks, final_chunk(state)]))
    assert _comparable(totals[1]) == _comparable(totals[0])


@pytest.mark.parametrize("name", _ANSWERED)
def test_snake_case_recording_replays_like_its_twin(
    emu: GeminiEmulator, name: str
) -> None:
    """Over HTTP, as recorded: unary answers by invoke, streams by stream."""
    recording = recordings.load(name)
    llm = ChatCometGemini(
        base_url=emu.url, api_key="k", model=recording["model"], max_retries=0
    )
    messages = []
    for spell in (lambda e: e, snake_twin):
        if recording["stream"]:
            events = [spell(e) for e in recordings.events(recording)]
            emu.queue(Reply(events=events))
            messages.append(reduce(operator.add, llm.stream("hi")))
        else:
            emu.queue(Reply(json=spell(recording["response_json"])))
            messages.append(llm.invoke("hi"))
    assert _comparable(messages[1]) == _comparable(messages[0])


def test_snake_case_parts_keep_calls_images_code_and_usage(
    emu: GeminiEmulator,
) -> None:
    answer = snake_twin(
        _event(
            [
                {"text": "see", "thoughtSignature": SIG},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
                {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
                {"functionCall": {"id": "c1", "name": "f", "args": {"aB": 1}}},
            ],
            finishReason="STOP",
            safetyRatings=None,
        )
    )
    answer["usage_metadata"] = {
        "prompt_token_count": 5,
        "candidates_token_count": 7,
        "thoughts_token_count": 2,
        "total_token_count": 14,
    }
    unary, total = _both(emu, Reply(events=[answer]))
    for message in (unary, total):
        assert message.tool_calls[0]["args"] == {"aB": 1}
        blocks = [b for b in message.content if isinstance(b, dict)]
        assert [b["type"] for b in blocks] == [
            "text",
            "image_url",
            "executable_code",
            "code_execution_result",
        ]
        assert blocks[0]["extras"] == {"signature": SIG}
        assert blocks[1]["image_url"]["url"] == "data:image/png;base64,iVBORw0KGgo="
        assert message.usage_metadata == {
            "input_tokens": 5,
            "output_tokens": 9,
            "total_tokens": 14,
            "output_token_details": {"reasoning": 2},
        }
        assert message.response_metadata["finish_reason"] == "STOP"
        assert message.response_metadata["model_name"] == MODEL


def test_snake_case_prompt_feedback_finishes_a_blocked_stream(
    emu: GeminiEmulator,
) -> None:
    event = {"prompt_feedback": {"block_reason": "SAFETY"}, "model_version": MODEL}
    unary, total = _both(emu, Reply(events=[event]))
    for message in (unary, total):
        assert message.response_metadata["prompt_feedback"] == {
            "block_reason": "SAFETY"
        }


# -- 2. a part is text only when it carries nothing else ----------------------------


@pytest.mark.parametrize(
    ("part", "block"),
    [
        (
            {"text": "", "inlineData": {"mimeType": "image/png", "data": "AAAA"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ),
        (
            {"text": "", "executableCode": {"language": "PYTHON", "code": "1+1"}},
            {"type": "executable_code", "executable_code": "1+1"},
        ),
        (
            {"text": "", "codeExecutionResult": {"outcome": "OUTCOME_OK"}},
            {"type": "code_execution_result", "outcome": 1},
        ),
        (
            {"text": "", "inline_data": {"mime_type": "image/png", "data": "AAAA"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ),
        (
            {"text": "caption", "inlineData": {"mimeType": "image/png", "data": "A"}},
            {"type": "image_url", "extras": {"text": "caption"}},
        ),
    ],
    ids=["image", "code", "result", "snake-image", "caption-kept"],
)
def test_empty_text_beside_data_keeps_the_data(
    emu: GeminiEmulator, part: dict[str, Any], block: dict[str, Any]
) -> None:
    events = _stream_events([part])
    for message in (*_both(emu, Reply(events=events)), *_pure(events)):
        assert isinstance(message.content, list) and len(message.content) == 1
        got = message.content[0]
        assert isinstance(got, dict)
        assert {k: got[k] for k in block} == block


# -- 3a. function-call arguments streamed in pieces (Vertex AI) -----------------------

WEATHER_ARGS = {
    "location": "Boston, MA",
    "days": 3,
    "metric": True,
    "note": None,
    "stops": [{"city": "New York"}, {"city": "Providence"}],
    "window": {"from": "mon", "to": "fri"},
}


def _streamed_call(snake: bool = False) -> list[dict[str, Any]]:
    """A call as Vertex AI streams it with ``streamFunctionCallArguments``."""

    def arg(path: str, more: bool = False, **value: Any) -> dict[str, Any]:
        item = {"jsonPath": path, **value}
        if more:
            item["willContinue"] = True
        return item

    pieces = [
        [
            {
                "functionCall": {"name": "get_weather", "willContinue": True},
                "thoughtSignature": SIG,
            }
        ],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            arg("$.location", True, stringValue="Bos"),
        ]}}],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            arg("$.location", True, stringValue="ton"),
        ]}}],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            arg("$.location", stringValue=", MA"),
            arg("$.days", numberValue=3),
            arg("$.metric", boolValue=True),
            arg("$.note", nullValue="NULL_VALUE"),
            arg("$.stops[0].city", stringValue="New York"),
        ]}}],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            arg("$.stops[1]['city']", True, stringValue="Provi"),
            arg("$.stops[1]['city']", stringValue="dence"),
            arg("$.window", structValue={"from": "mon", "to": "fri"}),
        ]}}],
        [{"functionCall": {}}],
    ]  # fmt: skip
    events = _stream_events(*pieces)
    return [snake_twin(e) for e in events] if snake else events


@pytest.mark.parametrize("snake", [False, True], ids=["camel", "snake"])
def test_streamed_arguments_become_one_complete_call(
    emu: GeminiEmulator, snake: bool
) -> None:
    events = _streamed_call(snake)
    llm = ChatCometGemini(base_url=emu.url, api_key="k", model=MODEL, max_retries=0)
    emu.queue(Reply(events=events))
    unary = llm.invoke("weather?")
    emu.queue(Reply(events=events))
    chunks = list(llm.stream("weather?"))
    total = reduce(operator.add, chunks)
    for message in (unary, total, *_pure(events)):
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [
            ("get_weather", WEATHER_ARGS)
        ]
        assert not message.invalid_tool_calls
        call_id = message.tool_calls[0]["id"]
        assert message.additional_kwargs[SIGNATURES_KEY] == {call_id: SIG}
    pieces = [c.tool_call_chunks for c in chunks if c.tool_call_chunks]
    assert len(pieces) == 6  # one chunk per event: the arguments grow
    assert {chunk["index"] for p in pieces for chunk in p} == {0}
    assert pieces[0][0]["name"] == "get_weather"
    assert all(p[0]["name"] is None for p in pieces[1:])
    texts = ["".join(c["args"] or "" for p in pieces[:n] for c in p) for n in (2, 3)]
    assert texts == ['{"location": "Bos', '{"location": "Boston']


def test_streamed_arguments_out_of_document_order_still_sum_to_the_call() -> None:
    """A path into an object already left: every member is sent again, the
    later value of a repeated key wins."""
    events = _stream_events(
        [{"functionCall": {"name": "f", "id": "c9", "willContinue": True}}],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            {"jsonPath": "$.a.x", "numberValue": 1},
            {"jsonPath": "$.b", "stringValue": "s", "willContinue": True},
        ]}}],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            {"jsonPath": "$.a.y", "numberValue": 2},
        ]}}],
        [{"functionCall": {}}],
    )  # fmt: skip
    unary, total = _pure(events)
    assert unary.tool_calls == total.tool_calls
    assert total.tool_calls[0]["args"] == {"a": {"x": 1, "y": 2}, "b": "s"}


def test_nameless_continuations_never_become_extra_calls(
    emu: GeminiEmulator,
) -> None:
    events = _stream_events(
        [{"functionCall": {"name": "f", "args": {"q": 1}}}],
        [{"functionCall": {}}],
        [{"functionCall": {"name": "g", "willContinue": True, "partialArgs": [
            {"jsonPath": "$.r", "stringValue": "x"}]}}],
        [{"function_call": {}}],
        [{"text": "done"}],
    )  # fmt: skip
    for message in (*_both(emu, Reply(events=events)), *_pure(events)):
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [
            ("f", {"q": 1}),
            ("g", {"r": "x"}),
        ]
        assert message.text == "done"


def test_a_call_still_open_when_the_answer_finishes_is_closed() -> None:
    events = _stream_events(
        [{"functionCall": {"name": "f", "willContinue": True, "partialArgs": [
            {"jsonPath": "$.q", "stringValue": "abc", "willContinue": True}]}}],
    )  # fmt: skip
    for message in _pure(events):
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [
            ("f", {"q": "abc"})
        ]


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"jsonPath": "location", "stringValue": "x"}, "not a JSON path"),
        ({"jsonPath": "$.a..b", "stringValue": "x"}, "Unsupported partialArgs"),
        ({"jsonPath": "$.a"}, "carries no value"),
        ("oops", "not an object"),
    ],
)
def test_malformed_partial_args_raise_a_clear_error(item: Any, problem: str) -> None:
    event = _event(
        [{"functionCall": {"name": "f", "willContinue": True, "partialArgs": [item]}}]
    )
    with pytest.raises(GeminiStreamError, match=problem):
        parse_event(event, StreamState(model=MODEL))


# -- 3b. per-modality usage, createTime, trafficType -----------------------------------

VERTEX_USAGE = {
    "promptTokenCount": 40,
    "candidatesTokenCount": 30,
    "thoughtsTokenCount": 5,
    "toolUsePromptTokenCount": 6,
    "cachedContentTokenCount": 12,
    "totalTokenCount": 81,
    "promptTokensDetails": [
        {"modality": "TEXT", "tokenCount": 25},
        {"modality": "AUDIO", "tokenCount": 15},
    ],
    "cacheTokensDetails": [{"modality": "AUDIO", "tokenCount": 12}],
    "candidatesTokensDetails": [
        {"modality": "AUDIO", "tokenCount": 20},
        {"modality": "TEXT", "tokenCount": 10},
    ],
    "toolUsePromptTokensDetails": [{"modality": "AUDIO", "tokenCount": 2}],
    "trafficType": "ON_DEMAND",
}


@pytest.mark.parametrize("snake", [False, True], ids=["camel", "snake"])
def test_vertex_usage_details_fill_the_standard_keys(
    emu: GeminiEmulator, snake: bool
) -> None:
    answer = _event([{"text": "hello there"}], finishReason="STOP")
    answer["usageMetadata"] = VERTEX_USAGE
    answer["createTime"] = "2026-11-23T10:00:00.123456Z"
    if snake:
        answer = snake_twin(answer)
    for message in (*_both(emu, Reply(events=[answer])), *_pure([answer])):
        assert message.usage_metadata == {
            "input_tokens": 46,
            "output_tokens": 35,
            "total_tokens": 81,
            "input_token_details": {"audio": 17, "cache_read": 12},
            "output_token_details": {"audio": 20, "reasoning": 5},
        }
        meta = message.response_metadata
        assert meta["create_time"] == "2026-11-23T10:00:00.123456Z"
        assert meta["usage_metadata"]["traffic_type"] == "ON_DEMAND"
        assert meta["usage_metadata"]["cache_tokens_details"] == [
            {"modality": "AUDIO", "token_count": 12}
        ]
        assert meta["usage_metadata"]["prompt_tokens_details"][1] == {
            "modality": "AUDIO",
            "token_count": 15,
        }


# -- 3c. a Gemini 3 stream closed by an empty signed text part ---------------------


def test_stream_ending_with_an_empty_signed_part_aggregates_like_invoke(
    emu: GeminiEmulator,
) -> None:
    events = _stream_events(
        [{"text": "The capital "}],
        [{"text": "is Paris."}],
        [{"text": "", "thoughtSignature": SIG}],
    )
    unary, total = _both(emu, Reply(events=events))
    expected = [
        "The capital is Paris.",
        {"type": "text", "text": "", "extras": {"signature": SIG}, "index": 0},
    ]
    assert unary.content == total.content == expected
    assert _pure(events)[0].content == _pure(events)[1].content == expected
    # Sent back on the next turn exactly as it came: the signature is not lost.
    for message in (unary, total):
        _, contents = build_contents([HumanMessage("q"), message], model=MODEL)
        assert contents[-1]["parts"] == [
            {"text": "The capital is Paris."},
            {"text": "", "thoughtSignature": SIG},
        ]


# -- 4. text survives: UTF-16 surrogate pairs split between events ----------------


def test_json_keeps_a_lone_surrogate_escape_as_a_lone_code_point() -> None:
    """Why the parser must join: json.loads gives no error and no character."""
    assert json.loads('"\\ud83d"') == "\ud83d"
    assert json.loads('"\\ud83d\\ude00"') == "\U0001f600"


@pytest.mark.parametrize("thought", [False, True], ids=["text", "thought"])
def test_split_surrogate_pair_is_joined_in_stream_and_invoke(
    emu: GeminiEmulator, thought: bool
) -> None:
    flag = {"thought": True} if thought else {}
    events = _stream_events(
        [{"text": "smile \ud83d", **flag}], [{"text": "\ude00 done", **flag}]
    )
    wanted = "smile \U0001f600 done"
    for message in (*_both(emu, Reply(events=events)), *_pure(events)):
        if thought:
            assert isinstance(message.content, list)
            assert message.content[0]["thinking"] == wanted  # type: ignore[index]
        else:
            assert message.content == wanted
    # The answer goes back on the next request without a UnicodeEncodeError.
    history = [HumanMessage("hi"), _both(emu, Reply(events=events))[1]]
    llm = ChatCometGemini(base_url=emu.url, api_key="k", model=MODEL, max_retries=0)
    emu.queue(Reply.text("ok"))
    assert llm.invoke([*history, HumanMessage("again")]).text == "ok"
    sent = emu.last_request.body["contents"][1]["parts"]
    assert wanted in json.dumps(sent, ensure_ascii=False)


@pytest.mark.parametrize(
    ("pieces", "wanted"),
    [
        (["a \ud83d", "b"], "a \ufffdb"),
        (["a ", "\ude00b"], "a \ufffdb"),
        (["end \ud83d"], "end \ufffd"),
        (["mid \ud83d x"], "mid \ufffd x"),
        (["\ud83d", "\ude00", "\ud83d", "\ude01"], "\U0001f600\U0001f601"),
    ],
    ids=["high-then-text", "lone-low", "high-at-end", "inside", "two-pairs"],
)
def test_lone_surrogate_halves_are_repaired(
    emu: GeminiEmulator, pieces: list[str], wanted: str
) -> None:
    events = _stream_events(*[[{"text": p}] for p in pieces])
    for message in (*_both(emu, Reply(events=events)), *_pure(events)):
        assert message.text == wanted
        _, contents = build_contents([HumanMessage("q"), message], model=MODEL)
        encode({"contents": contents})  # no UnicodeEncodeError


def test_surrogate_pair_split_inside_streamed_arguments_is_joined() -> None:
    events = _stream_events(
        [{"functionCall": {"name": "f", "willContinue": True, "partialArgs": [
            {"jsonPath": "$.s", "stringValue": "a\ud83d", "willContinue": True}]}}],
        [{"functionCall": {"willContinue": True, "partialArgs": [
            {"jsonPath": "$.s", "stringValue": "\ude00"},
            {"jsonPath": "$.t", "stringValue": "\ud83d"}]}}],
        [{"functionCall": {}}],
    )  # fmt: skip
    for message in _pure(events):
        assert message.tool_calls[0]["args"] == {"s": "a\U0001f600", "t": "\ufffd"}
