"""The emulator is as strict as the service about where a request goes.

Unknown model ids and wrong path prefixes get the service's 404 NOT_FOUND
(Gemini's error shape), which the package raises as GeminiNotFoundError, so
an offline test catches the commonest real mistakes.
"""

from __future__ import annotations

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini, GeminiNotFoundError
from langchain_cometgemini.testing import GeminiEmulator
from langchain_cometgemini.testing._models import known_model


@pytest.mark.parametrize("model", ["gemini-2.5-flsh", "gpt-4o", "gemini-4-flsh"])
@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_unknown_model_is_not_found(
    emulator: GeminiEmulator, model: str, mode: str
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k", model=model)
    with pytest.raises(GeminiNotFoundError) as info:
        if mode == "invoke":
            llm.invoke("hi")
        else:
            list(llm.stream("hi"))
    assert info.value.status_code == 404
    assert info.value.status == "NOT_FOUND"
    assert f"models/{model} is not found" in info.value.message


def test_unknown_model_answer_has_geminis_error_shape(emulator: GeminiEmulator) -> None:
    url = f"{emulator.url}/v1beta/models/gemini-2.5-flsh:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    answer = httpx.post(url, json=body, headers={"x-goog-api-key": "k"})
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    assert "ListModels" in error["message"]


@pytest.mark.parametrize(
    "model",
    [
        "gemini-2.5-flash",
        "gemini-2.5-flash-preview-09-2025",
        "gemini-3.8-flash",
        "gemini-3.5-flash-lite",
        "gemini-4-argon",
        "gemini-flash-latest",
        "gemini-3-pro-image-preview",
        "gemini-2.5-flash-preview-tts",
        "gemini-2.0-flash",
    ],
)
def test_ids_of_known_families_are_answered(
    emulator: GeminiEmulator, model: str
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k", model=model)
    assert llm.invoke("hi").text == "Echo: hi"


def test_known_model_is_a_family_rule_not_a_list() -> None:
    # Ids no table lists, of families that exist or may: answered.
    assert known_model("gemini-9-flash")
    assert known_model("gemini-5-zephyr")  # a code name, Gemini 4 on
    # Misspelt tiers, other providers, no version: not.
    assert not known_model("gemini-9-flsh")
    assert not known_model("gemini-2.5-prro")
    assert not known_model("claude-sonnet-4")
    assert not known_model("gemini")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/v1beta/models/gemini-2.5-flash:generateContent",  # base_url .../v1
        "/proxy/v1beta/models/gemini-2.5-flash:generateContent",
        "/v1/models/gemini-2.5-flash:generateContent",
        "/v1beta/gemini-2.5-flash:generateContent",
    ],
)
def test_wrong_path_prefix_is_not_found(emulator: GeminiEmulator, path: str) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    answer = httpx.post(emulator.url + path, json=body, headers={"x-goog-api-key": "k"})
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"
    assert "base_url" in answer.json()["error"]["message"]


def test_a_base_url_with_an_extra_path_is_not_found(emulator: GeminiEmulator) -> None:
    llm = ChatCometGemini(base_url=f"{emulator.url}/proxy", api_key="k", max_retries=0)
    with pytest.raises(GeminiNotFoundError, match="/proxy/v1beta/models"):
        llm.invoke("hi")


def test_extra_models_and_any_model_open_the_door() -> None:
    with GeminiEmulator(extra_models=["my-tuned-model"]) as emulator:
        tuned = ChatCometGemini(
            base_url=emulator.url, api_key="k", model="my-tuned-model"
        )
        assert tuned.invoke("hi").text == "Echo: hi"
        other = tuned.model_copy(update={"model": "my-other-model"})
        with pytest.raises(GeminiNotFoundError):
            other.invoke("hi")
    with GeminiEmulator(any_model=True) as emulator:
        llm = ChatCometGemini(base_url=emulator.url, api_key="k", model="gpt-4o")
        assert llm.invoke("hi").text == "Echo: hi"


def test_the_options_may_change_on_a_running_emulator(
    emulator: GeminiEmulator,
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k", model="relay-alias")
    with pytest.raises(GeminiNotFoundError):
        llm.invoke("hi")
    emulator.extra_models.add("relay-alias")
    assert llm.invoke("hi").text == "Echo: hi"
