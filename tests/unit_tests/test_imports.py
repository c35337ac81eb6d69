"""The package imports lightly and still exports every public name."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import langchain_cometgemini


def _loaded_after(statement: str) -> set[str]:
    """Modules present in a fresh interpreter after running ``statement``."""
    code = (
        f"import sys; {statement}; import json; print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


def test_package_import_loads_no_chat_model_machinery() -> None:
    loaded = _loaded_after("import langchain_cometgemini")
    heavy = {
        "httpx",
        "langchain_core.language_models.chat_models",
        "langchain_cometgemini.chat_models",
        "langchain_cometgemini.testing",
    }
    assert not heavy & loaded


def test_chat_model_import_does_not_load_tools_or_testing() -> None:
    # Binding tools needs langchain_core.tools; importing the model does not.
    loaded = _loaded_after("from langchain_cometgemini import ChatCometGemini")
    assert "langchain_cometgemini.chat_models" in loaded
    assert "langchain_core.tools.base" not in loaded
    assert "langchain_cometgemini.testing" not in loaded


@pytest.mark.parametrize("name", langchain_cometgemini.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(langchain_cometgemini, name)
    assert value is not None
    assert name in dir(langchain_cometgemini)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'ChatGemini'"):
        langchain_cometgemini.ChatGemini  # noqa: B018


def test_version_is_the_installed_distribution_version() -> None:
    from importlib import metadata

    assert langchain_cometgemini.__version__ == metadata.version(
        "langchain-cometgemini"
    )


def test_every_exception_class_is_public() -> None:
    """The package's list is the one list of public errors: a class added to
    ``_errors`` and not exported would be unreachable for ``except``."""
    from langchain_cometgemini import _errors

    classes = {
        name
        for name, value in vars(_errors).items()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == _errors.__name__
    }
    assert classes
    assert classes <= set(langchain_cometgemini.__all__)
