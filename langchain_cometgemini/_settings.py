"""The settings table: one declaration per request setting of ``ChatCometGemini``.

Each field of :class:`RequestSettings` is one row of the table. Its pydantic
declaration says how the value is validated and normalized (types, bounds,
``AfterValidator``, the structured ones from ``_normalize``); its
:class:`Wire` marker says where the value goes in the request and that it
may be given per call (``invoke(x, temperature=0)``).
:class:`SettingsTable` reads the markers once, at import, and everything else
is derived from it: the per-call names, ``generationConfig`` building
(``_config``), per-call validation, and the check that docs/index.md's
parameter table agrees (tests/unit_tests/test_settings_docs.py).

Adding a ``generationConfig`` field is one declaration here plus its docs line::

    enable_affective_dialog: Annotated[
        bool | None, Config("enableAffectiveDialog")
    ] = None

A value is normalized once, when it is validated (constructor or per call),
and stored in its wire form, so building a request only copies values.
Request reference: https://ai.google.dev/api/generate-content#request-body
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import getitem
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails

from langchain_cometgemini._errors import docs_url
from langchain_cometgemini._normalize import (
    check_model_id,
    normalize_image_config,
    normalize_media_resolution,
    normalize_safety_settings,
    normalize_speech_config,
)
from langchain_cometgemini._request_keys import (
    normalize_labels,
    normalize_retrieval_config,
    normalize_service_tier,
)

__all__ = [
    "EMPTY",
    "TABLE",
    "RequestSettings",
    "SettingsTable",
    "Wire",
    "check_cached_content",
    "check_settings",
]

Place = Literal[
    "generationConfig",
    "thinkingConfig",
    "request",
    "toolConfig",
    "merge",
    "path",
    "call",
]

EMPTY: tuple[Any, ...] = ("", (), [], {})
"""``omit`` for settings whose empty value means "not set"."""


@dataclass(frozen=True, slots=True)
class Wire:
    """Where a setting goes in the request; a field with one may be given per call.

    ``place``: ``generationConfig`` (``key`` is its field), ``request`` (a
    top-level body key), ``toolConfig`` (``key`` is its field, merged with
    the tool choice), ``thinkingConfig`` (``key`` is the keyword of
    ``_config.thinking_config``, which picks the wire field per model),
    ``merge`` (a mapping merged into ``generationConfig`` last), ``path`` (part
    of the URL) or ``call`` (used by the call, never sent). ``omit``: values
    sent as nothing besides ``None`` (a default the service assumes anyway).
    ``amount``: one of the thinking settings a per-call value replaces.
    """

    place: Place
    key: str = ""
    omit: tuple[Any, ...] = ()
    amount: bool = False

    @property
    def where(self) -> str:
        """Where the value goes, as docs/index.md's "request key" column says it."""
        if self.place in ("generationConfig", "toolConfig"):
            return f"{self.place}.{self.key}"
        if self.place == "thinkingConfig":
            return "generationConfig.thinkingConfig"
        if self.place == "merge":
            return "generationConfig"
        return self.key


def Config(key: str, omit: tuple[Any, ...] = ()) -> Wire:  # noqa: N802 - reads as a marker
    """A ``generationConfig`` field. See https://ai.google.dev/api/generate-content#generationconfig"""
    return Wire("generationConfig", key, omit)


def Thinking(keyword: str, *, amount: bool = True) -> Wire:  # noqa: N802
    """An input of ``thinkingConfig``. See https://ai.google.dev/gemini-api/docs/thinking"""
    return Wire("thinkingConfig", keyword, amount=amount)


# generationConfig keys that have their own field and may not come through
# model_kwargs (the others may: model_kwargs is how a field is overridden raw).
_OWN_FIELD_KEYS = frozenset({"temperature", "topP", "topK"})


