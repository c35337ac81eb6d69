"""Property-based tests of the response parser against hostile answers.

Inputs are real recorded ``GenerateContentResponse`` objects (unary answers and
every stream event) mutated at random — fields deleted, values of the wrong
type, unknown part kinds and fields, empty candidates, huge and non-ASCII
texts — plus answers generated from scratch. For each, the parser either
builds a message or raises this package's own ``CometGeminiError``; it never
raises a bare ``KeyError``/``TypeError``/``AttributeError`` and never drops a
text it was given. Examples per property: ``SMALL`` by default (the whole
file runs in well under 30 s), ``LONG`` with ``HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_cometgemini import CometGeminiError
from langchain_cometgemini._parts import PARSED_KINDS
from langchain_cometgemini._response import (
    StreamState,
    final_chunk,
    parse_event,
    response_to_result,
)
from tests.recordings import events, load, names

SMALL, LONG = 60, 3000
settings.register_profile(
    "long",
    max_examples=LONG,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "cometgemini-small",
    max_examples=SMALL,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(
    "long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "cometgemini-small"
)

# Every event of every recording: 112 unary answers and the stream events.
REAL: list[dict[str, Any]] = [e for n in names() for e in events(load(n))]
# The data keys the parser converts (the rest are kept whole): from the table.
PART_KINDS = tuple(kind.key for kind in PARSED_KINDS)

# -- strategies ------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["héllo wörld", "日本語のテキスト", "emoji 🎉👍🏽", "\u0000\ud7ff\ufffd"]
    ),
    st.integers(100_000, 300_000).map(lambda n: "x" * n),  # huge
)
unknown_key = st.sampled_from(["futureField", "partMetadata", "videoMetadata", "zz"])


@st.composite
def parts(draw: st.DrawFn) -> Any:
    """A part of a known kind (maybe with a signature / unknown field), or junk."""
    kind = draw(
        st.sampled_from(
            [
                "text",
                "thought",
                "call",
                "image",
                "audio",
                "code",
                "result",
                "new",
                "junk",
            ]
        )
    )
    part: dict[str, Any]
    if kind == "junk":
        return draw(json_value)
    if kind == "text":
        part = {"text": draw(texts)}
    elif kind == "thought":
        part = {"text": draw(texts), "thought": True}
    elif kind == "call":
        part = {
            "functionCall": {
                "name": draw(st.text(max_size=10)),
                "args": draw(json_value),
            }
        }
        if draw(st.booleans()):
            part["functionCall"]["id"] = draw(st.text(min_size=1, max_size=8))
    elif kind in ("image", "audio"):
        mime = "image/png" if kind == "image" else "audio/wav"
        part = {"inlineData": {"mimeType": mime, "data": draw(st.text(max_size=20))}}
    elif kind == "code":
        part = {"executableCode": {"language": "PYTHON", "code": draw(texts)}}
    elif kind == "result":
        part = {
            "codeExecutionResult": {"outcome": draw(json_value), "output": draw(texts)}
        }
    else:
        part = {draw(unknown_key): draw(json_value)}
    if draw(st.booleans()):
        part["thoughtSignature"] = draw(st.one_of(st.text(max_size=12), json_value))
    if kind != "call" and draw(st.integers(0, 4)) == 0:
        part[draw(unknown_key)] = draw(json_value)
    return part


@st.composite
def candidates(draw: st.DrawFn) -> Any:
    """A candidate with random parts, metadata and unknown fields, or junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_value)
    candidate: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        body: Any = {"parts": draw(st.lists(parts(), max_size=6)), "role": "model"}
        candidate["content"] = body if draw(st.integers(0, 9)) else draw(json_value)
    for key in ("finishReason", "safetyRatings", "groundingMetadata", "avgLogprobs"):
        if draw(st.booleans()):
            candidate[key] = draw(json_value)
    if draw(st.booleans()):
        candidate[draw(unknown_key)] = draw(json_value)
    if draw(st.booleans()):
        candidate["index"] = draw(st.one_of(st.integers(0, 2), json_value))
    return candidate


