"""What every case shares: the recorded answers, the messages, the models.

Every model is built on its DEFAULT send path: ``ChatCometGemini`` is never
given an ``http_client``, so it sends through the pool it builds itself, as a
user's model does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RUN = HERE / "run.py"

UNARY = json.loads((DATA / "test_google_model__0.json").read_text())
STREAM = json.loads((DATA / "test_google_model_stream__0.json").read_text())
UNARY_TEXT = "Hello! How can I help you today?"
STREAM_TEXT = "The capital of France is Paris.\n"
MODEL = "gemini-2.5-flash"
HEADERS = {"content-type": "application/json", "x-goog-api-key": "bench"}
# The pool size of ChatCometGemini's own clients, given to raw clients too.
POOL_LIMIT = 256


def messages(kind: str) -> list[Any]:
    """The messages of the recorded request (``invoke`` or ``stream``)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    if kind == "stream":
        return [
            SystemMessage("You are a helpful chatbot."),
            HumanMessage("What is the capital of France?"),
        ]
    return [SystemMessage("You are a chatbot."), HumanMessage("Hello!")]


def make(impl: str, port: int, model: str = MODEL) -> Any:
    """A chat model on its default send path against the bench server."""
    base = f"http://127.0.0.1:{port}"
    if impl == "floor":
        from floor import FloorChat

        return FloorChat(base_url=base, model=model, headers=HEADERS)
    if impl == "comet":
        from langchain_cometgemini import ChatCometGemini

        llm = ChatCometGemini(model=model, api_key="bench", base_url=base)
        # No client given: the package sends through the pool it builds.
        assert llm.http_client is None and llm.http_async_client is None
        return llm
    if impl == "genai":
        from langchain_google_genai import ChatGoogleGenerativeAI

        return ChatGoogleGenerativeAI(
            model=model, google_api_key="bench", base_url=base
        )
    raise ValueError(impl)


def text(message: Any) -> str:
    """A message's text, whether ``.text`` is a property or a method."""
    return message.text if isinstance(message.text, str) else message.text()


def child(*args: str) -> dict[str, Any]:
    """Run ``run.py --child ARGS`` in a fresh interpreter; its JSON answer.

    A failed child answers ``{"error": <its last stderr line>}``.
    """
    out = subprocess.run(
        [sys.executable, str(RUN), "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def progress(message: str) -> None:
    """A progress line on stderr (stdout carries the table)."""
    print(f"  {message}", file=sys.stderr, flush=True)


def per_impl(case: str, impls: list[str], port: str) -> dict[str, Any]:
    """``case`` run once per implementation, each in its own child."""
    results = {}
    for impl in impls:
        progress(f"{case} {impl}")
        results[impl] = child(case, impl, port)
    return results


def bare_caller(impl: str, port: int) -> tuple[Any, Any]:
    """One bare post of the recorded body (httpx, httpx2 or aiohttp), and the
    client's close; the pool as large as ChatCometGemini's own."""
    url = f"http://127.0.0.1:{port}/v1beta/models/{MODEL}:generateContent"
    body = json.dumps(UNARY["request"]).encode()
    if impl == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=POOL_LIMIT)
        )

        async def one_aiohttp() -> str:
            async with session.post(url, data=body, headers=HEADERS) as r:
                r.raise_for_status()
                return _first_text(await r.read())

        return one_aiohttp, session.close
    module: Any = __import__(impl)  # httpx or httpx2: the same API
    client = module.AsyncClient(
        timeout=module.Timeout(120.0, connect=10.0),
        limits=module.Limits(
            max_connections=POOL_LIMIT, max_keepalive_connections=POOL_LIMIT
        ),
    )

    async def one() -> str:
        r = await client.post(url, content=body, headers=HEADERS)
        r.raise_for_status()
        return _first_text(r.content)

    return one, client.aclose


def _first_text(body: bytes) -> str:
    return str(json.loads(body)["candidates"][0]["content"]["parts"][0]["text"])
