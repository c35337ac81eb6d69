"""Client-side performance of ChatCometGemini against a loopback Gemini server.

``make bench`` (or ``python bench/run.py``) starts a stdlib (asyncio) HTTP/1.1
server in its own process that replays two recorded Gemini answers from
``bench/data/`` (a unary text answer and a three-event stream), then runs every
measurement in a fresh subprocess of this script (``--child CASE``) so that
imports, pools and caches of one case never help another. Results are printed
as a table with ratios against a floor (a minimal ``BaseChatModel`` that posts
with raw httpx) and written to ``bench/results/latest.json``.

What is measured, and why it is measured that way, is in docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results" / "latest.json"

UNARY = json.loads((DATA / "test_google_model__0.json").read_text())
STREAM = json.loads((DATA / "test_google_model_stream__0.json").read_text())
UNARY_BODY = json.dumps(UNARY["response_json"]).encode()
STREAM_EVENTS = [
    e + b"\r\n\r\n" for e in STREAM["response_sse"].encode().split(b"\r\n\r\n") if e
]
UNARY_TEXT = "Hello! How can I help you today?"
STREAM_TEXT = "The capital of France is Paris.\n"

# Call counts, tuned so the whole run stays well under 3 minutes on 2 cores.
WARMUP = 30
CALLS = 100  # per round; floor and ours alternate for CPU_ROUNDS rounds
CPU_ROUNDS = 4
IMPORT_RUNS = 7
CONCURRENT = 500
CONCURRENCY_ROUNDS = 12
LATENCY_STREAMS = 10
LATENCY_EVENTS = 12
LATENCY_GAP = 0.05
# The largest image Gemini takes inline: 20 MB of base64 (the package refuses
# more before sending, as the service would).
IMAGE_BYTES = 14_999_994
POOL_LIMIT = 100

# -- the loopback server (its own process: its CPU never counts as the client's) --


def _head(status: int, ctype: str, length: int | None) -> bytes:
    size = (
        b"transfer-encoding: chunked"
        if length is None
        else b"content-length: %d" % length
    )
    return b"HTTP/1.1 %d OK\r\ncontent-type: %s\r\n%s\r\n\r\n" % (
        status,
        ctype.encode(),
        size,
    )


def _latency_event(last: bool) -> bytes:
    """An event whose text is the server's send time in ns (``time.time_ns``)."""
    candidate: dict[str, Any] = {
        "content": {"parts": [{"text": str(time.time_ns())}], "role": "model"},
        "index": 0,
    }
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": "latency"}
    if last:
        candidate["finishReason"] = "STOP"
        data["usageMetadata"] = {
            "promptTokenCount": 1,
            "candidatesTokenCount": LATENCY_EVENTS,
            "totalTokenCount": LATENCY_EVENTS + 1,
        }
    return b"data: " + json.dumps(data).encode() + b"\r\n\r\n"


async def _connection(reader: Any, writer: Any, accepted: Any) -> None:
    """HTTP/1.1 keep-alive loop: ``:generateContent`` gets the recorded answer,
    ``:streamGenerateContent`` the recorded events (or, for model ``latency``,
    timestamped events LATENCY_GAP apart). Request bodies are read and dropped.
    """
    import asyncio

    with accepted.get_lock():
        accepted.value += 1
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            target = lines[0].split(b" ")[1].decode()
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while length:
                got = await reader.read(min(length, 1 << 20))
                if not got:
                    return
                length -= len(got)
            model, _, rpc = target.split("?")[0].rsplit("/", 1)[-1].partition(":")
            if target == "/accepted":  # the bench's own probe, not Gemini's API
                count = b"%d" % accepted.value
                writer.write(_head(200, "text/plain", len(count)) + count)
            elif rpc == "generateContent":
                writer.write(
                    _head(200, "application/json", len(UNARY_BODY)) + UNARY_BODY
                )
            elif rpc == "streamGenerateContent":
                writer.write(_head(200, "text/event-stream", None))
                if model == "latency":
                    for i in range(LATENCY_EVENTS):
                        if i:
                            await asyncio.sleep(LATENCY_GAP)
                        event = _latency_event(i == LATENCY_EVENTS - 1)
                        writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                        await writer.drain()
                else:
                    for event in STREAM_EVENTS:
                        writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                writer.write(b"0\r\n\r\n")
            else:
                body = b'{"error":{"code":404,"message":"no such method"}}'
                writer.write(_head(404, "application/json", len(body)) + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(port: Any, accepted: Any) -> None:
    """Process entry point: serve on a free loopback port until terminated."""
    import asyncio

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _connection(r, w, accepted), "127.0.0.1", 0, backlog=1024
        )
        port.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    asyncio.run(main())


