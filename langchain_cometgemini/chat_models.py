"""``ChatCometGemini``: Gemini models through CometAPI's native Gemini endpoint.

A thin class: settings and the entry points here; conversion lives in
``_request``, ``_config``, ``_tools`` and ``_response``, checks in ``_checks``,
structured output in ``_structured``, the local token estimate in ``_tokens``
(all pure), HTTP in ``_client``. See ``docs/index.md`` for the full guide.
"""

from __future__ import annotations

import asyncio
import operator
import os
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import httpx
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import (
    LangSmithParams,
    LanguageModelInput,
    ModelProfile,
)
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langchain_core.runnables.config import get_config_list
from langchain_core.utils import secret_from_env
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from langchain_cometgemini import _direct, _protocol
from langchain_cometgemini._arguments import (
    check_base_url_path,
    normalize_timeout,
    renamed,
    unknown_call_argument,
)
from langchain_cometgemini._auth import AuthHeader, check_key, secret
from langchain_cometgemini._checks import (
    answered,
    check_base_url,
    check_connection,
    check_streamable,
    check_turns,
    checked,
    last_chunk,
    unknown_arguments,
)
from langchain_cometgemini._client import MAX_CONNECTIONS, GeminiHTTP
from langchain_cometgemini._config import request_settings
from langchain_cometgemini._errors import GeminiAPIError
from langchain_cometgemini._hops import Hops
from langchain_cometgemini._limits import (
    MAX_CALL_PIECES,
    MAX_EVENT_BYTES,
    MAX_RESPONSE_BYTES,
    Limits,
)
from langchain_cometgemini._media_guard import Budget
from langchain_cometgemini._profiles import generation, profile_for
from langchain_cometgemini._request import (
    MAX_INLINE_BYTES,
    build_contents,
    media_urls,
)
from langchain_cometgemini._response import (
    StreamState,
    parse_event,
    response_to_result,
)
from langchain_cometgemini._settings import (
    RequestSettings,
    SettingsTable,
    check_cached_content,
)
from langchain_cometgemini._signature import (
    attribute_docstrings,
    describe_fields,
    readable_signature,
)
from langchain_cometgemini._structured import response_format_trace, structured_output
from langchain_cometgemini._tokens import estimate_tokens
from langchain_cometgemini._tools import (
    combined_tool_config,
    convert_tools,
    response_format_settings,
    strict_tool_config,
    tool_config,
)
from langchain_cometgemini._transport import (
    AsyncTransport,
    is_httpx2_client,
    resolve_transport,
)

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

__all__ = ["ChatCometGemini"]

DEFAULT_BASE_URL = "https://api.cometapi.com"

# Descriptions of the fields LangChain's BaseChatModel declares (langchain-core
# gives them docstrings, not descriptions).
_BASE_FIELDS = {
    "name": "Name of this model in traces (LangChain's runnable name).",
    "cache": "LangChain cache for answers: True (the global one), False or a cache.",
    "verbose": "Print LangChain's verbose output.",
    "callbacks": "LangChain callbacks called on every run.",
    "tags": "Tags added to every run's trace.",
    "metadata": "Metadata added to every run's trace.",
    "custom_get_token_ids": "Tokenizer for LangChain's get_token_ids.",
    "rate_limiter": "Paces requests, e.g. InMemoryRateLimiter or "
    "langchain_cometgemini.bulk.quota_rate_limiter(rpm).",
    "disable_streaming": "Make stream() fall back to invoke() "
    "(True, or 'tool_calling': only when tools are bound).",
    "output_version": "Content format of AI messages: 'v0' (provider shape) or 'v1'.",
    "profile": "Model facts agents read (context window, tool calling, ...).",
}

_REQUEST_KEYS = frozenset({"tools", "tool_config", "tool_choice"})
# Per-call arguments LangChain passes that are not request settings:
# ``timeout`` bounds this call's HTTP request; ``stream_usage`` (OpenAI's
# switch for usage in streams) overrides the field of that name.
_CALL_KEYS = frozenset({"timeout", "stream_usage"})


