"""Live tests against CometAPI (marked ``live``; need ``COMETAPI_KEY``).

Run with ``make integration_tests``. Without a key every test here is
collected and skipped with the reason "COMETAPI_KEY not set".
"""

from __future__ import annotations

import base64
import os

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_tests.integration_tests import ChatModelIntegrationTests
from pydantic import BaseModel

from langchain_cometgemini import ChatCometGemini
from tests.standard import MODEL, StandardFlags

pytestmark = pytest.mark.live

MODELS = ["gemini-2.5-flash", "gemini-3-flash-preview"]


class TestCometGeminiStandard(StandardFlags, ChatModelIntegrationTests):
    """langchain-tests' standard integration suite, with the flags and helpers
    the offline run uses (``tests.standard.StandardFlags``).
    """

    _cache: str | None = None

    @property
    def chat_model_params(self) -> dict:
        return {"model": MODEL, "temperature": 0, "max_retries": 3}

    def cached_content(self) -> str:
        """A cache made once per run (``cachedContents.create``): a text
        above the smallest size the service caches, kept for ten minutes.
        """
        if TestCometGeminiStandard._cache is None:
            base = os.environ.get("COMETAPI_BASE_URL", "https://api.cometapi.com")
            text = "A lighthouse keeper logs the weather every hour. " * 400
            answer = httpx.post(
                f"{base.rstrip('/')}/v1beta/cachedContents",
                headers={"x-goog-api-key": os.environ["COMETAPI_KEY"]},
                json={
                    "model": f"models/{MODEL}",
                    "contents": [{"role": "user", "parts": [{"text": text}]}],
                    "ttl": "600s",
                },
                timeout=60,
            )
            answer.raise_for_status()
            TestCometGeminiStandard._cache = answer.json()["name"]
        return TestCometGeminiStandard._cache


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"It is 21 C and sunny in {city}."


class Answer(BaseModel):
    """A short answer with a confidence."""

    answer: str
    confidence: float


@pytest.mark.parametrize("model", MODELS)
def test_thinking_returns_thoughts_and_reasoning_tokens(model: str) -> None:
    llm = ChatCometGemini(model=model, include_thoughts=True, reasoning_effort="low")
    msg = llm.invoke("How many r's are in 'strawberry'? Think, then answer briefly.")
    assert isinstance(msg.content, list)
    assert any(b.get("type") == "thinking" for b in msg.content if isinstance(b, dict))
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["output_token_details"].get("reasoning", 0) > 0


@pytest.mark.parametrize("model", MODELS)
def test_google_search_grounding(model: str) -> None:
    llm = ChatCometGemini(model=model).bind_tools([{"google_search": {}}])
    msg = llm.invoke("Who won the most recent Formula 1 world championship?")
    grounding = msg.response_metadata.get("grounding_metadata")
    assert grounding, "expected grounding metadata from Google Search"
    assert grounding.get("grounding_chunks") or grounding.get("web_search_queries")


def test_image_generation() -> None:
    llm = ChatCometGemini(
        model="gemini-2.5-flash-image", response_modalities=["TEXT", "IMAGE"]
    )
    msg = llm.invoke("Draw a small red square on a white background.")
    images = [
        b for b in msg.content if isinstance(b, dict) and b.get("type") == "image_url"
    ]
    assert images
    url = images[0]["image_url"]["url"]
    assert url.startswith("data:image/")
    assert base64.b64decode(url.split(",", 1)[1])


@pytest.mark.parametrize("model", MODELS)
def test_tool_loop_sends_signatures_back(model: str) -> None:
    llm = ChatCometGemini(model=model).bind_tools([get_weather])
    history: list = [HumanMessage("What is the weather in Lisbon? Use the tool.")]
    first = llm.invoke(history)
    assert isinstance(first, AIMessage) and first.tool_calls
    history.append(first)
    for call in first.tool_calls:
        history.append(
            ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"])
        )
    final = llm.invoke(history)
    assert not final.tool_calls
    assert "21" in final.text


@pytest.mark.parametrize("model", MODELS)
def test_structured_output_and_stream_usage(model: str) -> None:
    llm = ChatCometGemini(model=model)
    result = llm.with_structured_output(Answer).invoke("Capital of Japan?")
    assert isinstance(result, Answer)
    assert "tokyo" in result.answer.lower()
    chunks = list(llm.stream("Count from 1 to 5."))
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert len(usage) == 1 and usage[0]["output_tokens"] > 0
