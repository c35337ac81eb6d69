"""Every recorded Gemini answer replays over the loopback emulator.

Unary recordings go through ``invoke``; streamed ones through ``stream`` with
the chunks summed. The expected message is computed here straight from the
recording JSON (never by calling the package's parser), so a parser bug shows
up as a difference: text, thoughts and their signatures, tool calls and their
signatures, images as data URIs, code-execution parts in order, grounding /
URL-context / citation metadata (snake_case), finish reason, model version,
response id and usage.

``feature_table()`` reports, per feature, how many recordings carrying it
replay correctly.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterator
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.recordings import events, load, names

SIGNATURES_KEY = "__gemini_function_call_thought_signatures__"
OUTCOME_NUMBERS = {
    "OUTCOME_UNSPECIFIED": 0,
    "OUTCOME_OK": 1,
    "OUTCOME_FAILED": 2,
    "OUTCOME_DEADLINE_EXCEEDED": 3,
}


# -- expectations, built from the recording alone ---------------------------------


def to_snake(key: str) -> str:
    """``groundingChunks`` -> ``grounding_chunks`` (written independently)."""
    out: list[str] = []
    for position, char in enumerate(key):
        previous = key[position - 1] if position else ""
        if char.isupper() and position and (previous.islower() or previous.isdigit()):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def snake_tree(value: Any) -> Any:
    """Recursively snake_case every dict key of a recorded structure."""
    if isinstance(value, dict):
        return {to_snake(k): snake_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_tree(v) for v in value]
    return value


def _first_candidate(event: dict[str, Any]) -> dict[str, Any] | None:
    candidates = event.get("candidates") or []
    return candidates[0] if candidates else None


def recorded_parts(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every part of the first candidate, over all events, in order."""
    parts: list[dict[str, Any]] = []
    for event in events(rec):
        candidate = _first_candidate(event)
        if candidate:
            parts.extend((candidate.get("content") or {}).get("parts") or [])
    return parts


def _last(rec: dict[str, Any], key: str, *, candidate: bool) -> Any:
    found = None
    for event in events(rec):
        holder = _first_candidate(event) if candidate else event
        if holder and key in holder:
            found = holder[key]
    return found


def _kind(part: dict[str, Any]) -> str | None:
    if "functionCall" in part:
        return None
    if "text" in part:
        if part.get("thought"):
            return "thinking"
        return "text" if part["text"] or "thoughtSignature" in part else None
    if "inlineData" in part and part["inlineData"]["mimeType"].startswith("image/"):
        return "image"
    if "executableCode" in part:
        return "code"
    if "codeExecutionResult" in part:
        return "result"
    return "other"


def _collapse(kinds: list[str]) -> list[str]:
    return [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]