class BenchServer:
    """The server process, and the count of connections it has accepted."""

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._port = ctx.Value("i", 0)
        self._accepted = ctx.Value("q", 0)
        self._process = ctx.Process(
            target=_serve, args=(self._port, self._accepted), daemon=True
        )
        self._process.start()
        deadline = time.monotonic() + 30
        while not self._port.value:
            if time.monotonic() > deadline or not self._process.is_alive():
                raise RuntimeError("bench server did not start")
            time.sleep(0.02)
        self.port: int = self._port.value

    @property
    def accepted(self) -> int:
        return int(self._accepted.value)

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(5)


# -- client implementations (used in child processes) ---------------------------


def _messages(kind: str) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    if kind == "stream":
        return [
            SystemMessage("You are a helpful chatbot."),
            HumanMessage("What is the capital of France?"),
        ]
    return [SystemMessage("You are a chatbot."), HumanMessage("Hello!")]


def _floor_class() -> type:
    """The floor: a minimal BaseChatModel over a reused httpx.Client."""
    import httpx
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import (
        ChatGeneration,
        ChatGenerationChunk,
        ChatResult,
    )
    from pydantic import ConfigDict, Field

    def part(block: Any) -> dict[str, Any]:
        if isinstance(block, str):
            return {"text": block}
        if block.get("type") == "image":
            return {
                "inlineData": {"mimeType": block["mime_type"], "data": block["base64"]}
            }
        return {"text": block["text"]}

    def text_of(data: dict[str, Any]) -> str:
        parts = data["candidates"][0]["content"]["parts"]
        return "".join(p.get("text", "") for p in parts)

    class FloorChat(BaseChatModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        base_url: str
        model: str = "gemini-2.5-flash"
        # Excluded like ChatCometGemini's client: invoke dumps the model's fields.
        client: httpx.Client = Field(default_factory=httpx.Client, exclude=True)
        aclient: httpx.AsyncClient = Field(
            default_factory=httpx.AsyncClient, exclude=True
        )

        @property
        def _llm_type(self) -> str:
            return "floor"

        def _request(self, messages: list[Any], method: str) -> tuple[str, bytes]:
            body: dict[str, Any] = {"contents": []}
            for m in messages:
                content = m.content if isinstance(m.content, list) else [m.content]
                entry = {"parts": [part(b) for b in content]}
                if m.type == "system":
                    body["systemInstruction"] = entry
                else:
                    entry["role"] = "model" if m.type == "ai" else "user"
                    body["contents"].append(entry)
            url = f"{self.base_url}/v1beta/models/{self.model}:{method}"
            return url, json.dumps(body).encode()

        def _generate(
            self,
            messages: list[Any],
            stop: Any = None,
            run_manager: Any = None,
            **kw: Any,
        ) -> ChatResult:
            url, content = self._request(messages, "generateContent")
            response = self.client.post(url, content=content, headers=HEADERS)
            message = AIMessage(content=text_of(json.loads(response.content)))
            return ChatResult(generations=[ChatGeneration(message=message)])

        async def _agenerate(
            self,
            messages: list[Any],
            stop: Any = None,
            run_manager: Any = None,
            **kw: Any,
        ) -> ChatResult:
            url, content = self._request(messages, "generateContent")
            response = await self.aclient.post(url, content=content, headers=HEADERS)
            message = AIMessage(content=text_of(json.loads(response.content)))
            return ChatResult(generations=[ChatGeneration(message=message)])

        def _stream(
            self,
            messages: list[Any],
            stop: Any = None,
            run_manager: Any = None,
            **kw: Any,
        ) -> Any:
            url, content = self._request(messages, "streamGenerateContent")
            url += "?alt=sse"
            with self.client.stream("POST", url, content=content, headers=HEADERS) as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        text = text_of(json.loads(line[5:]))
                        chunk = ChatGenerationChunk(
                            message=AIMessageChunk(content=text)
                        )
                        if run_manager:
                            run_manager.on_llm_new_token(text, chunk=chunk)
                        yield chunk

    return FloorChat


HEADERS = {"content-type": "application/json", "x-goog-api-key": "bench"}


def _make(
    impl: str, port: int, model: str = "gemini-2.5-flash", client: Any = None
) -> Any:
    base = f"http://127.0.0.1:{port}"
    given = {} if client is None else {"client": client}
    if impl == "floor":
        return _floor_class()(base_url=base, model=model, **given)
    if impl == "comet":
        from langchain_cometgemini import ChatCometGemini

        return ChatCometGemini(
            model=model, api_key="bench", base_url=base, http_client=client
        )
    if impl == "genai":
        from langchain_google_genai import ChatGoogleGenerativeAI

        return ChatGoogleGenerativeAI(
            model=model, google_api_key="bench", base_url=base
        )
    raise ValueError(impl)


def _text(message: Any) -> str:
    return message.text if isinstance(message.text, str) else message.text()


# -- child cases -------------------------------------------------------------------


def child_cpu(impl: str, mode: str, port: int) -> dict[str, Any]:
    """process_time per call, median over CALLS calls after WARMUP calls."""
    llm = _make(impl, port)
    messages = _messages(mode)
    if mode == "invoke":

        def call() -> str:
            return _text(llm.invoke(messages))

        expected = UNARY_TEXT
    else:

        def call() -> str:
            return "".join(_text(chunk) for chunk in llm.stream(messages))

        expected = STREAM_TEXT
    got = call()
    if got.rstrip("\n") != expected.rstrip("\n"):  # genai strips trailing newlines
        raise AssertionError(f"{impl} {mode}: unexpected answer {got!r}")
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(CALLS):
        start = time.process_time()
        call()
        samples.append(time.process_time() - start)
    return {"samples_us": [x * 1e6 for x in samples]}


def _concurrent_batch(impl: str, port: int) -> dict[str, Any]:
    """One fresh client (or model), one warm-up call, then CONCURRENT at once."""
    import asyncio
    import gc

    import httpx

    async def run() -> dict[str, Any]:
        close: Any = None
        if impl == "raw":
            # The same pool size and timeout as ChatCometGemini's own client.
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(120.0, connect=10.0),
                limits=httpx.Limits(
                    max_connections=POOL_LIMIT, max_keepalive_connections=POOL_LIMIT
                ),
            )
            close = client.aclose
            url = f"http://127.0.0.1:{port}/v1beta/models/gemini-2.5-flash:generateContent"
            body = json.dumps(UNARY["request"]).encode()

            async def one() -> str:
                r = await client.post(url, content=body, headers=HEADERS)
                r.raise_for_status()
                data = json.loads(r.content)
                return str(data["candidates"][0]["content"]["parts"][0]["text"])
        else:
            llm = _make(impl, port)
            messages = _messages("invoke")

            async def one() -> str:
                return _text(await llm.ainvoke(messages))

        accepted_before = _accepted(port)
        await one()  # warm-up: lazy imports and the client itself
        gc.collect()  # no garbage of an earlier batch collected during this one
        start, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(
            *(one() for _ in range(CONCURRENT)), return_exceptions=True
        )
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if close is not None:
            await close()
        errors = [r for r in results if not (isinstance(r, str) and r == UNARY_TEXT)]
        return {
            "wall_s": wall,
            "cpu_s": cpu,
            "errors": len(errors),
            "first_error": repr(errors[0])[:300] if errors else None,
            # minus the probe's own connection
            "connections": _accepted(port) - accepted_before - 1,
        }

    return asyncio.run(run())