def check_settings(values: Mapping[str, Any]) -> None:
    """Checks across settings, for the constructor and for each call's merged values."""
    if values.get("thinking_budget") is not None and (
        values.get("thinking_level") is not None
    ):
        raise ValueError("thinking_budget and thinking_level: set one, not both.")
    overlap = _OWN_FIELD_KEYS.intersection(values.get("model_kwargs") or ())
    if overlap:
        raise ValueError(
            f"model_kwargs: {sorted(overlap)} have their own fields; use those."
        )


_CACHE_CONFLICTS = {
    "systemInstruction": "the system message",
    "tools": "tools",
    "toolConfig": "tool_choice / tool_config",
}


def check_cached_content(body: Mapping[str, Any]) -> None:
    """Refuse, before sending, a request the service answers 400.

    With ``cachedContent`` the system instruction, tools and tool config must
    live in the cache itself; a request that also carries them is rejected.
    See https://ai.google.dev/gemini-api/docs/caching and docs/caching.md.
    """
    if not body.get("cachedContent"):
        return
    clash = [name for key, name in _CACHE_CONFLICTS.items() if body.get(key)]
    if clash:
        raise ValueError(
            f"cached_content={body['cachedContent']!r} cannot be sent with "
            f"{', '.join(clash)}: Gemini takes them only inside the cache. Create "
            "the cache with system_instruction / tools / tool_config and drop them "
            f"from this call (see {docs_url('caching.md')})."
        )


Effort = Literal["minimal", "low", "medium", "high"]


