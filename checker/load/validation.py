"""The careful path: plain data (YAML, a JSON file the fast path doubts, an adapter's output) is
validated by pydantic, for its messages and the path of the field each names, and then built into
the structs of checker.model, the types every input loads into.

The pydantic models are derived here from those structs, field by field, so the format is written
once (in checker/model.py). A constraint or validator this module cannot mirror is an error when
it is first used, never a check silently skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, Union

import msgspec
import msgspec.structs
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

Model = TypeVar("Model", bound=msgspec.Struct)


def validate(model: type[Model], data: object) -> Model:
    """`data` as a `model`, or a pydantic ValidationError saying what is wrong and where."""
    checked = _pydantic(model).model_validate(data)
    return msgspec.convert(checked, model, from_attributes=True)


def iso_date(value: object) -> object:
    """Accept an ISO 8601 date written as a string (YAML core schema leaves dates unresolved)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a date in YYYY-MM-DD form") from None
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date in YYYY-MM-DD form, not a timestamp")
    return value


def unique_entries(values: list) -> list:
    seen: set = set()
    for index, value in enumerate(values):
        if value in seen:  # `index` lets the error point at the repeated entry, not the list
            raise PydanticCustomError(
                "repeated_entry", "'{value}' is listed twice", {"value": value, "index": index}
            )
        seen.add(value)
    return values


@functools.cache
def _pydantic(model: type[msgspec.Struct]) -> type[BaseModel]:
    """The pydantic model that checks what `model` holds: same fields in the same order (pydantic
    reports the first wrong one), same names as written (`from` for `source`), same defaults."""
    hints = typing.get_type_hints(model, include_extras=True)
    fields: dict[str, Any] = {}
    for field in msgspec.structs.fields(model):
        alias = field.encode_name if field.encode_name != field.name else None
        default = ... if field.required else field.default
        fields[field.name] = (
            _annotation(hints[field.name], field.name),
            Field(default, alias=alias),
        )
    validators = {}
    if hasattr(model, "__post_init__"):  # the struct's own checks, run on the validated fields
        validators["check"] = _after(model.__post_init__)
    return create_model(
        model.__name__,
        __config__=ConfigDict(extra="forbid", strict=True),
        __validators__=validators,
        **fields,
    )


def _after(check: Callable[[Any], None]) -> Any:
    def run(instance: BaseModel) -> BaseModel:
        check(instance)
        return instance

    return model_validator(mode="after")(run)


def _annotation(annotation: Any, name: str) -> Any:
    """The pydantic annotation of a field's msgspec annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _constrained(
            args[0], [meta for meta in args[1:] if isinstance(meta, msgspec.Meta)], name
        )
    if origin in (Union, types.UnionType):
        return Union[tuple(_annotation(member, name) for member in args)]  # noqa: UP007 - built at run time
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return list[_annotation(args[0], name)]  # type: ignore[misc]
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return _pydantic(annotation)
    if annotation is dt.date:
        return Annotated[dt.date, BeforeValidator(iso_date)]
    if origin is Literal or annotation in (str, int, bool, type(None)):
        return annotation
    raise TypeError(f"careful path: cannot mirror the type {annotation!r} of {name}")


_CONSTRAINTS = ("min_length", "max_length", "pattern", "ge", "le", "gt", "lt")


def _constrained(base: Any, metas: list[msgspec.Meta], name: str) -> Any:
    """`base` with the constraints msgspec.Meta puts on it, and those it leaves to the JSON schema."""
    limits = {
        key: getattr(meta, key)
        for meta in metas
        for key in _CONSTRAINTS
        if getattr(meta, key) is not None
    }
    schema = {key: value for meta in metas for key, value in (meta.extra_json_schema or {}).items()}
    if "pattern" in schema:
        limits["pattern"] = schema.pop("pattern")
    unique = schema.pop("uniqueItems", False)
    if schema or any(meta.multiple_of is not None or meta.tz is not None for meta in metas):
        raise TypeError(f"careful path: cannot mirror {metas} on {name}")
    annotated = (
        Annotated[_annotation(base, name), Field(**limits)] if limits else _annotation(base, name)
    )
    return Annotated[annotated, AfterValidator(unique_entries)] if unique else annotated