def _accepted(port: int) -> int:
    """Connections the bench server has accepted so far (one more for this ask)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accepted") as answer:
        return int(answer.read())


def child_concurrency(impls: list[str], port: int) -> dict[str, Any]:
    """CONCURRENT simultaneous calls per batch, every other batch raw httpx.

    All batches run in this one process in the order ``raw, floor, raw,
    comet, raw, floor, ...`` for CONCURRENCY_ROUNDS rounds, each batch with a
    fresh client as a new process would have. The machine's speed drifts by
    tens of percent over seconds, so each model batch is compared with the
    mean of the raw batches just before and just after it.
    """
    others = [impl for impl in impls if impl != "raw"]
    sequence = [{"impl": "raw", **_concurrent_batch("raw", port)}]
    for _ in range(CONCURRENCY_ROUNDS):
        for impl in others:
            sequence.append({"impl": impl, **_concurrent_batch(impl, port)})
            sequence.append({"impl": "raw", **_concurrent_batch("raw", port)})
    return {"sequence": sequence}


def _stamping_client() -> tuple[Any, dict[str, tuple[int, int]]]:
    """An httpx.Client whose transport notes when each event's bytes arrive.

    The transport hands the response body up chunk by chunk (after the socket
    read and HTTP/1.1 de-chunking, the same for every client); each event's
    text (the server's send time) is noted with ``perf_counter_ns`` and
    ``thread_time_ns`` at that moment, before any client code has seen it.
    """
    import re

    import httpx

    arrived: dict[str, tuple[int, int]] = {}
    stamp = re.compile(rb'"text": ?"([0-9]+)"')

    class Stamped(httpx.SyncByteStream):
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __iter__(self) -> Any:
            for chunk in self.inner:
                now = time.perf_counter_ns(), time.thread_time_ns()
                for match in stamp.finditer(chunk):
                    arrived.setdefault(match.group(1).decode(), now)
                yield chunk

        def close(self) -> None:
            self.inner.close()

    class StampingTransport(httpx.HTTPTransport):
        def handle_request(self, request: Any) -> Any:
            response = super().handle_request(request)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=Stamped(response.stream),
                extensions=response.extensions,
            )

    return httpx.Client(transport=StampingTransport()), arrived


def child_latency(impl: str, port: int) -> dict[str, Any]:
    """Per streamed event: arrival at the client -> its chunk in the caller's hands.

    Also the end-to-end figure (the server's send time -> the caller), which
    adds the server's scheduling and the loopback to what the client costs.
    genai takes no httpx client, so only its end-to-end figure is measured.
    """
    client, arrived = _stamping_client() if impl != "genai" else (None, {})
    llm = _make(impl, port, model="latency", client=client)
    messages = _messages("stream")
    delays, cpu, end_to_end = [], [], []
    for _ in range(LATENCY_STREAMS):
        for chunk in llm.stream(messages):
            now = time.perf_counter_ns(), time.thread_time_ns()
            wall = time.time_ns()
            text = _text(chunk).strip()
            if text.isdigit():
                end_to_end.append((wall - int(text)) / 1e6)
                if text in arrived:
                    delays.append((now[0] - arrived[text][0]) / 1e6)
                    cpu.append((now[1] - arrived[text][1]) / 1e6)
    result: dict[str, Any] = {
        "events": len(end_to_end),
        "end_to_end_median_ms": statistics.median(end_to_end),
        "end_to_end_max_ms": max(end_to_end),
    }
    if delays:
        result.update(
            median_ms=statistics.median(delays),
            p99_ms=statistics.quantiles(delays, n=100)[-1],
            max_ms=max(delays),
            cpu_max_ms=max(cpu),
            stamped=len(delays),
        )
    return result


def child_memory(impl: str, port: int) -> dict[str, Any]:
    """tracemalloc peak while invoking with a 20 MB image, image already in hand."""
    import tracemalloc

    from langchain_core.messages import HumanMessage

    llm = _make(impl, port)
    small = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
    raw = b"\x89PNG\r\n\x1a\n" + os.urandom(IMAGE_BYTES - 8)
    big = base64.b64encode(raw).decode()
    del raw

    def message(data: str) -> list[Any]:
        return [
            HumanMessage(
                content=[
                    {"type": "text", "text": "Describe"},
                    {"type": "image", "base64": data, "mime_type": "image/png"},
                ]
            )
        ]

    llm.invoke(message(small))  # warm-up: imports, client, caches
    big_messages = message(big)
    tracemalloc.start()
    result = llm.invoke(big_messages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _text(result).rstrip() == UNARY_TEXT
    return {
        "peak_mb": peak / 1e6,
        "image_base64_mb": len(big) / 1e6,
        "image_raw_mb": IMAGE_BYTES / 1e6,
        "peak_over_image": peak / len(big),
        "peak_over_raw": peak / IMAGE_BYTES,
    }


# -- the parent: orchestration and report ----------------------------------------


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


IMPORTS = {
    # The pair the issue names: both packages load their names lazily.
    "literal": ["import langchain_core.language_models"],
    "package": ["import langchain_cometgemini"],
    # What using the model costs. Any chat model has to import BaseChatModel;
    # ours is imported right after it in the same interpreter, so the ratio
    # is exactly what the package adds, free of process-to-process noise.
    "model": [
        "from langchain_core.language_models import BaseChatModel",
        "from langchain_cometgemini import ChatCometGemini",
    ],
    "genai": ["from langchain_google_genai import ChatGoogleGenerativeAI"],
}
# Byte-compiled files allowed, as for any installed package (this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile our sources at every import).
_IMPORT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _import_times(statements: list[str]) -> list[float]:
    """Seconds from the start to the end of each statement, in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); marks = []\n" + "".join(
        f"{statement}\nmarks.append(time.perf_counter() - t)\n"
        for statement in statements
    )
    code += "print(marks)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_IMPORT_ENV,
    )
    return [float(x) for x in out.stdout.strip("[]\n").split(",")]


