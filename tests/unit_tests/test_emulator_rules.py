"""The default responder's rules (docs/testing.md, "What the default answer
follows"): each rule on its own, on the wire and through ``ChatCometGemini``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import jsonschema
import pytest
from langchain_core.messages import HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import (
    PNG_1X1,
    GeminiEmulator,
    RecordedRequest,
    Reply,
    default_reply,
    instance_of,
)
from langchain_cometgemini.testing._shape import CACHED_TOKENS, MEDIA_TOKENS


def user(*parts: Any) -> dict[str, Any]:
    return {
        "role": "user",
        "parts": [{"text": p} if isinstance(p, str) else p for p in parts],
    }


def answer(body: dict[str, Any]) -> dict[str, Any]:
    request = RecordedRequest("POST", "/v1beta/models/m:generateContent", {}, body)
    reply: dict[str, Any] = default_reply(request).json
    return reply


def text_of(candidate: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in candidate["content"]["parts"])


def llm(emulator: GeminiEmulator, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key="test", **kwargs)


# -- usage -----------------------------------------------------------------------


def test_prompt_usage_is_detailed_per_modality_from_the_request_parts() -> None:
    png = {"inlineData": {"mimeType": "image/png", "data": "iVBO"}}
    wav = {"inlineData": {"mimeType": "audio/wav", "data": "UklG"}}
    clip = {"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/c.mp4"}}
    pdf = {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://b/d.pdf"}}
    usage = answer({"contents": [user("look", png, png, wav, clip, pdf)]})[
        "usageMetadata"
    ]
    details = {d["modality"]: d["tokenCount"] for d in usage["promptTokensDetails"]}
    assert details["IMAGE"] == 2 * MEDIA_TOKENS
    assert details["AUDIO"] == details["VIDEO"] == details["DOCUMENT"] == MEDIA_TOKENS
    assert details["TEXT"] > 0
    assert usage["promptTokenCount"] == sum(details.values())
    assert "cachedContentTokenCount" not in usage


def test_answer_usage_is_detailed_per_modality_and_adds_up() -> None:
    body = {
        "contents": [user("say it")],
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "thinkingConfig": {"includeThoughts": True},
        },
    }
    usage = answer(body)["usageMetadata"]
    assert [d["modality"] for d in usage["candidatesTokensDetails"]] == ["AUDIO"]
    assert usage["candidatesTokenCount"] == sum(
        d["tokenCount"] for d in usage["candidatesTokensDetails"]
    )
    assert usage["thoughtsTokenCount"] > 0
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"]
        + usage["candidatesTokenCount"]
        + usage["thoughtsTokenCount"]
    )


def test_usage_details_reach_usage_metadata(emulator: GeminiEmulator) -> None:
    audio = base64.b64encode(b"RIFF....WAVEfmt ").decode()
    message = HumanMessage(
        [
            {"type": "text", "text": "what is this?"},
            {"type": "audio", "base64": audio, "mime_type": "audio/wav"},
        ]
    )
    usage = llm(emulator).invoke([message]).usage_metadata
    assert usage is not None
    assert usage["input_token_details"] == {"audio": MEDIA_TOKENS}
    streamed = list(llm(emulator).stream([message]))
    assert [c.usage_metadata for c in streamed if c.usage_metadata][-1][
        "input_token_details"
    ] == {"audio": MEDIA_TOKENS}


def test_cached_content_reads_cached_tokens(emulator: GeminiEmulator) -> None:
    plain = answer({"contents": [user("hello")]})["usageMetadata"]
    cached = answer({"contents": [user("hello")], "cachedContent": "cachedContents/x"})[
        "usageMetadata"
    ]
    assert cached["cachedContentTokenCount"] == CACHED_TOKENS
    assert cached["promptTokenCount"] == plain["promptTokenCount"] + CACHED_TOKENS
    message = llm(emulator, cached_content="cachedContents/x").invoke("hello")
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_token_details"]["cache_read"] == (
        CACHED_TOKENS
    )
    assert message.usage_metadata["input_tokens"] >= CACHED_TOKENS


# -- generation config -------------------------------------------------------------


def test_stop_sequences_cut_the_text_and_finish_stop(emulator: GeminiEmulator) -> None:
    body = {
        "contents": [user("one two three four")],
        "generationConfig": {"stopSequences": ["four", "three"]},
    }
    (candidate,) = answer(body)["candidates"]
    assert text_of(candidate) == "Echo: one two "
    assert candidate["finishReason"] == "STOP"
    model = llm(emulator, stop=["three"])
    assert model.invoke("one two three four").text == "Echo: one two "
    assert "".join(c.text for c in model.stream("one two three four")) == (
        "Echo: one two "
    )


def test_max_output_tokens_cut_the_text_and_finish_max_tokens(
    emulator: GeminiEmulator,
) -> None:
    body = {
        "contents": [user("a rather long prompt to echo back")],
        "generationConfig": {"maxOutputTokens": 2},
    }
    (candidate,) = answer(body)["candidates"]
    assert text_of(candidate) == "Echo: a "  # two tokens: 4 characters each
    assert candidate["finishReason"] == "MAX_TOKENS"
    message = llm(emulator, max_tokens=2).invoke("a rather long prompt")
    assert message.text == "Echo: a "
    assert message.response_metadata["finish_reason"] == "MAX_TOKENS"
    roomy = answer({**body, "generationConfig": {"maxOutputTokens": 1000}})
    assert roomy["candidates"][0]["finishReason"] == "STOP"


def test_candidate_count_gives_that_many_candidates(emulator: GeminiEmulator) -> None:
    body = {"contents": [user("hi")], "generationConfig": {"candidateCount": 3}}
    candidates = answer(body)["candidates"]
    assert [c["index"] for c in candidates] == [0, 1, 2]
    assert {text_of(c) for c in candidates} == {"Echo: hi"}
    result = llm(emulator, n=2).generate([[HumanMessage("hi")]])
    assert [g.text for g in result.generations[0]] == ["Echo: hi", "Echo: hi"]


def test_logprobs_when_asked(emulator: GeminiEmulator) -> None:
    body = {
        "contents": [user("red green")],
        "generationConfig": {"responseLogprobs": True, "logprobs": 2},
    }
    (candidate,) = answer(body)["candidates"]
    chosen = candidate["logprobsResult"]["chosenCandidates"]
    assert "".join(c["token"] for c in chosen) == "Echo: red green"
    steps = candidate["logprobsResult"]["topCandidates"]
    assert len(steps) == len(chosen)
    assert all(len(step["candidates"]) == 2 for step in steps)
    assert candidate["avgLogprobs"] == pytest.approx(
        sum(c["logProbability"] for c in chosen) / len(chosen)
    )
    assert "logprobsResult" not in answer({"contents": [user("x")]})["candidates"][0]
    metadata = llm(emulator, response_logprobs=True).invoke("x").response_metadata
    assert metadata["logprobs_result"]["chosen_candidates"]
    assert metadata["avg_logprobs"] < 0


def test_every_candidate_has_safety_ratings(emulator: GeminiEmulator) -> None:
    body = {"contents": [user("hi")], "generationConfig": {"candidateCount": 2}}
    for candidate in answer(body)["candidates"]:
        assert {r["probability"] for r in candidate["safetyRatings"]} == {"NEGLIGIBLE"}
        assert len(candidate["safetyRatings"]) == 4
    ratings = llm(emulator).invoke("hi").response_metadata["safety_ratings"]
    assert len(ratings) == 4


def test_scripted_answers_are_sent_as_scripted(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("one two three four"))
    message = llm(emulator, stop=["two"], max_tokens=1).invoke("x")
    assert message.text == "one two three four"
    assert "safety_ratings" not in message.response_metadata


# -- values taken from the prompt ------------------------------------------------


SCHEMA = {
    "type": "object",
    "properties": {
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number"},
        "city": {"type": "string"},
        "note": {"type": "string", "maxLength": 5},
        "unit": {"enum": ["celsius", "fahrenheit"]},
        "flag": {"type": "boolean"},
    },
    "required": ["count", "ratio", "city", "note", "unit", "flag"],
}


def test_numbers_are_taken_in_order_within_bounds() -> None:
    # 42 is out of count's bounds and 2.5 not whole: count takes 7, ratio the
    # first number left (42).
    args = instance_of(SCHEMA, text="Try 42, then 2.5 and 7.")
    assert (args["count"], args["ratio"]) == (7, 42.0)
    assert instance_of(SCHEMA, text="no numbers")["count"] == 1  # the minimum


def test_strings_are_taken_from_quoted_spans_that_fit() -> None:
    text = "Weather in 'Lisbon', note \"too long\" and 'ok' in Fahrenheit."
    args = instance_of(SCHEMA, text=text)
    assert args["city"] == "Lisbon"
    assert args["note"] == "ok"  # "too long" is over maxLength 5
    assert args["flag"] is False
    plain = instance_of(SCHEMA, text="What's the weather?")  # an apostrophe
    assert plain["city"] == "example"


def test_enums_take_the_value_mentioned_first() -> None:
    assert instance_of(SCHEMA, text="in FAHRENHEIT")["unit"] == "fahrenheit"
    both = "fahrenheit or celsius? celsius first: no, fahrenheit is first here"
    assert instance_of(SCHEMA, text=both)["unit"] == "fahrenheit"
    # A word containing a value is not a mention; nothing mentioned: the first.
    assert instance_of(SCHEMA, text="fahrenheitish")["unit"] == "celsius"
    assert instance_of(SCHEMA, text="no unit")["unit"] == "celsius"
    status = {"type": "object", "properties": {"s": {"enum": [1, 2, 3]}}}
    assert instance_of({**status, "required": ["s"]}, text="level 3") == {"s": 3}


def test_named_values_win() -> None:
    text = "Use city=Oslo, count: 3 and unit=celsius, then 'Rome' and 9."
    args = instance_of(SCHEMA, text=text)
    assert (args["city"], args["count"], args["unit"]) == ("Oslo", 3, "celsius")


def test_tool_call_arguments_come_from_the_last_user_text(
    emulator: GeminiEmulator,
) -> None:
    def magic_function(input: int) -> int:
        """Apply a magic function to an input."""
        return input + 2

    model = llm(emulator).bind_tools([magic_function], tool_choice="any")
    call = model.invoke("What is the value of magic_function(3)?").tool_calls[0]
    assert call["args"] == {"input": 3}
    customer = {
        "title": "customer",
        "description": "Create a customer.",
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    }
    named = llm(emulator).bind_tools([customer], tool_choice="any")
    call = named.invoke("Create a customer named '你好啊集团'").tool_calls[0]
    assert call["args"] == {"name": "你好啊集团"}


@pytest.mark.parametrize(
    "text",
    ["", "count: 4 in 'Paris' (fahrenheit) 0.5", "11 and 'a very long note' 1e3"],
)
def test_json_answers_are_valid_against_the_schema(text: str) -> None:
    body = {
        "contents": [user(text or "x")],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": SCHEMA,
        },
    }
    value = json.loads(text_of(answer(body)["candidates"][0]))
    jsonschema.validate(value, SCHEMA)
    assert value == instance_of(SCHEMA, text=text or "x")


def test_json_answer_takes_values_from_the_prompt(emulator: GeminiEmulator) -> None:
    schema = {
        "title": "Person",
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    person = llm(emulator).with_structured_output(schema).invoke("'Ana' is 31")
    assert person == {"name": "Ana", "age": 31}


def test_image_prompt_counts_as_image_tokens(emulator: GeminiEmulator) -> None:
    png = base64.b64encode(PNG_1X1).decode()
    message = HumanMessage(
        [{"type": "image", "base64": png, "mime_type": "image/png"}, "what?"]
    )
    llm(emulator).invoke([message])
    assert emulator.last_request.body["contents"][0]["parts"][0]["inlineData"]
    usage = answer(emulator.last_request.body)["usageMetadata"]
    assert {"modality": "IMAGE", "tokenCount": MEDIA_TOKENS} in usage[
        "promptTokensDetails"
    ]
