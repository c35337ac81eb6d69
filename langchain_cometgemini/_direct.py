"""``invoke`` / ``ainvoke`` straight to the model when nobody is listening.

langchain-core runs every call through its callback machinery: it configures
a callback manager, starts and ends a run, gathers the call as a task of its
own and finishes the answer. With no handler to tell (no callbacks given or
set on the model, no tracer, not ``verbose``), no cache, no rate limiter and
no streaming asked for, that machinery changes nothing in the answer, yet it
costs about 0.2 ms of CPU a call: more than our request building, parsing and
the HTTP request on a fast network together, and most of a bulk job's CPU
(docs/performance.md#the-direct-path). Such a call goes here instead: the
messages are normalized as langchain-core normalizes them, the model's own
``_generate`` / ``_agenerate`` answers, and the message is finished as
langchain-core finishes it: the run id in its ``id`` (``lc_run--<run id>-0``,
the config's ``run_id`` if given), the generation info and ``llm_output``
under its ``response_metadata``. ``tests/unit_tests/test_direct.py`` holds
the two paths equal on every recorded answer, at both ends of the supported
langchain-core range.

Whatever would make a difference takes langchain-core's own path, whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import CallbackManager
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.uuid import uuid7

__all__ = ["answer", "direct", "gather_bounded", "messages"]

T = TypeVar("T")

_TRACE_ONLY = ("ls_structured_output_format", "structured_output_format")
"""Call arguments langchain-core reads for tracing alone, then drops."""
_ID_PREFIX = "lc_run-"  # langchain-core's LC_ID_PREFIX


def direct(
    model: BaseChatModel, config: RunnableConfig, kwargs: dict[str, Any]
) -> bool:
    """Whether a call with ``config`` and ``kwargs`` may skip the machinery.

    When it may, the tracing-only arguments are taken out of ``kwargs``.
    """
    if (
        model.rate_limiter is not None
        or getattr(model, "streaming", False)
        or "stream" in kwargs
        or model.output_version == "v1"
        or not (model.cache is False or (model.cache is None and not get_llm_cache()))
    ):
        return False
    # Tags and metadata only label runs: whether a handler exists does not
    # depend on them, so they are left out of this check.
    manager = CallbackManager.configure(
        config.get("callbacks"), model.callbacks, model.verbose
    )
    if manager.handlers:
        return False
    for key in _TRACE_ONLY:
        kwargs.pop(key, None)
    return True


def messages(model: BaseChatModel, given: Any) -> list[BaseMessage]:
    """The messages ``_generate`` sees for the input ``given``, as in langchain-core."""
    if type(given) is list and all(isinstance(m, BaseMessage) for m in given):
        # What the round trip through ChatPromptValue gives: these messages.
        return _normalize_messages(given)
    return _normalize_messages(model._convert_input(given).to_messages())


def answer(result: ChatResult, config: Mapping[str, Any]) -> AIMessage:
    """The first generation's message, finished as langchain-core finishes it."""
    generation = result.generations[0]
    message = generation.message
    assert isinstance(message, AIMessage)
    if message.id is None:
        run_id: UUID = config.get("run_id") or uuid7()
        message.id = f"{_ID_PREFIX}-{run_id}-0"
    metadata = {**(generation.generation_info or {}), **message.response_metadata}
    if len(result.generations) == 1 and result.llm_output is not None:
        metadata = {**result.llm_output, **metadata}
    message.response_metadata = metadata
    return message


async def gather_bounded(
    limit: int, count: int, call: Callable[[int], Awaitable[T]]
) -> list[T]:
    """``call(0)`` ... ``call(count - 1)``'s results, in order, ``limit`` at a time.

    langchain-core's ``abatch`` makes a task for every input at once and lets
    a semaphore hold all but ``max_concurrency`` of them: a million inputs
    are a million tasks, coroutines and contexts alive from the start, and
    the garbage collector walks them all again and again. Here ``limit``
    workers start each call when they are free, each in a task of its own
    (so a call's context changes stay its own, as with ``asyncio.gather``).
    The first failure cancels the calls still running and raises; no new
    call starts (langchain-core's ``gather`` left every other input to run
    on unawaited).
    """
    results: list[Any] = [None] * count
    order = iter(range(count))

    async def worker() -> None:
        for index in order:
            results[index] = await asyncio.create_task(_run(call, index))

    workers = [asyncio.create_task(worker()) for _ in range(min(limit, count))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        raise
    return results


async def _run(call: Callable[[int], Awaitable[T]], index: int) -> T:
    return await call(index)
