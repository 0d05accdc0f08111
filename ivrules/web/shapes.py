"""The core's JSON shapes (``typing.TypedDict``s beside the classes they serialise) as pydantic sees them.

Each answer's JSON is declared once, in the core, as a ``TypedDict`` that its
``to_dict`` returns, so mypy checks the serialiser against the shape. The core
cannot import pydantic, and on Python < 3.12 pydantic reads only
``typing_extensions.TypedDict``; ``schema`` rebuilds a core shape (and every
shape it nests) as one, with the same keys, required keys, types and
docstrings, so the OpenAPI schema is drawn from the core's declaration and
never from a second hand-written copy. A field's docstring (the string
literal under it in the source) becomes its description.
"""

import ast
import inspect
import itertools
import textwrap
import types
import typing
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import typing_extensions
from pydantic import Field

_built: dict[Any, Any] = {}
_TYPED_DICT: Any = typing_extensions.TypedDict  # called with a name only known at run time


def schema(shape: Any, name: str | None = None) -> Any:
    """``shape`` (a core ``TypedDict``) as a ``typing_extensions.TypedDict`` pydantic can read.

    ``name`` is the OpenAPI component's name; by default the class's without "JSON"."""
    if shape not in _built:
        docs = {k: v for base in (*_bases(shape), shape) for k, v in field_docs(base).items()}
        fields: dict[str, Any] = {}
        for key, hint in get_type_hints(shape, include_extras=True).items():
            # Read from the hint: with string annotations, Python 3.11 counts a NotRequired key as required.
            optional = get_origin(hint) is typing.NotRequired
            hint = _convert(get_args(hint)[0] if optional else hint)
            if key in docs:
                hint = Annotated[hint, Field(description=docs[key])]
            fields[key] = typing_extensions.NotRequired[hint] if optional else hint
        built = _TYPED_DICT(name or shape.__name__.removesuffix("JSON"), fields)
        built.__doc__ = shape.__doc__
        built.__module__ = shape.__module__
        built.__pydantic_config__ = {"extra": "allow"}  # a key added to an answer never breaks the schema
        _built[shape] = built
    return _built[shape]


def _convert(hint: Any) -> Any:
    """A type with every core ``TypedDict`` in it replaced by its pydantic-readable twin."""
    if typing.is_typeddict(hint):
        return schema(hint)
    origin, args = get_origin(hint), get_args(hint)
    if not args or origin is typing.Literal:
        return hint
    converted = tuple(_convert(a) for a in args)
    if origin in (Union, types.UnionType):
        return Union[converted]  # noqa: UP007 - built from a tuple of types
    return origin[converted]


def _bases(shape: type) -> list[type]:
    """The ``TypedDict``s ``shape`` extends, the furthest first."""
    out: list[type] = []
    for base in getattr(shape, "__orig_bases__", ()):
        if typing.is_typeddict(base):
            out += [*_bases(base), base]
    return out


def field_docs(shape: type) -> dict[str, str]:
    """Each field's docstring: the string literal right under its annotation in the class body."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(shape)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for stmt, after in itertools.pairwise(body):
        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
            docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs
