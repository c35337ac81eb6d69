"""Every recording whose answer holds ``functionCall`` parts replays into
exactly the recorded calls, and the calls go back with their signatures.

For each one: the recorded answer is served by the loopback emulator
(``invoke`` for unary recordings, ``stream`` summed for streamed ones); the
resulting ``tool_calls`` must equal the recorded calls (names, args, order, ids
when the service sent them). Then the message is sent back with one
``ToolMessage`` per call: the model turn of that request must carry, call by
call, the byte-identical recorded ``thoughtSignature`` (or none, or the
documented Gemini 3 placeholder when no call of the turn was signed).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.recordings import events, load, names

SIGNATURES_KEY = "__gemini_function_call_thought_signatures__"
SKIP = "skip_thought_signature_validator"
DONE = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "ok"}]},
            "finishReason": "STOP",
        }
    ]
}


def recorded_call_parts(name: str) -> list[dict[str, Any]]:
    """The ``functionCall`` parts of a recording's answer, in order."""
    recording = load(name)
    if recording["status"] != 200:
        return []
    return [
        part
        for event in events(recording)
        for candidate in event.get("candidates", [])[:1]
        for part in candidate.get("content", {}).get("parts", [])
        if "functionCall" in part
    ]


TOOL_RECORDINGS = [n for n in names() if recorded_call_parts(n)]


def test_recordings_with_function_calls_are_all_covered() -> None:
    """Guards the parametrization below against silently shrinking."""
    assert len(TOOL_RECORDINGS) >= 40
    assert any(load(n)["stream"] for n in TOOL_RECORDINGS)
    assert any(load(n)["model"].startswith("gemini-3") for n in TOOL_RECORDINGS)


def replay(emulator: GeminiEmulator, name: str) -> tuple[ChatCometGemini, AIMessage]:
    recording = load(name)
    emulator.queue(Reply.from_recording(recording))
    llm = ChatCometGemini(
        base_url=emulator.url, api_key="test", model=recording["model"]
    )
    if recording["stream"]:
        message = reduce(operator.add, llm.stream("go"))
    else:
        message = llm.invoke("go")
    assert isinstance(message, AIMessage)
    return llm, message


@pytest.mark.parametrize("name", TOOL_RECORDINGS)
def test_replay_gives_recorded_calls(emulator: GeminiEmulator, name: str) -> None:
    recorded = recorded_call_parts(name)
    _, message = replay(emulator, name)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        (p["functionCall"]["name"], p["functionCall"].get("args", {})) for p in recorded
    ]
    assert message.invalid_tool_calls == []
    ids = [c["id"] for c in message.tool_calls]
    assert all(ids) and len(set(ids)) == len(ids)
    for tool_call, part in zip(message.tool_calls, recorded, strict=True):
        if "id" in part["functionCall"]:
            assert tool_call["id"] == part["functionCall"]["id"]
    expected_signatures = {
        c["id"]: p["thoughtSignature"]
        for c, p in zip(message.tool_calls, recorded, strict=True)
        if "thoughtSignature" in p
    }
    assert message.additional_kwargs.get(SIGNATURES_KEY, {}) == expected_signatures


@pytest.mark.parametrize("name", TOOL_RECORDINGS)
def test_calls_go_back_with_recorded_signatures(
    emulator: GeminiEmulator, name: str
) -> None:
    recorded = recorded_call_parts(name)
    llm, message = replay(emulator, name)
    results = [
        ToolMessage(f"result {i}", tool_call_id=c["id"])
        for i, c in enumerate(message.tool_calls)
    ]
    emulator.queue(Reply(json=DONE))
    llm.invoke([HumanMessage("go"), message, *results])
    contents = emulator.requests[-1].body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    calls_sent = [p for p in contents[1]["parts"] if "functionCall" in p]
    assert len(calls_sent) == len(recorded)
    unsigned_gemini_3 = load(name)["model"].startswith("gemini-3") and not any(
        "thoughtSignature" in p for p in recorded
    )
    for position, (sent, part, tool_call) in enumerate(
        zip(calls_sent, recorded, message.tool_calls, strict=True)
    ):
        # The recorded id goes back; a call recorded without one gets none
        # (the id LangChain pairs it by was generated, not the service's).
        recorded_id = part["functionCall"].get("id")
        assert sent["functionCall"] == {
            "name": part["functionCall"]["name"],
            "args": part["functionCall"].get("args", {}),
            **({"id": recorded_id} if recorded_id else {}),
        }
        assert tool_call["id"] == recorded_id or not recorded_id
        if "thoughtSignature" in part:
            assert (
                sent["thoughtSignature"] == part["thoughtSignature"]
            )  # byte-identical
        elif unsigned_gemini_3 and position == 0:
            assert sent["thoughtSignature"] == SKIP
        else:
            assert "thoughtSignature" not in sent
    responses = [p["functionResponse"] for p in contents[2]["parts"]]
    assert [(r["name"], r.get("id"), r["response"]) for r in responses] == [
        (c["name"], p["functionCall"].get("id"), {"output": f"result {i}"})
        for i, (c, p) in enumerate(zip(message.tool_calls, recorded, strict=True))
    ]