def expected(rec: dict[str, Any]) -> dict[str, Any]:
    """What the replayed message must hold, computed from the raw recording."""
    parts = recorded_parts(rec)
    calls = [p for p in parts if "functionCall" in p]
    usage = _last(rec, "usageMetadata", candidate=False) or {}
    thoughts = usage.get("thoughtsTokenCount", 0)
    prompt = usage.get("promptTokenCount", 0) + usage.get("toolUsePromptTokenCount", 0)
    output = usage.get("candidatesTokenCount", 0) + thoughts
    return {
        "text": "".join(
            p["text"] for p in parts if "text" in p and not p.get("thought")
        ),
        "thinking": "".join(p["text"] for p in parts if p.get("thought")),
        "thinking_signatures": [
            p["thoughtSignature"]
            for p in parts
            if p.get("thought") and "thoughtSignature" in p
        ],
        "text_signatures": [
            p["thoughtSignature"]
            for p in parts
            if "text" in p and not p.get("thought") and "thoughtSignature" in p
        ],
        "tool_calls": [
            (p["functionCall"]["name"], p["functionCall"].get("args", {}))
            for p in calls
        ],
        "tool_ids": [p["functionCall"].get("id") for p in calls],
        "call_signatures": [p.get("thoughtSignature") for p in calls],
        "images": [
            f"data:{p['inlineData']['mimeType']};base64,{p['inlineData']['data']}"
            for p in parts
            if "inlineData" in p and p["inlineData"]["mimeType"].startswith("image/")
        ],
        "code": [
            (p["executableCode"]["code"], p["executableCode"].get("language"))
            for p in parts
            if "executableCode" in p
        ],
        "results": [
            (
                p["codeExecutionResult"].get("output", ""),
                OUTCOME_NUMBERS[p["codeExecutionResult"].get("outcome", "OUTCOME_OK")],
            )
            for p in parts
            if "codeExecutionResult" in p
        ],
        "order": _collapse([k for p in parts if (k := _kind(p))]),
        "grounding": snake_tree(_last(rec, "groundingMetadata", candidate=True)),
        "url_context": snake_tree(_last(rec, "urlContextMetadata", candidate=True)),
        "citations": snake_tree(_last(rec, "citationMetadata", candidate=True)),
        "safety": snake_tree(_last(rec, "safetyRatings", candidate=True)),
        "avg_logprobs": _last(rec, "avgLogprobs", candidate=True),
        "finish_reason": _last(rec, "finishReason", candidate=True),
        "model_name": _last(rec, "modelVersion", candidate=False),
        "response_id": _last(rec, "responseId", candidate=False),
        "usage": {
            "input_tokens": prompt,
            "output_tokens": output,
            "total_tokens": usage.get("totalTokenCount", prompt + output),
            "reasoning": thoughts,
            "cache_read": usage.get("cachedContentTokenCount"),
        },
    }


def features(rec: dict[str, Any]) -> list[str]:
    """Feature tags of one recording, read from its answer."""
    parts = recorded_parts(rec)
    tags = ["stream" if rec["stream"] else "unary"]
    model = rec["model"]
    tags.append(
        "gemini-3"
        if model.startswith("gemini-3")
        else "gemini-2.5"
        if model.startswith("gemini-2.5")
        else "gemini-older"
    )
    if any("text" in p and not p.get("thought") and p["text"] for p in parts):
        tags.append("text")
    if any(p.get("thought") for p in parts):
        tags.append("thinking")
    if any("thoughtSignature" in p for p in parts):
        tags.append("signatures")
    if any("functionCall" in p for p in parts):
        tags.append("tool_calls")
    if any("inlineData" in p for p in parts):
        tags.append("images")
    if any("executableCode" in p or "codeExecutionResult" in p for p in parts):
        tags.append("code_execution")
    if any("toolCall" in p or "toolResponse" in p for p in parts):
        tags.append("server_tool_parts")
    for key, tag in (
        ("groundingMetadata", "grounding"),
        ("urlContextMetadata", "url_context"),
        ("citationMetadata", "citations"),
        ("avgLogprobs", "logprobs"),
        ("safetyRatings", "safety_ratings"),
    ):
        if _last(rec, key, candidate=True) is not None:
            tags.append(tag)
    usage = _last(rec, "usageMetadata", candidate=False) or {}
    if usage.get("thoughtsTokenCount"):
        tags.append("reasoning_tokens")
    if rec["request"].get("cachedContent"):
        tags.append("cached_content")
    return tags


# -- replay and comparison ----------------------------------------------------------


def _content_kind(block: Any) -> str:
    if isinstance(block, str):
        return "text"
    return {
        "text": "text",
        "thinking": "thinking",
        "image_url": "image",
        "executable_code": "code",
        "code_execution_result": "result",
    }.get(block.get("type"), "other")


def _blocks(message: BaseMessage) -> list[Any]:
    content = message.content
    if isinstance(content, str):
        return [content] if content else []
    return [b for b in content if not (isinstance(b, str) and not b)]


