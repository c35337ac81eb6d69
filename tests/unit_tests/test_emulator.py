"""The loopback emulator speaks the Gemini protocol: checked with raw httpx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_cometgemini._sse import SSEDecoder
from langchain_cometgemini.testing import (
    GeminiEmulator,
    RecordedRequest,
    Reply,
    default_reply,
    instance_of,
)
from tests import recordings

KEY = {"x-goog-api-key": "test"}


def url(emu: GeminiEmulator, action: str, model: str = "gemini-2.5-flash") -> str:
    suffix = "?alt=sse" if action == "streamGenerateContent" else ""
    return f"{emu.url}/v1beta/models/{model}:{action}{suffix}"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def post(emu: GeminiEmulator, body: Any, action: str = "generateContent", **kw: Any):
    return httpx.post(url(emu, action), json=body, headers=kw.pop("headers", KEY))


def stream_frames(emu: GeminiEmulator, body: Any) -> tuple[list[bytes], list[dict]]:
    """Raw byte chunks as received, and the decoded events."""
    chunks: list[bytes] = []
    decoder = SSEDecoder()
    events: list[dict] = []
    with httpx.stream(
        "POST", url(emu, "streamGenerateContent"), json=body, headers=KEY
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        for raw in response.iter_raw():
            chunks.append(raw)
            events.extend(decoder.feed(raw))
    events.extend(decoder.close())
    return chunks, events


def text_of(response: dict) -> str:
    parts = response["candidates"][0]["content"]["parts"]
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


# -- auth and validation ------------------------------------------------------


def test_missing_key_is_a_gemini_style_401(emulator: GeminiEmulator) -> None:
    response = post(emulator, {"contents": [user("hi")]}, headers={})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 401
    assert error["status"] == "UNAUTHENTICATED"
    assert "authentication credential" in error["message"]


def test_bearer_key_is_accepted_and_wrong_key_rejected() -> None:
    with GeminiEmulator(api_key="right") as emu:
        ok = post(
            emu, {"contents": [user("hi")]}, headers={"authorization": "Bearer right"}
        )
        bad = post(emu, {"contents": [user("hi")]}, headers={"x-goog-api-key": "wrong"})
    assert ok.status_code == 200
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("API key not valid")


@pytest.mark.unserved_replies
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"contents": [user("hi")], "temprature": 1}, 'Unknown name "temprature"'),
        ({"contents": []}, "contents is not specified"),
        ({"contents": [{"role": "user", "parts": []}]}, "contents[0].parts"),
        ({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}, "valid role"),
        (
            {
                "contents": [
                    user("hi"),
                    {"role": "model", "parts": [{"functionCall": {"name": "nope"}}]},
                ],
                "tools": [{"functionDeclarations": [{"name": "real"}]}],
            },
            "'nope' is not declared",
        ),
    ],
)
def test_malformed_requests_get_400_in_the_services_words(
    emulator: GeminiEmulator, body: dict, words: str
) -> None:
    emulator.queue(Reply.text("never served"))
    response = post(emulator, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert words in error["message"]
    assert emulator.pending == 1  # a rejected request does not use up the script
    assert emulator.last_request.body == body


def test_valid_agent_history_is_not_rejected(emulator: GeminiEmulator) -> None:
    body = {
        "contents": [
            user("weather?"),
            {"role": "model", "parts": [{"functionCall": {"name": "w", "args": {}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "w", "response": {"r": 1}}}],
            },
        ],
        "tools": [{"functionDeclarations": [{"name": "w"}]}, {"googleSearch": {}}],
    }
    response = post(emulator, body)
    assert response.status_code == 200
    assert text_of(response.json()) == 'Done: w returned {"r": 1}.'


def test_thinking_level_on_a_2_5_model_is_rejected(emulator: GeminiEmulator) -> None:
    body = {
        "contents": [user("hi")],
        "generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW"}},
    }
    response = post(emulator, body)
    assert response.status_code == 400
    assert "Thinking level is not supported" in response.json()["error"]["message"]


# -- scripted answers -----------------------------------------------------------


def test_queued_answers_are_served_in_order_then_the_default(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.text("first"), Reply.text("second"))
    answers = [
        text_of(post(emulator, {"contents": [user(f"q{i}")]}).json()) for i in range(3)
    ]
    assert answers == ["first", "second", "Echo: q2"]
    assert [r.last_user_text for r in emulator.requests] == ["q0", "q1", "q2"]
    assert emulator.requests[0].model == "gemini-2.5-flash"
    assert emulator.requests[0].action == "generateContent"


def test_responder_chooses_by_request_and_can_fall_through() -> None:
    def responder(request: RecordedRequest) -> Reply | None:
        return Reply.text("special") if "magic" in request.last_user_text else None

    with GeminiEmulator(responder) as emu:
        special = text_of(post(emu, {"contents": [user("the magic word")]}).json())
        plain = text_of(post(emu, {"contents": [user("plain")]}).json())
    assert (special, plain) == ("special", "Echo: plain")


def test_default_off_answers_500_when_nothing_is_scripted() -> None:
    with GeminiEmulator(default=False) as emu:
        response = post(emu, {"contents": [user("hi")]})
    assert response.status_code == 500
    assert response.json()["error"]["status"] == "INTERNAL"


def test_stream_is_split_into_crlf_framed_events_flushed_one_by_one(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.stream("alpha ", "beta ", "gamma").slowly(0.02))
    chunks, events = stream_frames(emulator, {"contents": [user("hi")]})
    assert [text_of(e) for e in events] == ["alpha ", "beta ", "gamma"]
    # each event arrived in its own read, framed the way Gemini frames it
    assert len(chunks) == 3
    assert all(c.startswith(b"data: ") and c.endswith(b"\r\n\r\n") for c in chunks)
    assert "finishReason" not in events[0]["candidates"][0]
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"


def test_a_unary_reply_streams_as_several_events(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("The quick brown fox jumps", usage=(5, 7)))
    _, events = stream_frames(emulator, {"contents": [user("hi")]})
    assert len(events) == 3
    assert "".join(text_of(e) for e in events) == "The quick brown fox jumps"
    assert events[0]["usageMetadata"] == {"promptTokenCount": 5, "totalTokenCount": 5}
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == 7


def test_streamed_reply_is_merged_for_a_unary_request(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.stream("a", "b", "c"))
    assert text_of(post(emulator, {"contents": [user("hi")]}).json()) == "abc"


def test_constructors_build_gemini_parts() -> None:
    call = Reply.tool_call("f", {"x": 1}, id="c1").json["candidates"][0]
    part = call["content"]["parts"][0]
    assert part["functionCall"] == {"name": "f", "args": {"x": 1}, "id": "c1"}
    assert part["thoughtSignature"]
    thought = Reply.thought("hmm", "42").json["candidates"][0]["content"]["parts"]
    assert thought[0] == {"text": "hmm", "thought": True}
    assert thought[1]["text"] == "42" and thought[1]["thoughtSignature"]
    image = Reply.image(b"\x89PNG", text="here").json["candidates"][0]["content"][
        "parts"
    ]
    assert image[1]["inlineData"] == {"mimeType": "image/png", "data": "iVBORw=="}
    grounded = Reply.grounded("Paris", sources=[("https://a.example", "A")]).json
    metadata = grounded["candidates"][0]["groundingMetadata"]
    assert metadata["groundingChunks"] == [
        {"web": {"uri": "https://a.example", "title": "A"}}
    ]
    code = Reply.code_execution("print(1)", "1\n").json["candidates"][0]["content"][
        "parts"
    ]
    assert code[0]["executableCode"]["code"] == "print(1)"
    assert code[1]["codeExecutionResult"]["output"] == "1\n"
    usage = Reply.text("x", usage=(3, 4, 5)).json["usageMetadata"]
    assert usage == {
        "promptTokenCount": 3,
        "candidatesTokenCount": 4,
        "thoughtsTokenCount": 5,
        "totalTokenCount": 12,
    }


# -- faults ------------------------------------------------------------------------


def test_error_reply_carries_retry_after(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.rate_limited(retry_after=7))
    response = post(emulator, {"contents": [user("hi")]})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_dropped_connection(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.dropped())
    with pytest.raises(httpx.RemoteProtocolError):
        post(emulator, {"contents": [user("hi")]})


def test_stream_cut_mid_event(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.stream("one", "two", "three").cut(1))
    received: list[bytes] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            url(emulator, "streamGenerateContent"),
            json={"contents": [user("hi")]},
            headers=KEY,
        ) as response,
    ):
        received.extend(response.iter_raw())
    assert b"".join(received).startswith(b"data: ")
    assert b"one" in b"".join(received)
    assert b"three" not in b"".join(received)


def test_replays_a_recording_byte_for_byte(emulator: GeminiEmulator) -> None:
    recording = recordings.load("test_google_model_stream__0")
    emulator.queue(recording)
    chunks, events = stream_frames(emulator, recording["request"])
    assert b"".join(chunks).decode() == recording["response_sse"]
    assert events == recordings.events(recording)


# -- default responder -----------------------------------------------------------


def request(body: dict, action: str = "generateContent") -> RecordedRequest:
    return RecordedRequest("POST", f"/v1beta/models/m:{action}", {}, body)


def test_default_calls_the_first_declared_function_with_required_args() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer", "minimum": 1},
            "unit": {"enum": ["C", "F"]},
            "note": {"type": "string"},
        },
        "required": ["city", "days", "unit"],
    }
    body = {
        "contents": [user("weather?")],
        "tools": [
            {"functionDeclarations": [{"name": "w", "parametersJsonSchema": schema}]}
        ],
    }
    part = default_reply(request(body)).json["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"] == {
        "name": "w",
        "args": {"city": "example", "days": 1, "unit": "C"},
    }


def test_default_mode_none_answers_text_and_any_picks_allowed() -> None:
    tools = [{"functionDeclarations": [{"name": "a"}, {"name": "b"}]}]
    none = {
        "contents": [user("x")],
        "tools": tools,
        "toolConfig": {"functionCallingConfig": {"mode": "NONE"}},
    }
    assert text_of(default_reply(request(none)).json) == "Echo: x"
    forced = {
        "contents": [user("x")],
        "tools": tools,
        "toolConfig": {
            "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["b"]}
        },
    }
    part = default_reply(request(forced)).json["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"]["name"] == "b"


def test_default_json_schema_image_and_count_tokens() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"$ref": "#/$defs/T"}, "minItems": 1}
        },
        "required": ["tags"],
        "$defs": {
            "T": {
                "type": "object",
                "properties": {"n": {"type": "number"}},
                "required": ["n"],
            }
        },
    }
    body = {"contents": [user("x")], "generationConfig": {"responseJsonSchema": schema}}
    assert json.loads(text_of(default_reply(request(body)).json)) == {
        "tags": [{"n": 0.0}]
    }
    image = {
        "contents": [user("x")],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    }
    parts = default_reply(request(image)).json["candidates"][0]["content"]["parts"]
    assert parts[-1]["inlineData"]["mimeType"] == "image/png"
    count = default_reply(
        request(
            {"generateContentRequest": {"contents": [user("x" * 400)]}}, "countTokens"
        )
    )
    assert count.json["totalTokens"] > 100


def test_instance_of_handles_nullable_and_string_bounds() -> None:
    assert (
        instance_of({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]})
        == 3
    )
    assert instance_of({"type": "string", "minLength": 10}) == "exampleexa"
    assert instance_of({"type": "STRING", "maxLength": 3}) == "exa"
    assert instance_of({"type": ["null", "boolean"]}) is False


def test_gemini_emulator_fixture_is_importable_and_started() -> None:
    from langchain_cometgemini.testing import gemini_emulator

    generator = gemini_emulator.__wrapped__()  # type: ignore[attr-defined]
    emu = next(generator)
    try:
        assert post(emu, {"contents": [user("hi")]}).status_code == 200
    finally:
        generator.close()


def test_queueing_a_list_of_replies_names_the_mistake() -> None:
    """``Reply.long_decode`` returns its hops as a list: queued without ``*``
    it is refused with what to write, not a bare AttributeError at serving."""
    emu = GeminiEmulator()
    hops = Reply.long_decode("one", "two")
    with pytest.raises(TypeError, match=r"emulator\.queue\(\*replies\)"):
        emu.queue(hops)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a recording is a JSON object"):
        Reply.from_recording(["not", "a", "recording"])  # type: ignore[arg-type]
    assert emu.pending == 0
    emu.queue(*hops)
    assert emu.pending == 2
