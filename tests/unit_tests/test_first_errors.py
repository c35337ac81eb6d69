"""Errors that say what to do next: the mistakes a newcomer makes first.

A wrong base_url or no network, an empty key, a per-call typo, another
integration's argument names, a timeout in another shape, ``stream_usage``,
a base_url pasted with its API version.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini, GeminiConnectionError, demo
from langchain_cometgemini.testing import GeminiEmulator
from tests.raw_http import free_port

# -- connection failures ---------------------------------------------------------


def test_refused_connection_names_base_url_and_its_env_var(sleeps: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    llm = ChatCometGemini(base_url=url, api_key="k", max_retries=0)
    with pytest.raises(GeminiConnectionError) as info:
        llm.invoke("hi")
    message = str(info.value)
    assert url in message
    assert "base_url" in message
    assert "COMETAPI_BASE_URL" in message
    assert "https://" in message.split("COMETAPI_BASE_URL", 1)[1]  # a docs link


def test_demo_without_network_says_how_to_run_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sleeps: Any
) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "sk-test")
    monkeypatch.setenv("COMETAPI_BASE_URL", f"http://127.0.0.1:{free_port()}")
    assert demo.main() == 1
    err = capsys.readouterr().err
    assert "Could not reach the service" in err
    assert "refused the request" not in err  # a DNS/connect failure is not a refusal
    assert "COMETAPI_BASE_URL" in err
    assert "COMETAPI_KEY= python -m langchain_cometgemini.demo" in err


def test_demo_with_a_bad_base_url_says_what_to_write(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "sk-test")
    monkeypatch.setenv("COMETAPI_BASE_URL", "https://api.cometapi.com/v1")
    assert demo.main() == 1
    err = capsys.readouterr().err
    assert "base_url='https://api.cometapi.com'" in err
    assert "Traceback" not in err


# -- keys -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   ", "\t\n"])
def test_empty_or_blank_key_is_refused_at_construction(key: str) -> None:
    with pytest.raises(ValueError, match="api_key is empty") as info:
        ChatCometGemini(api_key=key)
    assert "COMETAPI_KEY" in str(info.value)


def test_empty_key_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "")
    with pytest.raises(ValueError, match="api_key is empty"):
        ChatCometGemini()


def test_google_api_key_is_an_alias_of_api_key(emulator: GeminiEmulator) -> None:
    llm = ChatCometGemini(google_api_key="k-google", base_url=emulator.url)
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "k-google"
    llm.invoke("hi")
    assert emulator.last_request.headers["x-goog-api-key"] == "k-google"


def test_google_api_key_and_api_key_together_are_refused() -> None:
    with pytest.raises(TypeError, match="google_api_key and api_key"):
        ChatCometGemini(google_api_key="a", api_key="b")


# -- names from elsewhere, typos -----------------------------------------------------


@pytest.mark.parametrize(
    ("given", "ours"),
    [
        ("api_base", "base_url"),
        ("openai_api_base", "base_url"),
        ("baseURL", "base_url"),
        ("base-url", "base_url"),
        ("anthropic_api_url", "base_url"),
        ("openai_api_key", "api_key"),
        ("max_completion_tokens", "max_tokens"),
        ("tempreature", "temperature"),
    ],
)
def test_constructor_names_ours_for_other_integrations_names(
    given: str, ours: str
) -> None:
    with pytest.raises(TypeError, match=f"did you mean '{ours}'"):
        ChatCometGemini(api_key="k", **{given: "x"})


@pytest.mark.parametrize(
    ("given", "ours"),
    [
        ("temprature", "temperature"),
        ("maxTokens", "max_tokens"),
        ("max_output_token", "max_tokens"),
        ("reasoning_efort", "reasoning_effort"),
    ],
)
def test_per_call_typo_gets_a_suggestion(
    emulator: GeminiEmulator, given: str, ours: str
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k")
    with pytest.raises(TypeError, match=f"'{given}' \\(did you mean '{ours}'\\?\\)"):
        llm.invoke("hi", **{given: 1})
    assert emulator.requests == []


@pytest.mark.parametrize("given", ["base_url", "api_base", "max_retries"])
def test_per_call_instance_setting_says_where_it_goes(
    emulator: GeminiEmulator, given: str
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k")
    with pytest.raises(TypeError, match="is set on the model, not per call") as info:
        llm.invoke("hi", **{given: "x"})
    assert "model_copy(update=" in str(info.value)


# -- timeouts -----------------------------------------------------------------------


def test_timeout_as_seconds_pair_or_httpx_timeout() -> None:
    assert ChatCometGemini(api_key="k", timeout=5).timeout == 5.0
    pair = ChatCometGemini(api_key="k", timeout=(3, 10)).timeout
    assert pair == httpx.Timeout(10.0, connect=3.0)
    given = httpx.Timeout(7.0, connect=2.0)
    llm = ChatCometGemini(api_key="k", timeout=given)
    assert llm.timeout is given
    assert llm.http.timeout == given
    assert llm.http.media_timeout == 7.0  # one number: the read timeout


@pytest.mark.parametrize("bad", [0, -1, "3", (0, 5), (1, 2, 3), True])
def test_bad_timeout_is_refused_with_the_accepted_forms(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"\(connect, read\) pair"):
        ChatCometGemini(api_key="k", timeout=bad)


def test_per_call_timeout_pair_reaches_the_request(emulator: GeminiEmulator) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=_ANSWER)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    llm = ChatCometGemini(base_url=emulator.url, api_key="k", http_client=client)
    llm.invoke("hi", timeout=(2, 9))
    assert seen[-1]["connect"] == 2.0
    assert seen[-1]["read"] == 9.0
    with pytest.raises(ValueError, match="timeout must be"):
        llm.invoke("hi", timeout="soon")


_ANSWER = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "ok"}]},
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1},
}


# -- stream_usage ------------------------------------------------------------------


def test_stream_usage_is_a_constructor_setting(emulator: GeminiEmulator) -> None:
    quiet = ChatCometGemini(base_url=emulator.url, api_key="k", stream_usage=False)
    assert all(c.usage_metadata is None for c in quiet.stream("one two three"))
    # Per call wins over the instance, both ways.
    loud = list(quiet.stream("one two", stream_usage=True))
    assert loud[-1].usage_metadata is not None
    default = ChatCometGemini(base_url=emulator.url, api_key="k")
    assert list(default.stream("one two"))[-1].usage_metadata is not None
    assert all(
        c.usage_metadata is None for c in default.stream("one", stream_usage=False)
    )


# -- base_url with its API version --------------------------------------------


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("https://api.cometapi.com/v1", "https://api.cometapi.com"),
        ("https://api.cometapi.com/v1/", "https://api.cometapi.com"),
        ("https://api.cometapi.com/v1beta", "https://api.cometapi.com"),
        ("https://relay.example/gemini/v1beta/", "https://relay.example/gemini"),
    ],
)
def test_base_url_ending_in_an_api_version_says_what_to_write(
    given: str, root: str
) -> None:
    with pytest.raises(ValueError, match="give the service root") as info:
        ChatCometGemini(api_key="k", base_url=given)
    assert f"base_url={root!r}" in str(info.value)


def test_base_url_with_a_version_inside_the_path_is_fine() -> None:
    llm = ChatCometGemini(api_key="k", base_url="https://relay.example/v1/gemini")
    assert llm.base_url == "https://relay.example/v1/gemini"
