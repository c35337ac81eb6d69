"""Gemini-native features end to end over the loopback emulator.

Thinking (blocks, signatures, reasoning usage, standard ``reasoning`` blocks),
grounding (snake_case metadata, citations in ``content_blocks``, on the final
chunk when streaming), URL-context and citation metadata, code execution in
order with the text around it, image output and multi-turn image editing,
``save_images``, safety ratings, logprobs, ``n > 1`` and token counting.
"""

from __future__ import annotations

import base64
import operator
import warnings
from collections.abc import Iterator
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_cometgemini import (
    ChatCometGemini,
    GeminiInvalidRequestError,
    save_images,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.recordings import load

G25 = "gemini-2.5-flash"
G3 = "gemini-3-flash-preview"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x01" * 12).decode()


@pytest.fixture(scope="module")
def _server() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as emu:
        yield emu


@pytest.fixture
def emulator(_server: GeminiEmulator) -> GeminiEmulator:
    """One server per module; each test starts with an empty request log."""
    _server.requests.clear()
    return _server


def _llm(emulator: GeminiEmulator, model: str = G3, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", max_retries=0, **kwargs
    )


def _response(parts: list[dict[str, Any]], **candidate: Any) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": parts},
                "finishReason": "STOP",
                "index": 0,
                **candidate,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 5,
            "thoughtsTokenCount": 7,
            "totalTokenCount": 22,
        },
        "modelVersion": "gemini-3-flash-preview",
        "responseId": "resp-1",
    }


def _stream_of(response: dict[str, Any]) -> Reply:
    """One SSE event per part; metadata and usage on the last event only."""
    candidate = response["candidates"][0]
    parts = candidate["content"]["parts"]
    events = []
    for number, part in enumerate(parts):
        event: dict[str, Any] = {
            "candidates": [{"content": {"role": "model", "parts": [part]}, "index": 0}],
            "modelVersion": response["modelVersion"],
            "responseId": response["responseId"],
        }
        if number == len(parts) - 1:
            event["candidates"][0].update(
                {k: v for k, v in candidate.items() if k not in ("content", "index")}
            )
            event["usageMetadata"] = response["usageMetadata"]
        events.append(event)
    return Reply(events=events)


def _aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    return reduce(operator.add, chunks)


# -- thinking -----------------------------------------------------------------------

THOUGHTFUL = _response(
    [
        {"text": "Let me think.", "thought": True, "thoughtSignature": "sig-thought"},
        {"text": "The answer is 4.", "thoughtSignature": "sig-text"},
    ]
)


def test_thoughts_become_thinking_blocks_with_signatures(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply(json=THOUGHTFUL))
    message = _llm(emulator, include_thoughts=True).invoke("2+2?")
    assert message.content == [
        {
            "type": "thinking",
            "thinking": "Let me think.",
            "signature": "sig-thought",
            "index": 0,
        },
        {
            "type": "text",
            "text": "The answer is 4.",
            "extras": {"signature": "sig-text"},
            "index": 1,
        },
    ]
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"] == {"reasoning": 7}
    assert message.usage_metadata["output_tokens"] == 12
    standard = message.content_blocks
    assert [b["type"] for b in standard] == ["reasoning", "text"]
    assert standard[0]["reasoning"] == "Let me think."
    assert message.text == "The answer is 4."


def test_streamed_thoughts_match_unary(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=THOUGHTFUL), _stream_of(THOUGHTFUL))
    llm = _llm(emulator, include_thoughts=True)
    unary = llm.invoke("2+2?")
    chunks = list(llm.stream("2+2?"))
    total = _aggregate(chunks)
    assert total.content == unary.content
    assert total.usage_metadata == unary.usage_metadata
    # usage is reported once, on the closing chunk
    assert [c.usage_metadata is not None for c in chunks] == [False, False, True]
    assert chunks[-1].chunk_position == "last"


