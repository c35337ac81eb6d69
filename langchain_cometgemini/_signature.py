"""What ``help(ChatCometGemini)`` and ``inspect.signature`` show.

pydantic builds a model's ``__signature__`` from its fields as declared: the
settings table's ``Annotated[..., Wire(...), AfterValidator(...)]`` types in
full and, for a field with an alias, the alias as the parameter's name. For
``ChatCometGemini`` that was one line of about 5,000 characters naming
``model_name`` where the docs say ``model``. :func:`readable_signature` names
each parameter as the docs do (aliases are still accepted, just not shown),
with the type a caller passes and a default a person can read.

:func:`describe_fields` gives every field a description: the docstring under
its declaration (:func:`attribute_docstrings`, what pydantic's
``use_attribute_docstrings`` reads, at a fraction of its import cost), and
for the fields inherited from langchain-core a table's line, so
``model_fields`` explains every setting.
"""

from __future__ import annotations

import ast
import inspect
import sys
import types
from collections.abc import Iterable, Mapping
from copy import copy
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = [
    "Shown",
    "attribute_docstrings",
    "describe_fields",
    "readable_signature",
    "type_text",
]


class Shown:
    """A type or default shown exactly as ``text`` (no quotes, no module path)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def type_text(annotation: Any) -> str:
    """``annotation`` as a person writes it: ``float | None``, ``list[str]``.

    ``Annotated`` metadata is dropped, unions use ``|``, builtins and
    pydantic/langchain types go by their bare names, httpx's keep ``httpx.``.
    """
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return type_text(args[0])
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_text(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_text(arg) for arg in args)}]" if args else name
    if annotation is type(None) or annotation is None:
        return "None"
    if annotation is Any:
        return "Any"
    if isinstance(annotation, type):
        module = annotation.__module__.split(".")[0]
        prefix = "httpx." if module == "httpx" else ""
        return prefix + annotation.__qualname__
    return str(annotation).replace("typing.", "")


def readable_signature(
    model: type[BaseModel],
    names: Iterable[str],
    *,
    types_shown: Mapping[str, str],
    defaults_shown: Mapping[str, str],
) -> inspect.Signature:
    """Keyword-only parameters ``names`` (field names, in that order), then
    ``**kwargs`` for the rest (LangChain's own options).

    ``types_shown`` / ``defaults_shown`` override a field's shown type or
    default: the type a caller passes when the declared one is what the value
    becomes (``SecretStr``), the default of a ``default_factory`` (which is
    never called here: a factory may read the environment, the key among it).
    """
    fields = model.model_fields
    params = []
    for name in names:
        field = fields[name]
        shown_type = types_shown.get(name) or type_text(field.annotation)
        if name in defaults_shown:
            default: Any = Shown(defaults_shown[name])
        elif field.default_factory is not None:
            default = Shown("...")
        else:
            default = field.default
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=Shown(shown_type),
            )
        )
    params.append(
        inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD, annotation=Any)
    )
    return inspect.Signature(params)


def attribute_docstrings(cls: type) -> dict[str, str]:
    """``{field: the docstring right under its declaration}`` in ``cls``'s body.

    The same text pydantic's ``use_attribute_docstrings`` finds, without its
    search through frames and ``sys.modules`` (about 30 ms per class at
    import): only the class's own lines of its module are parsed.
    """
    path = getattr(sys.modules[cls.__module__], "__file__", None)
    if path is None:  # pragma: no cover - a class built outside a source file
        return {}
    lines = Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
    header = f"class {cls.__name__}("
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    # The class ends at the next line that starts in column 0 (a multi-line
    # header's closing parenthesis excepted).
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in " \n#)"),
        len(lines),
    )
    (node,) = ast.parse("".join(lines[start:end])).body
    assert isinstance(node, ast.ClassDef)
    docs: dict[str, str] = {}
    for declared, after in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(declared, ast.AnnAssign)
            and isinstance(declared.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[declared.target.id] = inspect.cleandoc(after.value.value)
    return docs


def describe_fields(model: type[BaseModel], descriptions: Mapping[str, str]) -> None:
    """Give each field of ``model`` without a description the one in
    ``descriptions`` (``model_fields`` is what help pages and tools read; the
    model is not rebuilt: nothing it validates changes).

    The field objects are copied first: the parent class keeps its own. A
    field the table does not know (one a newer langchain-core adds) is
    described as LangChain's, never left empty and never an import error.
    """
    fields = model.model_fields
    for name in [name for name, field in fields.items() if not field.description]:
        described = copy(fields[name])
        described.description = descriptions.get(name) or (
            "A LangChain BaseChatModel option (see langchain-core's BaseChatModel)."
        )
        fields[name] = described