def _importable(module: str) -> bool:
    code = f"import importlib.util as u; print(u.find_spec({module!r}) is not None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() == "True"


def measure(server: BenchServer, impls: list[str]) -> dict[str, Any]:
    """Run every case in its own subprocess and collect the numbers."""
    port = str(server.port)
    results: dict[str, Any] = {"cpu": {}, "import": {}, "concurrency": {}}
    for mode in ("invoke", "stream"):
        samples: dict[str, list[float]] = {impl: [] for impl in impls}
        errors: dict[str, str] = {}
        for i in range(CPU_ROUNDS):
            # Alternate implementations so that a busy moment on the machine
            # does not land on one of them only; genai (info only) runs once.
            for impl in impls if i == 0 else [x for x in impls if x != "genai"]:
                print(f"  cpu {impl} {mode} round {i + 1}", file=sys.stderr, flush=True)
                result = _child("cpu", impl, mode, port)
                if "error" in result:
                    errors[impl] = result["error"]
                samples[impl].extend(result.get("samples_us", []))
        for impl, values in samples.items():
            results["cpu"][f"{impl}.{mode}"] = (
                {
                    "median_us": statistics.median(values),
                    "p90_us": statistics.quantiles(values, n=10)[-1],
                    "calls": len(values),
                }
                if values
                else {"error": errors.get(impl)}
            )

    print("  import times", file=sys.stderr, flush=True)
    cases = {k: v for k, v in IMPORTS.items() if k != "genai" or "genai" in impls}
    runs: dict[str, list[list[float]]] = {case: [] for case in cases}
    for statements in cases.values():
        _import_times(statements)  # compile .pyc, warm the file cache
    for _ in range(IMPORT_RUNS):
        for case, statements in cases.items():
            runs[case].append(_import_times(statements))
    results["import"] = {
        case: {
            "statements": cases[case],
            "median_s": [statistics.median(col) for col in zip(*marks, strict=True)],
        }
        for case, marks in runs.items()
    }
    model = runs["model"]
    results["import"]["model"]["ratio"] = statistics.median(m[1] / m[0] for m in model)

    print("  concurrency (raw, floor, comet alternating)", file=sys.stderr, flush=True)
    batches = _child("concurrency", "raw,floor,comet", port)
    if "error" in batches:
        raise RuntimeError(f"concurrency child failed: {batches['error']}")
    results["concurrency"] = _concurrency_summary(batches["sequence"])

    results["latency"], results["memory"] = {}, {}
    for impl in impls:
        print(f"  latency {impl}", file=sys.stderr, flush=True)
        results["latency"][impl] = _child("latency", impl, port)
        print(f"  memory {impl}", file=sys.stderr, flush=True)
        results["memory"][impl] = _child("memory", impl, port)
    return results


