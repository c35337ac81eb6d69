"""The floor: the least any LangChain chat model can cost on this server.

A minimal ``BaseChatModel`` over a reused raw ``httpx`` client: a body built
from the message text, an ``AIMessage`` from ``parts[].text``; for streaming it
iterates ``iter_lines()`` and yields ``AIMessageChunk``s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field


def _part(block: Any) -> dict[str, Any]:
    if isinstance(block, str):
        return {"text": block}
    if block.get("type") == "image":
        return {"inlineData": {"mimeType": block["mime_type"], "data": block["base64"]}}
    return {"text": block["text"]}


def _text_of(data: dict[str, Any]) -> str:
    parts = data["candidates"][0]["content"]["parts"]
    return "".join(p.get("text", "") for p in parts)


def _result(response: httpx.Response) -> ChatResult:
    message = AIMessage(content=_text_of(json.loads(response.content)))
    return ChatResult(generations=[ChatGeneration(message=message)])


class FloorChat(BaseChatModel):
    """The floor model (see the module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    base_url: str
    model: str = "gemini-2.5-flash"
    # Given by common.make (this module imports nothing of the bench's own).
    headers: dict[str, str] = Field(default_factory=dict)
    # Excluded like ChatCometGemini's client: invoke dumps the model's fields.
    client: httpx.Client = Field(default_factory=httpx.Client, exclude=True)
    aclient: httpx.AsyncClient = Field(default_factory=httpx.AsyncClient, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "floor"

    def _request(self, messages: list[BaseMessage], method: str) -> tuple[str, bytes]:
        body: dict[str, Any] = {"contents": []}
        for m in messages:
            content = m.content if isinstance(m.content, list) else [m.content]
            entry: dict[str, Any] = {"parts": [_part(b) for b in content]}
            if m.type == "system":
                body["systemInstruction"] = entry
            else:
                entry["role"] = "model" if m.type == "ai" else "user"
                body["contents"].append(entry)
        url = f"{self.base_url}/v1beta/models/{self.model}:{method}"
        return url, json.dumps(body).encode()

    def _post(self, messages: list[BaseMessage]) -> dict[str, Any]:
        url, content = self._request(messages, "generateContent")
        return {"url": url, "content": content, "headers": self.headers}

    # ``stop`` arrives in ``kw``; ``run_manager`` is named, as in any model,
    # because langchain-core passes it only to methods that take it.
    def _generate(
        self, messages: list[BaseMessage], run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return _result(self.client.post(**self._post(messages)))

    async def _agenerate(
        self, messages: list[BaseMessage], run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return _result(await self.aclient.post(**self._post(messages)))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: Any = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        url, content = self._request(messages, "streamGenerateContent")
        url += "?alt=sse"
        with self.client.stream(
            "POST", url, content=content, headers=self.headers
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    text = _text_of(json.loads(line[5:]))
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