@st.composite
def responses(draw: st.DrawFn) -> dict[str, Any]:
    """A GenerateContentResponse built from scratch."""
    response: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        response["candidates"] = draw(
            st.one_of(st.lists(candidates(), max_size=3), json_value)
        )
    for key in ("usageMetadata", "modelVersion", "responseId", "promptFeedback"):
        if draw(st.booleans()):
            response[key] = draw(json_value)
    return response


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON tree (the root excluded)."""
    found = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _at(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        root = root[key]
    return root


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A real recorded answer with 1-4 random mutations."""
    response = copy.deepcopy(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                ["delete", "retype", "add_part", "add_field", "empty", "text"]
            )
        )
        paths = _paths(response)
        if op == "empty":
            response["candidates"] = draw(st.sampled_from([[], None, [{}], [None]]))
        elif op == "add_part":
            cand = response.get("candidates")
            if isinstance(cand, list) and cand and isinstance(cand[0], dict):
                content = cand[0].setdefault("content", {})
                if isinstance(content, dict) and isinstance(content.get("parts"), list):
                    content["parts"].insert(
                        draw(st.integers(0, len(content["parts"]))), draw(parts())
                    )
        elif not paths:
            continue
        else:
            path = draw(st.sampled_from(paths))
            parent = _at(response, path[:-1])
            if op == "delete":
                del parent[path[-1]]
            elif op == "retype":
                parent[path[-1]] = draw(json_value)
            elif op == "add_field" and isinstance(parent, dict):
                parent[draw(unknown_key)] = draw(json_value)
            elif op == "text" and isinstance(parent[path[-1]], str):
                parent[path[-1]] = draw(texts)
    return response


# -- what the parser must keep ------


def _candidate_list(response: dict[str, Any]) -> list[dict[str, Any]]:
    raw = response.get("candidates")
    return [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []


def _wire_parts(candidate: dict[str, Any] | None) -> list[dict[str, Any]]:
    body = candidate.get("content") if candidate else None
    raw = body.get("parts") if isinstance(body, dict) else None
    return [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else []


def _expected_texts(candidate: dict[str, Any] | None) -> str:
    """All text of the text parts (a functionCall part is a call, not text)."""
    return "".join(
        p["text"]
        for p in _wire_parts(candidate)
        if isinstance(p.get("text"), str)
        and not isinstance(p.get("functionCall"), dict)
    )


def _unknown_parts(candidate: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Parts with no data key this version converts: kept whole, as sent."""
    return [p for p in _wire_parts(candidate) if not any(k in p for k in PART_KINDS)]


def _message_texts(content: Any) -> str:
    if isinstance(content, str):
        return content
    pieces = []
    for block in content:
        if isinstance(block, str):
            pieces.append(block)
        elif block.get("type") == "text":
            pieces.append(block["text"])
        elif block.get("type") == "thinking":
            pieces.append(block["thinking"])
    return "".join(pieces)


def _non_standard(content: Any) -> list[Any]:
    if isinstance(content, str):
        return []
    return [
        b["value"]
        for b in content
        if isinstance(b, dict) and b.get("type") == "non_standard"
    ]


def _check_message(message: AIMessage, candidate: dict[str, Any] | None) -> None:
    assert _message_texts(message.content) == _expected_texts(candidate)
    kept = _non_standard(message.content)
    for part in _unknown_parts(candidate):
        assert part in kept
    # A call is a functionCall with a name (issue 21: a nameless one could
    # never be sent back, so it is kept whole, as a non_standard block).
    functions = [p for p in _wire_parts(candidate) if _is_call(p)]
    calls = [p for p in functions if _named(p["functionCall"])]
    for part in functions:
        whole = "partialArgs" not in part["functionCall"]
        if whole and not _named(part["functionCall"]) and part["functionCall"]:
            assert part in kept
    assert len(message.tool_calls) + len(message.invalid_tool_calls) == len(calls)


def _is_call(part: dict[str, Any]) -> bool:
    call = part.get("functionCall")
    return isinstance(call, dict) and not _closing_marker(call)


def _named(call: dict[str, Any]) -> bool:
    return isinstance(call.get("name"), str) and bool(call["name"])


def _closing_marker(call: dict[str, Any]) -> bool:
    """An empty ``functionCall`` (or a streamed piece carrying nothing): Vertex's
    mark that closes a call streamed in pieces, never a call of its own (issue
    13: nameless continuation parts never become extra calls)."""
    streamed = not call or "partialArgs" in call or "willContinue" in call
    carries = call.get("name") or call.get("args") or call.get("partialArgs")
    return streamed and not (carries or call.get("willContinue"))


def _unary(response: dict[str, Any]) -> None:
    try:
        result = response_to_result(response, "gemini-2.5-flash")
    except CometGeminiError:
        return
    cands = _candidate_list(response)
    assert len(result.generations) == max(1, len(cands))
    for generation, candidate in zip(result.generations, cands or [None], strict=True):
        assert isinstance(generation.message, AIMessage)
        _check_message(generation.message, candidate)


def _first_candidate(event: dict[str, Any]) -> dict[str, Any] | None:
    """The candidate a stream event's content comes from: index 0, else the
    first one (a stream has one candidate: its content must not be lost)."""
    found = _candidate_list(event)
    for position, candidate in enumerate(found):
        if candidate.get("index", position) == 0:
            return candidate
    return found[0] if found else None


def _stream(evts: list[Any]) -> None:
    """Parse events as one stream and aggregate the chunks as LangChain does."""
    state = StreamState(model="gemini-2.5-flash")
    total: AIMessageChunk | None = None
    try:
        for event in evts:
            chunk = parse_event(event, state)
            _check_message_texts_only(chunk, _first_candidate(event))
            total = chunk if total is None else total + chunk
        last = final_chunk(state)
        total = last if total is None else total + last
    except CometGeminiError:
        return
    assert total.chunk_position == "last"
    assert total.response_metadata["model_provider"] == "google_genai"


def _check_message_texts_only(
    message: AIMessage, candidate: dict[str, Any] | None
) -> None:
    assert _message_texts(message.content) == _expected_texts(candidate)
    kept = _non_standard(message.content)
    for part in _unknown_parts(candidate):
        assert part in kept


# -- properties ------


def test_every_recording_parses_and_keeps_its_text() -> None:
    """The invariants hold on every real answer, unmutated (the baseline)."""
    for name in names():
        recording = load(name)
        if recording["stream"]:
            _stream(events(recording))
        else:
            _unary(recording["response_json"])
    assert len(REAL) > 112


@PROFILE
@given(mutated())
def test_mutated_recording_unary(response: dict[str, Any]) -> None:
    _unary(response)


@PROFILE
@given(st.lists(mutated(), min_size=1, max_size=4))
def test_mutated_recordings_as_a_stream(evts: list[dict[str, Any]]) -> None:
    _stream(evts)


@PROFILE
@given(responses())
def test_generated_response_unary(response: dict[str, Any]) -> None:
    _unary(response)


@PROFILE
@given(st.lists(st.one_of(responses(), json_value), min_size=1, max_size=5))
def test_generated_events_as_a_stream(evts: list[Any]) -> None:
    _stream(evts)


# -- targeted cases the properties above cover only by chance ------


@pytest.mark.parametrize("event", [None, [], "text", 3, [{"candidates": []}]])
def test_non_object_answer_is_our_error(event: Any) -> None:
    with pytest.raises(CometGeminiError, match="not a JSON object"):
        parse_event(event, StreamState(model="m"))
    with pytest.raises(CometGeminiError, match="not a JSON object"):
        response_to_result(event, "m")


def test_unknown_part_kind_and_fields_are_kept() -> None:
    """A newer service version's part kinds and fields survive, in order."""
    future = {"toolCall": {"id": "t1", "name": "x"}, "thoughtSignature": "s"}
    response = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "before "},
                        future,
                        {"text": "after", "partMetadata": {"k": 1}},
                        {"functionCall": "not an object"},
                    ]
                },
                "finishReason": "STOP",
                "newCandidateField": {"someValue": 2},
            }
        ]
    }
    message = response_to_result(response, "m").generations[0].message
    assert message.content[0] == "before "
    assert message.content[1]["type"] == "non_standard"
    assert message.content[1]["value"] == future
    assert message.content[2]["text"] == "after"
    assert message.content[2]["extras"] == {"partMetadata": {"k": 1}}
    assert message.content[3]["value"] == {"functionCall": "not an object"}
    assert message.tool_calls == []
    assert message.response_metadata["new_candidate_field"] == {"some_value": 2}
    assert message.response_metadata["finish_reason"] == "STOP"