def _concurrency_summary(sequence: list[dict[str, Any]]) -> dict[str, Any]:
    """Per implementation: median wall, and the median ratio of each batch to
    the mean of its two raw neighbours (wall and CPU time)."""
    summary: dict[str, Any] = {}
    for impl in dict.fromkeys(b["impl"] for b in sequence):
        at = [i for i, b in enumerate(sequence) if b["impl"] == impl]
        batches = [sequence[i] for i in at]
        errors = [b["first_error"] for b in batches if b["first_error"]]
        summary[impl] = {
            "wall_s": statistics.median(b["wall_s"] for b in batches),
            "walls_s": [round(b["wall_s"], 3) for b in batches],
            "errors": sum(b["errors"] for b in batches),
            "connections": max(b["connections"] for b in batches),
            "first_error": errors[0] if errors else None,
        }
        if impl == "raw":
            continue
        for key, name in (("wall_s", "ratio_to_raw"), ("cpu_s", "cpu_ratio_to_raw")):
            ratios = [
                sequence[i][key] / ((sequence[i - 1][key] + sequence[i + 1][key]) / 2)
                for i in at
            ]
            summary[impl][name] = statistics.median(ratios)
            summary[impl][name + "_each"] = [round(r, 3) for r in ratios]
    return summary


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:,.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def report(results: dict[str, Any], genai: bool) -> tuple[list[list[str]], bool]:
    """Rows of the table: metric, floor, ours, ratio, target, ok, genai."""
    rows: list[list[str]] = []
    all_ok = True

    def row(
        metric: str,
        floor: Any,
        ours: Any,
        ratio: Any,
        target: str,
        ok: bool | None,
        other: Any,
        unit: str = "",
    ) -> None:
        nonlocal all_ok
        if ok is False:
            all_ok = False
        verdict = "-" if ok is None else ("yes" if ok else "NO")
        rows.append(
            [
                metric,
                _fmt(floor, unit),
                _fmt(ours, unit),
                _fmt(ratio, "x") if ratio is not None else "-",
                target,
                verdict,
                _fmt(other, unit) if genai else "not installed",
            ]
        )

    cpu = results["cpu"]
    for mode in ("invoke", "stream"):
        floor = cpu.get(f"floor.{mode}", {}).get("median_us")
        ours = cpu.get(f"comet.{mode}", {}).get("median_us")
        other = cpu.get(f"genai.{mode}", {}).get("median_us")
        ratio = ours / floor if floor and ours else None
        if other is not None and floor:
            other = f"{other:,.0f} us ({other / floor:.2f}x)"
        row(
            f"{mode}: CPU per call (us)",
            floor,
            ours,
            ratio,
            "<= 1.10x",
            ratio is not None and ratio <= 1.10,
            other,
        )

    imp = results["import"]
    literal, package = imp["literal"]["median_s"][0], imp["package"]["median_s"][0]
    genai = imp.get("genai", {}).get("median_s", [None])[0]
    row(
        "import (ms): `import langchain_cometgemini` vs langchain_core.language_models",
        literal * 1e3,
        package * 1e3,
        package / literal,
        "<= 1.10x",
        package / literal <= 1.10,
        f"{genai * 1e3:,.0f} ms ({genai / literal:.2f}x)" if genai else None,
    )
    floor, ours = imp["model"]["median_s"]
    ratio = imp["model"]["ratio"]
    row(
        "import (ms): BaseChatModel, then ChatCometGemini on top",
        floor * 1e3,
        ours * 1e3,
        ratio,
        "<= 1.10x",
        ratio <= 1.10,
        f"{genai * 1e3:,.0f} ms ({genai / floor:.2f}x)" if genai else None,
    )

    conc = results["concurrency"]
    raw, mine = conc["raw"], conc["comet"]
    ratio = mine.get("ratio_to_raw")
    row(
        f"{CONCURRENT} concurrent ainvoke: wall (s), raw httpx = floor",
        raw["wall_s"],
        mine["wall_s"],
        ratio,
        "<= 1.20x",
        ratio is not None and ratio <= 1.2,
        None,
    )
    row(
        f"{CONCURRENT} concurrent: the floor model itself vs raw httpx",
        raw["wall_s"],
        conc["floor"]["wall_s"],
        conc["floor"].get("ratio_to_raw"),
        "(info)",
        None,
        None,
    )
    row(
        f"{CONCURRENT} concurrent: errors",
        raw["errors"],
        mine["errors"],
        None,
        "0",
        mine["errors"] == 0,
        None,
    )
    row(
        f"{CONCURRENT} concurrent: connections opened",
        raw["connections"],
        mine["connections"],
        None,
        f"<= {POOL_LIMIT}",
        mine["connections"] <= POOL_LIMIT,
        None,
    )

    lat = results["latency"]
    for stat, label, target in (
        ("median_ms", "arrival -> caller, median", "<= 2 ms"),
        ("cpu_max_ms", "arrival -> caller, max CPU time", "<= 2 ms"),
        ("p99_ms", "arrival -> caller, 99th percentile", "(info)"),
        ("max_ms", "arrival -> caller, max", "(info)"),
        ("end_to_end_median_ms", "server send -> caller, median", "(info)"),
        ("end_to_end_max_ms", "server send -> caller, max", "(info)"),
    ):
        ours = lat.get("comet", {}).get(stat)
        judged = target != "(info)"
        row(
            f"stream event {label} (ms)",
            lat.get("floor", {}).get(stat),
            ours,
            None,
            target,
            (ours is not None and ours <= 2.0) if judged else None,
            lat.get("genai", {}).get(stat),
        )

    mem = results["memory"]
    floor = mem.get("floor", {}).get("peak_over_image")
    ours = mem.get("comet", {}).get("peak_over_image")
    other = mem.get("genai", {}).get("peak_over_image")
    row(
        "20 MB image (base64): peak memory / image size",
        floor,
        ours,
        None,
        "<= 3x",
        ours is not None and ours <= 3.0,
        other,
        "x",
    )
    return rows, all_ok