class RequestSettings(BaseModel):
    """The settings that shape a request; every one may also be given per call.

    ``ChatCometGemini`` inherits them. The class body is the settings table:
    one declaration per setting, its ``Wire`` marker saying where it goes.
    """

    # The docstring under each field is its description: chat_models sets it
    # on ChatCometGemini's model_fields (_signature.describe_fields).
    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    model: Annotated[
        str, Wire("path", "models/{model}"), AfterValidator(check_model_id)
    ] = Field(default="gemini-2.5-flash", alias="model_name")
    """Gemini model id, e.g. ``gemini-2.5-flash`` or ``gemini-3-flash-preview``."""
    temperature: Annotated[float | None, Config("temperature")] = Field(
        default=None, ge=0.0, le=2.0
    )
    """Sampling temperature, 0.0-2.0 (``None``: the model's default)."""
    top_p: Annotated[float | None, Config("topP")] = Field(default=None, ge=0.0, le=1.0)
    """Nucleus sampling, 0.0-1.0 (``topP``)."""
    top_k: Annotated[int | None, Config("topK")] = Field(default=None, ge=1)
    """Top-k sampling, at least 1 (``topK``)."""
    max_tokens: Annotated[int | None, Config("maxOutputTokens")] = Field(
        default=None, ge=1, alias="max_output_tokens"
    )
    """Answer length limit in tokens (``maxOutputTokens``)."""
    stop: Annotated[list[str] | None, Config("stopSequences", EMPTY)] = Field(
        default=None, alias="stop_sequences"
    )
    """Stop sequences (``stopSequences``)."""
    n: Annotated[int, Config("candidateCount", (1,))] = Field(
        default=1, ge=1, le=8, alias="candidate_count"
    )
    """Number of candidates (``candidateCount``); each becomes a generation."""
    seed: Annotated[int | None, Config("seed")] = None
    """Sampling seed."""
    presence_penalty: Annotated[float | None, Config("presencePenalty")] = Field(
        default=None, ge=-2.0, le=2.0
    )
    """Presence penalty, -2.0-2.0."""
    frequency_penalty: Annotated[float | None, Config("frequencyPenalty")] = Field(
        default=None, ge=-2.0, le=2.0
    )
    """Frequency penalty, -2.0-2.0."""
    response_mime_type: Annotated[str | None, Config("responseMimeType")] = None
    """Answer MIME type, e.g. ``application/json`` or ``text/x.enum``."""
    response_json_schema: Annotated[
        dict[str, Any] | None, Config("responseJsonSchema")
    ] = None
    """JSON Schema the answer follows (``responseJsonSchema``), sent as given."""
    response_schema: Annotated[dict[str, Any] | None, Config("responseSchema")] = None
    """OpenAPI-subset schema (``responseSchema``); prefer ``response_json_schema``."""
    response_modalities: Annotated[
        list[Literal["TEXT", "IMAGE", "AUDIO"]] | None, Config("responseModalities")
    ] = None
    """What the answer may hold: ``["TEXT", "IMAGE"]`` for image models."""
    image_config: Annotated[
        dict[str, Any] | None,
        Config("imageConfig", EMPTY),
        AfterValidator(normalize_image_config),
    ] = None
    """``{"aspect_ratio": "16:9", "image_size": "2K"}``; kept in wire form."""
    speech_config: Annotated[
        dict[str, Any] | str | None,
        Config("speechConfig", EMPTY),
        AfterValidator(normalize_speech_config),
    ] = None
    """Voice(s) for audio answers: ``"Kore"`` or ``{"speakers": {"Joe": "Kore"}}``."""
    thinking_budget: Annotated[int | None, Thinking("budget")] = Field(
        default=None, ge=-1
    )
    """Gemini 2.5 thinking budget in tokens (0 off, -1 dynamic)."""
    thinking_level: Annotated[Effort | None, Thinking("level")] = None
    """Gemini 3+ thinking level: ``minimal``, ``low``, ``medium`` or ``high``."""
    include_thoughts: Annotated[
        bool | None, Thinking("include_thoughts", amount=False)
    ] = None
    """Return thought summaries as ``thinking`` content blocks."""
    reasoning_effort: Annotated[Effort | None, Thinking("effort")] = None
    """Generation-neutral thinking setting, translated per model (docs/thinking)."""
    response_logprobs: Annotated[bool | None, Config("responseLogprobs")] = None
    """Return the chosen tokens' log probabilities."""
    logprobs: Annotated[int | None, Config("logprobs")] = Field(
        default=None, ge=0, le=20
    )
    """Alternatives per token in the log probabilities, 0-20."""
    media_resolution: Annotated[
        str | None,
        Config("mediaResolution"),
        AfterValidator(normalize_media_resolution),
    ] = None
    """Input media resolution: ``low``, ``medium``, ``high`` or a full name."""
    safety_settings: Annotated[
        list[dict[str, str]] | dict[str, str] | None,
        Wire("request", "safetySettings", EMPTY),
        AfterValidator(normalize_safety_settings),
    ] = None
    """``{category: threshold}`` or a list of ``{"category", "threshold"}``."""
    cached_content: Annotated[str | None, Wire("request", "cachedContent", EMPTY)] = (
        None
    )
    """Name of a cached content resource (``cachedContents/...``)."""
    service_tier: Annotated[
        str | None,
        Wire("request", "serviceTier"),
        AfterValidator(normalize_service_tier),
    ] = None
    """``"standard"``, ``"flex"`` or ``"priority"`` (Gemini API only)."""
    labels: Annotated[
        dict[str, str] | None,
        Wire("request", "labels", EMPTY),
        AfterValidator(normalize_labels),
    ] = None
    """Billing labels ``{key: value}`` (Gemini API only)."""
    retrieval_config: Annotated[
        dict[str, Any] | None,
        Wire("toolConfig", "retrievalConfig", EMPTY),
        AfterValidator(normalize_retrieval_config),
    ] = None
    """Where a Maps-grounded answer is about: ``lat_lng``, ``language_code``."""
    continuation_token: Annotated[
        str | None, Wire("request", "continuationToken", EMPTY)
    ] = None
    """Resume a long-decode answer from ``response_metadata["continuation_token"]``."""
    automatic_continuation: Annotated[bool, Wire("call")] = True
    """Follow long-decode ``CONTINUATION`` answers to the end (``_hops``)."""
    max_continuations: Annotated[int, Wire("call")] = Field(default=32, ge=0)
    """Most continuation requests one call sends before raising."""
    malformed_call_retries: Annotated[int, Wire("call")] = Field(default=1, ge=0)
    """Resends, with calls VALIDATED, after ``MALFORMED_FUNCTION_CALL``."""
    model_kwargs: Annotated[dict[str, Any], Wire("merge")] = Field(default_factory=dict)
    """Extra ``generationConfig`` fields, sent as given."""

    @model_validator(mode="after")
    def _check_settings(self) -> RequestSettings:
        check_settings(self.__dict__)
        return self