def test_thought_signatures_go_back_on_the_next_turn(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=THOUGHTFUL), Reply(json=_response([{"text": "ok"}])))
    llm = _llm(emulator, include_thoughts=True)
    first = llm.invoke("2+2?")
    llm.invoke([HumanMessage("2+2?"), first, HumanMessage("and 3+3?")])
    model_turn = emulator.requests[1].body["contents"][1]
    assert model_turn == {
        "role": "model",
        "parts": [
            {
                "text": "Let me think.",
                "thought": True,
                "thoughtSignature": "sig-thought",
            },
            {"text": "The answer is 4.", "thoughtSignature": "sig-text"},
        ],
    }


def test_function_call_signature_round_trip(emulator: GeminiEmulator) -> None:
    call = {
        "functionCall": {"name": "add", "args": {"a": 1}, "id": "c1"},
        "thoughtSignature": "fc-sig",
    }
    emulator.queue(
        Reply(json=_response([call])), Reply(json=_response([{"text": "2"}]))
    )
    llm = _llm(emulator)
    first = llm.invoke("add")
    assert first.tool_calls == [
        {"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}
    ]
    assert first.additional_kwargs["__gemini_function_call_thought_signatures__"] == {
        "c1": "fc-sig"
    }
    llm.invoke([HumanMessage("add"), first, ToolMessage("2", tool_call_id="c1")])
    sent = emulator.requests[1].body["contents"]
    assert sent[1]["parts"] == [call]
    assert sent[2]["parts"] == [
        {"functionResponse": {"name": "add", "response": {"output": "2"}, "id": "c1"}}
    ]


# -- grounding, URL context, citations ------------------------------------------------


def test_grounding_metadata_snake_case_and_citations(emulator: GeminiEmulator) -> None:
    recording = load("test_google_model_web_search_tool__0")
    emulator.queue(Reply.from_recording(recording))
    message = _llm(emulator, model=recording["model"]).invoke("weather?")
    raw = recording["response_json"]["candidates"][0]["groundingMetadata"]
    grounding = message.response_metadata["grounding_metadata"]
    assert grounding["grounding_chunks"][0]["web"] == raw["groundingChunks"][0]["web"]
    first = raw["groundingSupports"][0]
    assert grounding["grounding_supports"][0] == {
        "grounding_chunk_indices": first["groundingChunkIndices"],
        "segment": {
            "end_index": first["segment"]["endIndex"],
            "start_index": first["segment"]["startIndex"],
            "text": first["segment"]["text"],
        },
    }
    citations = [
        a
        for block in message.content_blocks
        if block["type"] == "text"
        for a in block.get("annotations", [])
        if a["type"] == "citation"
    ]
    urls = {chunk["web"]["uri"] for chunk in raw["groundingChunks"]}
    assert citations, "grounding must surface as citations in content_blocks"
    assert {c["url"] for c in citations} <= urls
    assert {c["cited_text"] for c in citations} >= {first["segment"]["text"]}


def test_streamed_grounding_arrives_on_final_chunk(emulator: GeminiEmulator) -> None:
    grounded = _response(
        [{"text": "Paris "}, {"text": "is the capital."}],
        groundingMetadata={
            "webSearchQueries": ["capital of France"],
            "groundingChunks": [{"web": {"uri": "https://example.org", "title": "ex"}}],
            "groundingSupports": [
                {
                    "segment": {"startIndex": 0, "endIndex": 5, "text": "Paris"},
                    "groundingChunkIndices": [0],
                }
            ],
        },
        urlContextMetadata={
            "urlMetadata": [
                {
                    "retrievedUrl": "https://example.org",
                    "urlRetrievalStatus": "URL_RETRIEVAL_STATUS_SUCCESS",
                }
            ]
        },
        citationMetadata={
            "citationSources": [
                {"startIndex": 0, "endIndex": 5, "uri": "https://example.org"}
            ]
        },
    )
    emulator.queue(_stream_of(grounded))
    chunks = list(_llm(emulator).stream("capital?"))
    assert all("grounding_metadata" not in c.response_metadata for c in chunks[:-1])
    meta = chunks[-1].response_metadata
    assert meta["grounding_metadata"]["web_search_queries"] == ["capital of France"]
    assert meta["url_context_metadata"] == {
        "url_metadata": [
            {
                "retrieved_url": "https://example.org",
                "url_retrieval_status": "URL_RETRIEVAL_STATUS_SUCCESS",
            }
        ]
    }
    assert meta["citation_metadata"] == {
        "citation_sources": [
            {"start_index": 0, "end_index": 5, "uri": "https://example.org"}
        ]
    }
    total = _aggregate(chunks)
    assert total.text == "Paris is the capital."
    annotations = [a for b in total.content_blocks for a in b.get("annotations", [])]
    assert [a["url"] for a in annotations] == ["https://example.org"]


# -- code execution -----------------------------------------------------------------

CODE = _response(
    [
        {"text": "I will compute it."},
        {"executableCode": {"language": "PYTHON", "code": "print(6*7)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}},
        {"text": "The result is 42."},
    ]
)


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_code_execution_blocks_in_order(emulator: GeminiEmulator, mode: str) -> None:
    emulator.queue(Reply(json=CODE) if mode == "invoke" else _stream_of(CODE))
    llm = _llm(emulator).bind_tools([{"code_execution": {}}])
    message = (
        llm.invoke("6*7?") if mode == "invoke" else _aggregate(list(llm.stream("6*7?")))
    )
    assert emulator.requests[0].body["tools"] == [{"codeExecution": {}}]
    kinds = [b if isinstance(b, str) else b["type"] for b in message.content]
    assert kinds == [
        "I will compute it.",
        "executable_code",
        "code_execution_result",
        "The result is 42.",
    ]
    code, result = message.content[1], message.content[2]
    assert (code["executable_code"], code["language"]) == ("print(6*7)", "PYTHON")
    assert (result["code_execution_result"], result["outcome"]) == ("42\n", 1)
    standard = [b["type"] for b in message.content_blocks]
    assert standard == ["text", "server_tool_call", "server_tool_result", "text"]


def test_code_execution_recording_sends_history_back(emulator: GeminiEmulator) -> None:
    recording = load("test_code_execution__0")
    emulator.queue(
        Reply.from_recording(recording), Reply(json=_response([{"text": "ok"}]))
    )
    llm = _llm(emulator, model=recording["model"])
    first = llm.invoke("what day is it?")
    llm.invoke([HumanMessage("what day is it?"), first, HumanMessage("thanks")])
    sent = emulator.requests[1].body["contents"][1]["parts"]
    recorded = recording["response_json"]["candidates"][0]["content"]["parts"]
    # every code / result part goes back with its content and signature
    for kind in ("executableCode", "codeExecutionResult"):
        want = [p[kind] for p in recorded if kind in p]
        got = [p[kind] for p in sent if kind in p]
        assert [{k: v for k, v in g.items() if k != "id"} for g in got] == [
            {k: v for k, v in w.items() if k != "id"} for w in want
        ]
    assert [p.get("thoughtSignature") for p in sent] == [
        p.get("thoughtSignature") for p in recorded
    ]


# -- images -------------------------------------------------------------------------

IMAGE_ANSWER = _response(
    [
        {"text": "Here it is."},
        {
            "inlineData": {"mimeType": "image/png", "data": PNG},
            "thoughtSignature": "img-sig",
        },
    ]
)


def test_image_output_as_data_uri_and_standard_block(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=IMAGE_ANSWER))
    llm = _llm(
        emulator,
        model="gemini-3-pro-image-preview",
        response_modalities=["TEXT", "IMAGE"],
        image_config={"aspect_ratio": "1:1", "image_size": "4K"},
    )
    message = llm.invoke("draw a cat")
    assert emulator.requests[0].body["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "1:1", "imageSize": "4K"},
    }
    image = message.content[1]
    assert image["type"] == "image_url"
    assert image["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    assert image["extras"]["signature"] == "img-sig"
    standard = [b for b in message.content_blocks if b["type"] == "image"]
    assert len(standard) == 1
    assert (standard[0]["base64"], standard[0]["mime_type"]) == (PNG, "image/png")


def test_multi_turn_image_edit_sends_image_and_signature_back(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply(json=IMAGE_ANSWER), Reply(json=IMAGE_ANSWER))
    llm = _llm(
        emulator,
        model="gemini-3-pro-image-preview",
        response_modalities=["TEXT", "IMAGE"],
    )
    first = llm.invoke("draw a cat")
    llm.invoke([HumanMessage("draw a cat"), first, HumanMessage("make it blue")])
    contents = emulator.requests[1].body["contents"]
    assert contents[1] == {
        "role": "model",
        "parts": [
            {"text": "Here it is."},
            {
                "inlineData": {"mimeType": "image/png", "data": PNG},
                "thoughtSignature": "img-sig",
            },
        ],
    }
    assert contents[2] == {"role": "user", "parts": [{"text": "make it blue"}]}


def test_image_to_image_edit_request_shape(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=IMAGE_ANSWER))
    llm = _llm(emulator, model="gemini-2.5-flash-image", response_modalities=["IMAGE"])
    prompt = HumanMessage(
        content=[
            {"type": "text", "text": "Add a hat"},
            {"type": "image", "base64": JPEG, "mime_type": "image/jpeg"},
        ]
    )
    message = llm.invoke([prompt])
    assert emulator.requests[0].body == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "Add a hat"},
                    {"inlineData": {"mimeType": "image/jpeg", "data": JPEG}},
                ],
            }
        ],
        "generationConfig": {"responseModalities": ["IMAGE"]},
    }
    assert [b["type"] for b in message.content_blocks] == ["text", "image"]