def actual(message: AIMessage) -> dict[str, Any]:
    """The same view as :func:`expected`, read from a LangChain message."""
    blocks = _blocks(message)
    dicts = [b for b in blocks if isinstance(b, dict)]
    meta = message.response_metadata
    usage = message.usage_metadata or {}
    signatures = message.additional_kwargs.get(SIGNATURES_KEY, {})
    return {
        "text": "".join(
            b if isinstance(b, str) else b.get("text", "")
            for b in blocks
            if isinstance(b, str) or b.get("type") == "text"
        ),
        "thinking": "".join(b["thinking"] for b in dicts if b["type"] == "thinking"),
        "thinking_signatures": [
            b["signature"]
            for b in dicts
            if b["type"] == "thinking" and "signature" in b
        ],
        "text_signatures": [
            b["extras"]["signature"]
            for b in dicts
            if b["type"] == "text" and "signature" in (b.get("extras") or {})
        ],
        "tool_calls": [(c["name"], c["args"]) for c in message.tool_calls],
        "tool_ids": [c["id"] for c in message.tool_calls],
        "call_signatures": [signatures.get(c["id"]) for c in message.tool_calls],
        "images": [b["image_url"]["url"] for b in dicts if b["type"] == "image_url"],
        "code": [
            (b["executable_code"], b["language"])
            for b in dicts
            if b["type"] == "executable_code"
        ],
        "results": [
            (b["code_execution_result"], b["outcome"])
            for b in dicts
            if b["type"] == "code_execution_result"
        ],
        "order": _collapse([_content_kind(b) for b in blocks]),
        "grounding": meta.get("grounding_metadata"),
        "url_context": meta.get("url_context_metadata"),
        "citations": meta.get("citation_metadata"),
        "safety": meta.get("safety_ratings"),
        "avg_logprobs": meta.get("avg_logprobs"),
        "finish_reason": meta.get("finish_reason"),
        "model_name": meta.get("model_name"),
        "response_id": message.id,
        "usage": {
            "input_tokens": usage.get("input_tokens"),
            "output_tokens": usage.get("output_tokens"),
            "total_tokens": usage.get("total_tokens"),
            "reasoning": (usage.get("output_token_details") or {}).get("reasoning", 0),
            "cache_read": (usage.get("input_token_details") or {}).get("cache_read"),
        },
    }


def replay(name: str, emulator: GeminiEmulator) -> AIMessage:
    """Serve one recording and return the message the model builds from it."""
    rec = load(name)
    emulator.queue(Reply.from_recording(rec))
    llm = ChatCometGemini(
        model=rec["model"], base_url=emulator.url, api_key="test", max_retries=0
    )
    prompt = [HumanMessage("replay")]
    if rec["stream"]:
        chunks = list(llm.stream(prompt))
        assert chunks[-1].chunk_position == "last"
        total = reduce(operator.add, chunks)
        return AIMessage(
            content=total.content,
            tool_calls=total.tool_calls,
            additional_kwargs=total.additional_kwargs,
            response_metadata=total.response_metadata,
            usage_metadata=total.usage_metadata,
            id=total.id,
        )
    return llm.invoke(prompt)


def check(name: str, emulator: GeminiEmulator) -> None:
    """Replay ``name`` and assert the message equals the recording's content."""
    rec = load(name)
    message = replay(name, emulator)
    want, got = expected(rec), actual(message)
    if None in want["tool_ids"]:  # no id on the wire: a generated one is fine
        want["tool_ids"] = [
            i or got_id
            for i, got_id in zip(want["tool_ids"], got["tool_ids"], strict=False)
        ]
    assert got == want
    assert message.response_metadata["model_provider"] == "google_genai"
    assert len(set(got["tool_ids"])) == len(got["tool_ids"])


ALL = names()


@pytest.fixture(scope="module")
def emulator() -> Iterator[GeminiEmulator]:
    """One server for all replays (each test queues exactly one answer)."""
    with GeminiEmulator() as emu:
        yield emu


def test_every_recording_is_covered() -> None:
    assert len(ALL) == 112


@pytest.mark.parametrize("name", ALL)
def test_replay(name: str, emulator: GeminiEmulator) -> None:
    check(name, emulator)


def feature_table() -> dict[str, tuple[int, int]]:
    """``feature -> (recordings passing, recordings with that feature)``."""
    passing: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    with GeminiEmulator() as emulator:
        for name in ALL:
            tags = ["all", *features(load(name))]
            seen.update(tags)
            try:
                check(name, emulator)
            except AssertionError:
                continue
            passing.update(tags)
    return {tag: (passing[tag], seen[tag]) for tag in sorted(seen)}