class SettingsTable:
    """What the ``Wire`` markers of a model's fields say, read once.

    ``names``: the per-call settings in declaration order (``call``: the same
    as a set); ``sent``: ``(field, key, omit, place)`` of each value copied into
    the body, ``generationConfig`` or the ``thinking_config`` inputs (one pass
    per request); ``amount``: the thinking settings a per-call value replaces
    together; ``merge``: mappings merged into ``generationConfig`` last;
    ``where``: the docs' "request key" of every per-call setting.
    """

    def __init__(self, model: type[BaseModel]) -> None:
        self.title = model.__name__
        self.fields = model.model_fields
        wires = {
            name: wire
            for name, field in self.fields.items()
            for wire in field.metadata
            if isinstance(wire, Wire)
        }
        self.names = tuple(wires)
        self.call = frozenset(wires)
        self.where = {name: wire.where for name, wire in wires.items()}
        self.sent = tuple(
            (name, w.key, w.omit, w.place)
            for name, w in wires.items()
            if w.place
            in ("generationConfig", "request", "thinkingConfig", "toolConfig")
        )
        self.amount = frozenset(name for name, w in wires.items() if w.amount)
        self.merge = tuple(name for name, w in wires.items() if w.place == "merge")
        self._adapters: dict[str, TypeAdapter[Any]] = {}

    def validate(self, name: str, value: Any) -> Any:
        """``value`` validated and normalized as the constructor would do it.

        A bad value raises the constructor's ``ValidationError`` (same title,
        the field name in its location). Validators are built on first use.
        """
        adapter = self._adapters.get(name)
        if adapter is None:
            field = self.fields[name]
            # The field's type with its constraints and validators, as declared.
            annotated: Any = getitem(Annotated, (field.annotation, *field.metadata))
            adapter = self._adapters[name] = TypeAdapter(annotated)
        try:
            return adapter.validate_python(value)
        except ValidationError as error:
            details = [_detail(item, (name, *item["loc"])) for item in error.errors()]
            raise ValidationError.from_exception_data(self.title, details) from None

    def apply(self, options: dict[str, Any], overrides: Mapping[str, Any]) -> None:
        """Put validated per-call ``overrides`` into ``options`` (field values).

        A per-call thinking amount replaces the instance's one rather than
        clashing with it (docs/thinking.md); then the merged values are checked
        together as the constructor checks them.
        """
        given = {name: self.validate(name, value) for name, value in overrides.items()}
        if not self.amount.isdisjoint(given):
            options.update(dict.fromkeys(self.amount))
        options.update(given)
        try:
            check_settings(options)
        except ValueError as error:
            detail = InitErrorDetails(
                type="value_error", loc=(), input=dict(overrides), ctx={"error": error}
            )
            raise ValidationError.from_exception_data(self.title, [detail]) from None


def _detail(item: ErrorDetails, loc: tuple[int | str, ...]) -> InitErrorDetails:
    """One error of a ``ValidationError`` again, at ``loc`` (to name the field)."""
    detail = InitErrorDetails(type=item["type"], loc=loc, input=item["input"])
    if "ctx" in item:
        detail["ctx"] = item["ctx"]
    return detail


TABLE = SettingsTable(RequestSettings)
"""The table of :class:`RequestSettings` (what ``_config`` builds requests from)."""