def test_recorded_image_saved_to_disk(emulator: GeminiEmulator, tmp_path: Path) -> None:
    recording = load("test_google_image_and_text_output__0")
    emulator.queue(Reply.from_recording(recording))
    message = _llm(emulator, model=recording["model"]).invoke("story")
    paths = save_images(message, tmp_path / "out", prefix="axolotl")
    assert paths == [tmp_path / "out" / "axolotl_0.png"]
    data = recording["response_json"]["candidates"][0]["content"]["parts"][1][
        "inlineData"
    ]["data"]
    assert paths[0].read_bytes() == base64.b64decode(data)
    assert paths[0].read_bytes().startswith(b"\x89PNG")


def test_save_images_extensions_order_and_no_images(tmp_path: Path) -> None:
    message = AIMessage(
        content=[
            {
                "type": "image_url",
                "image_url": {"url": f"data:image/jpeg;base64,{JPEG}"},
            },
            "text in between",
            {"type": "image_url", "image_url": {"url": "https://example.org/x.png"}},
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            {
                "type": "image_url",
                "image_url": {"url": f"data:image/webp;base64,{PNG}"},
            },
        ]
    )
    paths = save_images(message, tmp_path)
    assert [p.name for p in paths] == ["image_0.jpg", "image_1.png", "image_2.webp"]
    assert paths[0].read_bytes() == base64.b64decode(JPEG)
    assert paths[1].read_bytes() == base64.b64decode(PNG)
    assert save_images(AIMessage(content="no pictures"), tmp_path / "none") == []
    assert not (tmp_path / "none").exists()