# The fields the HTTP layer is built from, in the order ``GeminiHTTP.settings``
# keeps them (compared on every call: a changed one builds a new layer).
_HTTP_FIELDS = (
    "base_url",
    "api_key",
    "timeout",
    "max_retries",
    "default_headers",
    "http_client",
    "http_async_client",
    "auth_header",
    "allow_private_media_urls",
    "max_event_bytes",
    "max_response_bytes",
    "max_media_bytes",
    "max_call_pieces",
    "max_connections",
    "max_keepalive_connections",
    "async_transport",
)
_http_settings = operator.itemgetter(*_HTTP_FIELDS)


class _Call(NamedTuple):
    model: str
    body: dict[str, Any]
    timeout: float | httpx.Timeout | None
    hops: Hops
    usage: bool = True


class ChatCometGemini(BaseChatModel, RequestSettings):
    """Gemini chat models served by CometAPI, in Gemini's native REST format.

    Setup:
        ``pip install langchain-cometgemini``, then ``export COMETAPI_KEY="sk-..."``.
        Offline (no key, no network), any script runs against the bundled
        emulator: ``python -m langchain_cometgemini.testing -- python app.py``.

    Key init args:
        model: Gemini model id (default ``gemini-2.5-flash``).
        temperature, max_tokens, top_p, top_k, stop, n, seed: sampling.
        thinking_level / thinking_budget / reasoning_effort: thinking.
        api_key: CometAPI key (default: env ``COMETAPI_KEY``).
        base_url: service root (env ``COMETAPI_BASE_URL``; default
            ``https://api.cometapi.com``; ``/v1beta`` is added for you).
        timeout: seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``.
        max_retries: retries after the first attempt (default 2).
        rate_limiter, callbacks, cache, ...: LangChain's usual options.
        Every request setting may also be given per call:
        ``llm.invoke(x, temperature=0, model="gemini-2.5-pro")``.

    Instantiate:
        .. code-block:: python

            from langchain_cometgemini import ChatCometGemini

            llm = ChatCometGemini(model="gemini-2.5-flash", temperature=0)

    Invoke:
        .. code-block:: python

            msg = llm.invoke("What is the capital of France?")
            print(msg.text)

    Stream:
        .. code-block:: python

            for chunk in llm.stream("Write a haiku about the sea."):
                print(chunk.text, end="")

    Async:
        .. code-block:: python

            import asyncio

            msg = asyncio.run(llm.ainvoke("Hello"))  # also astream, abatch

    Tool calling:
        .. code-block:: python

            def get_weather(city: str) -> str:
                \"\"\"Current weather in a city.\"\"\"
                return f"Sunny in {city}"

            msg = llm.bind_tools([get_weather]).invoke("Weather in Lisbon?")
            print(msg.tool_calls)  # [{'name': 'get_weather', 'args': {...}, ...}]

    Structured output:
        .. code-block:: python

            from pydantic import BaseModel

            class Capital(BaseModel):
                country: str
                capital: str

            answer = llm.with_structured_output(Capital).invoke("Capital of Japan?")

    Thinking:
        .. code-block:: python

            msg = llm.invoke("Why is the sky blue?", reasoning_effort="low",
                             include_thoughts=True)
            print(msg.content_blocks)  # "reasoning" blocks, then the answer

    Image input and output:
        .. code-block:: python

            import base64

            from langchain_core.messages import HumanMessage

            from langchain_cometgemini import save_images
            from langchain_cometgemini.testing import PNG_1X1

            picture = {"type": "image", "base64": base64.b64encode(PNG_1X1).decode(),
                       "mime_type": "image/png"}
            llm.invoke([HumanMessage([{"type": "text", "text": "Describe it."},
                                      picture])])
            drawing = llm.invoke("Draw a cat", model="gemini-2.5-flash-image",
                                 response_modalities=["TEXT", "IMAGE"])
            paths = save_images(drawing, "images")  # images/image_0.png, ...

    Token usage:
        .. code-block:: python

            msg.usage_metadata  # {'input_tokens': ..., 'output_tokens': ..., ...}

    Response metadata:
        .. code-block:: python

            msg.response_metadata["finish_reason"]  # also model_name, safety ...

    Messages have ``langchain-google-genai``'s shape
    (``response_metadata["model_provider"] == "google_genai"``). Full guide:
    https://github.com/cometapi/langchain-cometgemini/blob/main/docs/index.md
    """

    # hide_input_in_errors: a ValidationError raised across fields (a bad
    # base_url, clashing settings) would otherwise print every constructor
    # argument, the key among them. validate_assignment: ``llm.model = x``
    # is checked as the constructor checks it (so is model_copy(update=...)).
    # The docstring under each field is its description (model_fields,
    # help()): set by describe_fields below the class.
    model_config = ConfigDict(
        populate_by_name=True,
        arbitrary_types_allowed=True,
        hide_input_in_errors=True,
        validate_assignment=True,
    )

    # The request settings (model, temperature, ..., model_kwargs) are inherited
    # from RequestSettings: the settings table in _settings.py. The connection
    # settings below are fixed per instance.
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("COMETAPI_KEY", default=None),
        alias="cometapi_api_key",
        validate_default=True,
    )
    """CometAPI key; read from ``COMETAPI_KEY`` when not given. Surrounding
    whitespace is stripped; any other character a header cannot carry is refused."""
    base_url: Annotated[
        str, AfterValidator(check_base_url), AfterValidator(check_base_url_path)
    ] = Field(
        default_factory=lambda: _env("COMETAPI_BASE_URL") or DEFAULT_BASE_URL,
        validate_default=True,
    )
    """Service root; ``COMETAPI_BASE_URL`` or ``https://api.cometapi.com``."""
    timeout: Annotated[
        float | httpx.Timeout | None, BeforeValidator(normalize_timeout)
    ] = Field(default=None, alias="request_timeout")
    """Per HTTP request: seconds, a ``(connect, read)`` pair or an
    ``httpx.Timeout`` (``None``: 120 s, 10 s to connect)."""
    max_retries: int = Field(default=2, ge=0)
    """Retries after the first attempt; 0 means exactly one attempt."""
    default_headers: dict[str, str] | None = None
    """Extra HTTP headers sent with every request."""
    auth_header: AuthHeader | None = None
    """Header that carries the key: ``x-goog-api-key`` (None, the default:
    Gemini's own), ``bearer`` (``Authorization: Bearer KEY``) or
    ``authorization`` (``Authorization: KEY``, the form of CometAPI's guide)."""
    allow_private_media_urls: bool = False
    """Download media URLs on private, loopback or link-local addresses (local
    use, tests). Off: such URLs, and redirects to them, are refused."""
    max_response_bytes: int = Field(default=MAX_RESPONSE_BYTES, ge=1)
    """Most bytes one answer may bring, decompressed: a unary body, or all of
    a stream (256 MiB). Bounds, like the three below, what a hostile or broken
    server can make the package hold (docs/reliability.md)."""
    max_event_bytes: int = Field(default=MAX_EVENT_BYTES, ge=1)
    """Most bytes of one line, and of one event, of a stream (64 MiB)."""
    max_media_bytes: int = Field(default=MAX_INLINE_BYTES, ge=1)
    """Most media one request may carry inline (base64, Gemini's 20 MB), and
    bring from URLs, all downloads together, counted as the bytes arrive."""
    max_call_pieces: int = Field(default=MAX_CALL_PIECES, ge=1)
    """Most pieces of one streamed function call, and its largest list index."""
    streaming: bool = False
    """Make ``invoke`` stream under the hood (callbacks see every token)."""
    stream_usage: bool = True
    """Report token usage on a stream's last chunk (``False``: leave it out);
    also per call, ``llm.stream(x, stream_usage=False)``."""
    http_client: Any = Field(default=None, exclude=True)
    """Optional sync client (``httpx.Client`` or ``httpx2.Client``), used as given."""
    http_async_client: Any = Field(default=None, exclude=True)
    """Optional ``httpx.AsyncClient`` or ``httpx2.AsyncClient``, used as given."""
    max_connections: int = Field(default=MAX_CONNECTIONS, ge=1)
    """Connections of each pool of ours (the sync one, one per event loop)."""
    max_keepalive_connections: int = Field(default=MAX_CONNECTIONS, ge=0)
    """Idle connections each pool of ours keeps open for reuse."""
    async_transport: AsyncTransport = "auto"
    """Transport of our async pools: ``aiohttp`` (installed with the
    ``aiohttp`` extra), ``httpx`` (httpx's pool, in small shards), or ``auto``
    (aiohttp when installed). See docs/performance.md#transports."""

    _http: GeminiHTTP | None = PrivateAttr(default=None)
    _count_tokens_missing: bool = PrivateAttr(default=False)

    @model_validator(mode="before")
    @classmethod
    def _check_arguments(cls, values: Any, info: ValidationInfo) -> Any:
        # langchain-core routes no unknown argument anywhere: refuse it (an
        # assignment, which names its field, gets every field's value here).
        if isinstance(values, dict):
            if info.field_name is None:  # (cached properties live in __dict__ too)
                values = renamed(values)  # google_api_key= is api_key=
                named = {k: v for k, v in values.items() if not k.startswith("_")}
                unknown_arguments(ChatCometGemini, named)
            # The key hidden at once: what reports the input from here on
            # (a ValidationError's errors(), a frame's locals) shows no key.
            for name in ("api_key", "cometapi_api_key"):
                if name in values:
                    values = {**values, name: secret(values[name])}
        return values

    @field_validator("api_key", mode="after")
    @classmethod
    def _check_key(cls, key: SecretStr | None) -> SecretStr | None:
        return check_key(key)

    @model_validator(mode="after")
    def _validate(self) -> ChatCometGemini:
        check_connection(self.api_key, self.default_headers)
        resolve_transport(self.async_transport)  # aiohttp asked for, not installed
        return self

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> ChatCometGemini:
        """A copy; values in ``update`` are validated as the constructor does it.

        pydantic's ``model_copy`` does not validate ``update``: a model id
        with a ``/`` would reach the URL path, a key with a newline the
        header. Here the copy's values are checked together, then kept.
        """
        copy = super().model_copy(update=update, deep=deep)
        if update:
            fields = type(self).model_fields
            values = {k: v for k, v in copy.__dict__.items() if k in fields}
            checked = type(self).model_validate(values)
            copy.__dict__.update({k: checked.__dict__[k] for k in values})
        return copy

    @field_validator("http_client", "http_async_client")
    @classmethod
    def _check_client(cls, client: Any, info: Any) -> Any:
        wanted = httpx.Client if info.field_name == "http_client" else httpx.AsyncClient
        if client is None or isinstance(client, wanted):
            return client
        if is_httpx2_client(client) and type(client).__name__ == wanted.__name__:
            return client
        raise ValueError(
            f"{info.field_name} must be an httpx.{wanted.__name__} or an "
            f"httpx2.{wanted.__name__}, not {type(client).__name__}"
        )

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Close the connection pools the model opened (not clients given to it).

        Async pools are closed on their own event loops. The model stays
        usable: a later call opens new connections. Also done by ``with
        ChatCometGemini(...) as llm:`` and when the model is garbage-collected.
        """
        http = self.__pydantic_private__["_http"]  # type: ignore[index]
        if http is not None:
            http.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close`; ``async with ChatCometGemini(...)``."""
        http = self.__pydantic_private__["_http"]  # type: ignore[index]
        if http is not None:
            await http.aclose()

    def __enter__(self) -> ChatCometGemini:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> ChatCometGemini:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _resolve_model_profile(self) -> ModelProfile | None:
        # langchain-core calls this once, at construction, when no profile=
        # was given (a user's profile wins); unknown models get None.
        return profile_for(self.model)

    # -- LangChain plumbing ------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "comet-gemini"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Yes: ``dumps``/``loads`` round-trip the settings, never the key."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """Import path ``loads`` uses to find this class."""
        return ["langchain_cometgemini", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Serialized output holds a reference to this env var, not the key."""
        return {"api_key": "COMETAPI_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        # The settings that shape an answer; unset (None) ones say nothing.
        # langchain-core reads this on every call (invocation params, tracing).
        values = self.__dict__
        return {name: values[name] for name in _TABLE.names if values[name] is not None}

    def _get_ls_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="cometapi",
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def __getstate__(self) -> dict[Any, Any]:
        # Clients hold sockets and locks: leave them out so the model can be
        # pickled to worker processes; they are made again on first use.
        state = super().__getstate__()
        state["__pydantic_private__"] = {"_http": None}
        fields = dict(state["__dict__"])
        fields["http_client"] = fields["http_async_client"] = None
        state["__dict__"] = fields
        return state

    # -- request building (shared by all four entry points) ----------------

    @property
    def http(self) -> GeminiHTTP:
        """The HTTP layer for the current settings, shared by copies.

        Built on first use, and built again when a setting it was built from
        no longer matches (after ``model_copy(update=...)`` or an assignment):
        a copy with other settings gets its own layer, copies with the same
        settings share one connection pool. The check compares a few values,
        identity first: well under a microsecond a call.
        """
        settings = _http_settings(self.__dict__)
        http: GeminiHTTP | None = self.__pydantic_private__["_http"]  # type: ignore[index]
        if http is None or http.settings != settings:
            v = dict(zip(_HTTP_FIELDS, settings, strict=True))
            # A copy of the headers: a change made to the dict in place shows.
            if v["default_headers"] is not None:
                v["default_headers"] = dict(v["default_headers"])
            http = self._http = GeminiHTTP(
                base_url=v["base_url"],
                api_key=v["api_key"],
                timeout=v["timeout"],
                max_retries=v["max_retries"],
                default_headers=v["default_headers"],
                client=v["http_client"],
                async_client=v["http_async_client"],
                settings=tuple(v.values()),
                auth_header=v["auth_header"],
                allow_private_media=v["allow_private_media_urls"],
                limits=Limits(
                    max_event_bytes=v["max_event_bytes"],
                    max_response_bytes=v["max_response_bytes"],
                    max_media_bytes=v["max_media_bytes"],
                    max_call_pieces=v["max_call_pieces"],
                ),
                pool_limits=httpx.Limits(
                    max_connections=v["max_connections"],
                    max_keepalive_connections=v["max_keepalive_connections"],
                ),
                transport=v["async_transport"],
            )
        return http

    def _options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        values = self.__dict__  # field values; faster than getattr per field
        options = {name: values[name] for name in _TABLE.names}
        if overrides:
            _TABLE.apply(options, overrides)
        return options

    def _split_kwargs(
        self, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        overrides, request = {}, {}
        for key, value in kwargs.items():
            if key in _TABLE.call:
                overrides[key] = value
            elif key in _REQUEST_KEYS or key in _CALL_KEYS:
                request[key] = value
            else:
                raise unknown_call_argument(key, _PER_CALL, _FIXED)
        if stop is not None:
            overrides["stop"] = stop
        return overrides, request

    def _prepare(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        media: Mapping[str, tuple[bytes, str | None]],
        *,
        generate: bool = True,
    ) -> _Call:
        overrides, request = self._split_kwargs(stop, kwargs)
        options = self._options(overrides)
        model = options["model"]
        system, contents = build_contents(
            messages, model=model, media=media, inline_limit=self.max_media_bytes
        )
        check_turns(system, contents)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = system
        tools = request.get("tools")
        if tools:
            body["tools"] = tools
        choice = combined_tool_config(
            tools, request.get("tool_config"), generation(model)
        )
        settings = request_settings(options, _TABLE)
        retrieval = settings.pop("toolConfig", None)  # merged with the choice
        if retrieval:
            choice = {**(choice or {}), **retrieval}
        if choice:
            body["toolConfig"] = choice
        body.update(settings)
        if generate:  # countTokens reads the body without the cache's rules
            check_cached_content(body)
        hops = Hops(
            body,
            continuation=options["automatic_continuation"],
            max_continuations=options["max_continuations"],
            malformed_retries=options["malformed_call_retries"],
        )
        usage = request.get("stream_usage", self.stream_usage)
        return _Call(
            model, body, normalize_timeout(request.get("timeout")), hops, usage
        )

    def _media(
        self, messages: Sequence[BaseMessage]
    ) -> dict[str, tuple[bytes, str | None]]:
        # One budget for all of a call's downloads (max_media_bytes).
        budget = Budget(self.max_media_bytes)
        return {url: self.http.fetch(url, budget) for url in media_urls(messages)}

    async def _amedia(
        self, messages: Sequence[BaseMessage]
    ) -> dict[str, tuple[bytes, str | None]]:
        urls = media_urls(messages)
        if not urls:
            return {}
        budget = Budget(self.max_media_bytes)
        results = await asyncio.gather(*(self.http.afetch(u, budget) for u in urls))
        return dict(zip(urls, results, strict=True))

    # -- the entry points ---------------------------------------------------

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """langchain-core's ``invoke``; with nobody listening, straight to
        :meth:`_generate` (``_direct``: the same answer, a fraction of the CPU).
        """
        config = ensure_config(config)
        if not _direct.direct(self, config, kwargs):
            return super().invoke(input, config, stop=stop, **kwargs)
        messages = _direct.messages(self, input)
        return _direct.answer(self._generate(messages, stop, **kwargs), config)

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Async twin of :meth:`invoke`."""
        config = ensure_config(config)
        if not _direct.direct(self, config, kwargs):
            return await super().ainvoke(input, config, stop=stop, **kwargs)
        messages = _direct.messages(self, input)
        return _direct.answer(await self._agenerate(messages, stop, **kwargs), config)

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """langchain-core's ``abatch``, with at most ``max_concurrency`` calls
        (and tasks) alive at once (see ``_direct.gather_bounded``).
        """
        configs = get_config_list(config, len(inputs))
        limit = configs[0].get("max_concurrency") if configs else None
        if limit is None or limit < 1:
            return await super().abatch(
                inputs, configs, return_exceptions=return_exceptions, **kwargs
            )

        async def one(index: int) -> Any:  # an exception too, if asked
            try:
                return await self.ainvoke(inputs[index], configs[index], **kwargs)
            except Exception as exc:
                if return_exceptions:
                    return exc
                raise

        return await _direct.gather_bounded(limit, len(inputs), one)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(
                self._stream(messages, stop, run_manager, **kwargs)
            )
        call = self._prepare(messages, stop, kwargs, self._media(messages))
        response = self.http.generate(call.model, call.hops, call.timeout)
        return checked(response_to_result(response, call.model, self.max_call_pieces))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(
                self._astream(messages, stop, run_manager, **kwargs)
            )
        call = self._prepare(messages, stop, kwargs, await self._amedia(messages))
        response = await self.http.agenerate(call.model, call.hops, call.timeout)
        return checked(response_to_result(response, call.model, self.max_call_pieces))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call = self._prepare(messages, stop, kwargs, self._media(messages))
        check_streamable(call.body)
        state = StreamState(model=call.model, max_call_pieces=self.max_call_pieces)
        seen = False
        for event in self.http.stream_hops(call.model, call.hops, call.timeout):
            chunk = ChatGenerationChunk(message=parse_event(event, state))
            seen = seen or answered(chunk.message)
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        yield last_chunk(state, seen, call.usage)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        call = self._prepare(messages, stop, kwargs, await self._amedia(messages))
        check_streamable(call.body)
        state = StreamState(model=call.model, max_call_pieces=self.max_call_pieces)
        seen = False
        async for event in self.http.astream_hops(call.model, call.hops, call.timeout):
            chunk = ChatGenerationChunk(message=parse_event(event, state))
            seen = seen or answered(chunk.message)
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        yield last_chunk(state, seen, call.usage)

    # langchain-core's content-block protocol (stream_events v3, LangGraph's
    # protocol streaming) reads these instead of bridging _stream itself: the
    # chunks are the same, with streamed call arguments kept (_protocol.py).
    def _stream_chat_model_events(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        return _protocol.events(self._stream(messages, stop, run_manager, **kwargs))

    def _astream_chat_model_events(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        return _protocol.aevents(self._astream(messages, stop, run_manager, **kwargs))

    # -- tools and structured output ----------------------------------------

    def bind_tools(
        self,
        tools: Sequence[Mapping[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: Any = None,
        response_format: Any = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind function tools and/or Gemini built-in tools.

        Built-ins are dicts such as ``{"google_search": {}}``,
        ``{"code_execution": {}}``, ``{"url_context": {}}``, ``{"google_maps": {}}``.
        ``tool_choice``: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True``,
        a tool name, a list of names, or a raw ``functionCallingConfig`` dict.

        The arguments ``langchain.agents.create_agent`` passes:

        - ``response_format``: a pydantic class, TypedDict, JSON Schema dict or
          ``{"type": "json_schema", "json_schema": {...}}``; the answer's text is
          JSON following it (``responseJsonSchema``), alongside the tools.
        - ``strict=True``: function calls must follow their schemas (Gemini's
          ``VALIDATED`` calling mode when the choice is unset or ``"auto"``).
        - ``parallel_tool_calls``: Gemini has no such switch and may always
          call several functions in one turn, so ``True`` is the default and
          ``False`` warns that it cannot be honoured.
        """
        entries, names = convert_tools(tools)
        config = tool_config(tool_choice, names)
        if strict:
            config = strict_tool_config(config, names)
        if config is not None:
            kwargs["tool_config"] = config
        if parallel_tool_calls is False:
            warnings.warn(
                "parallel_tool_calls=False: Gemini has no setting to limit a turn "
                "to one function call, so the model may still call several.",
                stacklevel=2,
            )
        if response_format is not None:
            settings = response_format_settings(response_format)
            kwargs.update(settings)
            kwargs.setdefault(
                "ls_structured_output_format",
                response_format_trace(settings, strict, response_format),
            )
        return super().bind(tools=entries, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Return a runnable whose output matches ``schema``.

        ``json_schema`` (default) sends ``responseJsonSchema`` with a JSON MIME
        type; ``function_calling`` forces one tool call; ``json_mode`` asks for
        JSON without a schema. ``strict`` is accepted for API compatibility:
        Gemini always enforces a given response schema.
        """
        if kwargs:
            raise TypeError(f"Unexpected keyword arguments: {sorted(kwargs)}")
        return structured_output(self, schema, method, include_raw)

    # -- tokens --------------------------------------------------------------

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[Any] | None = None,
    ) -> int:
        """Count tokens with the service's ``countTokens`` endpoint.

        Uses the same conversion as a real request (system instruction and
        tools included). If the endpoint is not there (404/405: CometAPI does
        not document it), falls back to a local estimate and warns once.
        """
        call = self._prepare(messages, None, {}, self._media(messages), generate=False)
        request = {"model": f"models/{call.model}", **call.body}
        if tools:
            request["tools"] = convert_tools(tools)[0]
        if not self._count_tokens_missing:
            try:
                response = self.http.post(
                    call.model, "countTokens", {"generateContentRequest": request}
                )
                return int(response.get("totalTokens", 0))
            except GeminiAPIError as error:
                if error.status_code not in (404, 405):
                    raise
                self._count_tokens_missing = True
                warnings.warn(
                    f"countTokens answered {error.status_code}; token counts are "
                    "now local estimates (about 4 characters per token).",
                    stacklevel=2,
                )
        return estimate_tokens(request)

    def get_num_tokens(self, text: str) -> int:
        """Count the tokens of ``text`` as one user message (see above)."""
        return self.get_num_tokens_from_messages([HumanMessage(content=text)])


_TABLE = SettingsTable(ChatCometGemini)
"""The settings table (``_settings``) with this class's errors and fields."""

# The documented names, in the docs' order (docs/index.md's parameter table).
_SHOWN = (
    *_TABLE.names,
    # The connection settings, as declared, then LangChain's most used one;
    # the rest of LangChain's options are **kwargs.
    *(
        name
        for name in ChatCometGemini.model_fields
        if name not in _TABLE.call and name not in BaseChatModel.model_fields
    ),
    "rate_limiter",
)
describe_fields(
    ChatCometGemini,
    {
        **_BASE_FIELDS,
        **attribute_docstrings(RequestSettings),
        **attribute_docstrings(ChatCometGemini),
    },
)
_PER_CALL = _TABLE.call | _REQUEST_KEYS | _CALL_KEYS
_FIXED = frozenset(ChatCometGemini.model_fields) - _PER_CALL
ChatCometGemini.__signature__ = readable_signature(
    ChatCometGemini,
    _SHOWN,
    types_shown={
        "api_key": "str | None",
        "timeout": "float | tuple[float, float] | httpx.Timeout | None",
        "http_client": "httpx.Client | None",
        "http_async_client": "httpx.AsyncClient | None",
        "rate_limiter": "BaseRateLimiter | None",
    },
    defaults_shown={
        "api_key": "None",
        "base_url": repr(DEFAULT_BASE_URL),
        "model_kwargs": "{}",
    },
)


def _env(name: str) -> str | None:
    return os.environ.get(name) or None
