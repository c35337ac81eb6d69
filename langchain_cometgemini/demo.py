"""A short tour of ChatCometGemini: ``python -m langchain_cometgemini.demo``.

With ``COMETAPI_KEY`` set it talks to CometAPI. Without one it runs the same
tour against the loopback :class:`~langchain_cometgemini.testing.GeminiEmulator`
and says plainly that the answers are scripted. Exits 0 when the tour ends.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from typing import Any

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_cometgemini import (
    ChatCometGemini,
    CometGeminiError,
    GeminiAPIError,
    GeminiConnectionError,
)
from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest, Reply

MODEL = "gemini-2.5-flash"
_OFFLINE = (
    "To run the tour offline against the bundled emulator instead, leave "
    "COMETAPI_KEY empty:\n    COMETAPI_KEY= python -m langchain_cometgemini.demo"
    "   (or: COMETAPI_KEY= make demo)"
)


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"21 C and sunny in {city}"


class Capital(BaseModel):
    """A country's capital city."""

    country: str = Field(description="The country")
    capital: str = Field(description="Its capital city")
    population_millions: float = Field(description="City population, millions")


def _scripted(request: RecordedRequest) -> Reply | None:
    """Offline answers that read like the real thing (everything else: default)."""
    body = request.content_request
    last = (body.get("contents") or [{}])[-1].get("parts", [])
    if any("functionResponse" in p for p in last):
        result = next(p["functionResponse"] for p in last if "functionResponse" in p)
        output = result["response"].get("output", result["response"])
        return Reply.text(f"The weather in Lisbon: {output}.")
    if body.get("tools"):
        return Reply.tool_call("get_weather", {"city": "Lisbon"})
    config = body.get("generationConfig") or {}
    if config.get("responseJsonSchema"):
        return Reply.text(
            '{"country": "Japan", "capital": "Tokyo", "population_millions": 14.0}'
        )
    if "haiku" in request.last_user_text:
        return Reply.stream(
            "Tokens drift like leaves,\n",
            "a stream of small words arriving,\n",
            "the answer takes shape.",
        ).slowly(0.2)
    return Reply.text(
        "LangChain is a framework for building apps with language models."
    )


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 60 - len(title)))


def tour(llm: ChatCometGemini) -> None:
    """Chat answer, streamed answer, tool call and its result, structured output."""
    _section("1. Chat answer (invoke)")
    answer = llm.invoke("In one sentence: what is LangChain?")
    print(answer.text)
    if answer.usage_metadata:
        usage = answer.usage_metadata
        print(f"   [tokens: {usage['input_tokens']} in, {usage['output_tokens']} out]")

    _section("2. Streamed answer (stream)")
    pieces = 0
    for chunk in llm.stream("Write a haiku about streaming tokens."):
        if chunk.text:
            pieces += 1
            print(chunk.text, end="", flush=True)
    print(f"\n   [{pieces} chunks]")

    _section("3. Tool call and its result (bind_tools)")
    with_tools = llm.bind_tools([get_weather])
    history: list[Any] = [HumanMessage("What is the weather in Lisbon?")]
    call_msg = with_tools.invoke(history)
    history.append(call_msg)
    for call in call_msg.tool_calls:
        print(f"   model asked for: {call['name']}({call['args']})")
        result = get_weather.invoke(call["args"])
        print(f"   tool returned:   {result}")
        history.append(ToolMessage(result, tool_call_id=call["id"]))
    print(with_tools.invoke(history).text)

    _section("4. Structured output (with_structured_output)")
    capital = llm.with_structured_output(Capital).invoke("Capital of Japan?")
    print(f"   {capital!r}")


def main() -> int:
    """Run the tour live when COMETAPI_KEY is set, else against the emulator."""
    with ExitStack() as stack:
        if os.environ.get("COMETAPI_KEY"):
            print(f"Live tour against CometAPI ({MODEL}).")
            try:
                llm = ChatCometGemini(model=MODEL, temperature=0)
            except ValueError as exc:  # an empty key, a base_url ending in /v1
                print(f"{exc}\n{_OFFLINE}", file=sys.stderr)
                return 1
        else:
            emulator = stack.enter_context(GeminiEmulator(_scripted))
            print(
                "COMETAPI_KEY is not set: running the tour OFFLINE against the local\n"
                f"Gemini emulator at {emulator.url}. The answers below are SCRIPTED,\n"
                "not produced by a model. Set COMETAPI_KEY to talk to CometAPI."
            )
            llm = ChatCometGemini(model=MODEL, base_url=emulator.url, api_key="offline")
        try:
            tour(llm)
        except GeminiConnectionError as exc:
            print(f"\nCould not reach the service: {exc}\n{_OFFLINE}", file=sys.stderr)
            return 1
        except GeminiAPIError as exc:
            print(f"\nThe service refused the request: {exc}", file=sys.stderr)
            return 1
        except CometGeminiError as exc:
            print(f"\nThe request failed: {exc}\n{_OFFLINE}", file=sys.stderr)
            return 1
    print("\nDone.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