def test_save_images_rejects_corrupt_base64(tmp_path: Path) -> None:
    bad = AIMessage(
        content=[
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}
        ]
    )
    with pytest.raises(ValueError, match="invalid base64"):
        save_images(bad, tmp_path)


# -- safety, logprobs, n > 1 ----------------------------------------------------------


def test_safety_ratings_and_logprobs_in_metadata(emulator: GeminiEmulator) -> None:
    answer = _response(
        [{"text": "hi"}],
        safetyRatings=[
            {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}
        ],
        avgLogprobs=-0.25,
        logprobsResult={
            "topCandidates": [
                {"candidates": [{"token": "hi", "logProbability": -0.25}]}
            ],
            "chosenCandidates": [{"token": "hi", "logProbability": -0.25}],
        },
    )
    emulator.queue(Reply(json=answer))
    llm = _llm(
        emulator,
        safety_settings={"hate_speech": "block_low_and_above"},
        response_logprobs=True,
        logprobs=1,
    )
    message = llm.invoke("hi")
    body = emulator.requests[0].body
    assert body["safetySettings"] == [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_LOW_AND_ABOVE"}
    ]
    meta = message.response_metadata
    assert meta["safety_ratings"] == [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}
    ]
    assert meta["avg_logprobs"] == -0.25
    assert meta["logprobs_result"]["chosen_candidates"] == [
        {"token": "hi", "log_probability": -0.25}
    ]