def print_table(rows: list[list[str]]) -> None:
    head = [
        "metric",
        "floor",
        "ChatCometGemini",
        "ratio",
        "target",
        "ok",
        "ChatGoogleGenerativeAI",
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-genai",
        action="store_true",
        help="skip ChatGoogleGenerativeAI even if installed",
    )
    args = parser.parse_args()
    if args.child:
        case, impl, *rest = args.child
        port = int(rest[-1])
        if case == "cpu":
            result = child_cpu(impl, rest[0], port)
        elif case == "concurrency":
            result = child_concurrency(impl.split(","), port)
        elif case == "latency":
            result = child_latency(impl, port)
        else:
            result = child_memory(impl, port)
        print(json.dumps(result))
        return

    started = time.perf_counter()
    genai = not args.no_genai and _importable("langchain_google_genai")
    impls = ["floor", "comet", *(["genai"] if genai else [])]
    server = BenchServer()
    print(f"bench: server on port {server.port}; impls {impls}", file=sys.stderr)
    try:
        results = measure(server, impls)
    finally:
        server.stop()
    rows, all_ok = report(results, genai)
    elapsed = time.perf_counter() - started
    print_table(rows)
    print(f"\nall targets met: {all_ok}; run took {elapsed:.0f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "elapsed_s": elapsed,
                "genai_installed": genai,
                "results": results,
                "table": [
                    dict(
                        zip(
                            [
                                "metric",
                                "floor",
                                "ours",
                                "ratio",
                                "target",
                                "ok",
                                "genai",
                            ],
                            r,
                            strict=True,
                        )
                    )
                    for r in rows
                ],
                "all_targets_met": all_ok,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