def test_unknown_candidate_field_reaches_the_final_stream_chunk() -> None:
    state = StreamState(model="m")
    parse_event({"candidates": [{"content": {"parts": [{"text": "a"}]}}]}, state)
    parse_event({"candidates": [{"finishReason": "STOP", "futureStat": 7}]}, state)
    assert final_chunk(state).response_metadata["future_stat"] == 7


def test_wrong_typed_ids_do_not_break_the_message() -> None:
    """responseId/modelVersion of the wrong type are ignored, not fatal."""
    event = {
        "candidates": [
            {"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}
        ],
        "responseId": ["x"],
        "modelVersion": {"v": 1},
    }
    message = response_to_result(event, "m").generations[0].message
    assert message.content == "hi"
    assert message.id is None or isinstance(message.id, str)
    assert message.response_metadata["model_name"] == "m"
    chunk = parse_event(event, StreamState(model="m"))
    assert chunk.content == "hi"


def test_deeply_nested_metadata_does_not_exhaust_the_stack() -> None:
    nested: Any = {"leaf": 1}
    for _ in range(5000):
        nested = {"deeperKey": nested}
    event = {
        "candidates": [
            {
                "content": {"parts": [{"text": "ok"}]},
                "groundingMetadata": nested,
                "finishReason": "STOP",
            }
        ]
    }
    message = response_to_result(event, "m").generations[0].message
    assert message.content == "ok"
    meta = message.response_metadata["grounding_metadata"]
    assert "deeper_key" in meta  # top levels converted, the depths kept as sent


def test_huge_non_ascii_text_is_kept_whole() -> None:
    text = "日本語🎉" * 250_000  # 1.25 M characters
    event = {"candidates": [{"content": {"parts": [{"text": text}]}}]}
    assert response_to_result(event, "m").generations[0].message.content == text