def test_n_candidates_become_generations(emulator: GeminiEmulator) -> None:
    answer = _response([{"text": "first"}])
    answer["candidates"].append(
        {
            "content": {"role": "model", "parts": [{"text": "second"}]},
            "finishReason": "MAX_TOKENS",
            "index": 1,
        }
    )
    emulator.queue(Reply(json=answer))
    result = _llm(emulator, n=2).generate([[HumanMessage("hi")]])
    assert emulator.requests[0].body["generationConfig"] == {"candidateCount": 2}
    (generations,) = result.generations
    assert [g.text for g in generations] == ["first", "second"]
    assert [g.generation_info["finish_reason"] for g in generations] == [
        "STOP",
        "MAX_TOKENS",
    ]


def test_streaming_refuses_n_above_one(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValueError, match="n=2"):
        list(_llm(emulator, n=2).stream("hi"))
    assert emulator.requests == []


# -- token counting -----------------------------------------------------------------


def test_count_tokens_request_matches_generate_request(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(
        Reply(json={"totalTokens": 31}), Reply(json=_response([{"text": "x"}]))
    )
    # No cached_content here: with a system message and tools it is refused
    # before sending (docs/caching.md); test_media_options covers that.
    llm = _llm(emulator, model=G25, reasoning_effort="low")
    messages = [SystemMessage("be brief"), HumanMessage("hello")]

    def get_weather(city: str) -> str:
        """Weather for a city."""
        return city

    assert llm.get_num_tokens_from_messages(messages, tools=[get_weather]) == 31
    llm.bind_tools([get_weather]).invoke(messages)
    count, generate = emulator.requests
    assert count.action == "countTokens"
    assert count.model == G25
    assert count.body == {
        "generateContentRequest": {"model": f"models/{G25}", **generate.body}
    }
    assert count.body["generateContentRequest"]["systemInstruction"] == {
        "parts": [{"text": "be brief"}]
    }


def test_get_num_tokens_counts_text_as_user_message(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json={"totalTokens": 3}))
    assert _llm(emulator).get_num_tokens("hello there") == 3
    assert emulator.requests[0].body == {
        "generateContentRequest": {
            "model": f"models/{G3}",
            "contents": [{"role": "user", "parts": [{"text": "hello there"}]}],
        }
    }


@pytest.mark.parametrize("status", [404, 405])
def test_count_tokens_falls_back_and_warns_once(
    emulator: GeminiEmulator, status: int
) -> None:
    emulator.queue(Reply.error(status, "no such method"))
    llm = _llm(emulator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = llm.get_num_tokens("a" * 40)
        second = llm.get_num_tokens("a" * 80)
    assert (first, second) == (10, 20)
    assert len([w for w in caught if str(status) in str(w.message)]) == 1
    assert len(emulator.requests) == 1  # the endpoint is not asked again


def test_count_tokens_other_errors_propagate(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.error(400, "bad request", status_text="INVALID_ARGUMENT"))
    with pytest.raises(GeminiInvalidRequestError, match="bad request"):
        _llm(emulator).get_num_tokens("hi")
