"""Fast construction of the extractor's frozen records (NumberMention, DateMention, ProvinceMention, Claim).

A frozen dataclass's __init__ sets every field through object.__setattr__, which costs several times a plain
assignment; an article creates a few hundred of these records, so that shows in the throughput. `fast_constructor`
builds the same objects (same class, fields, equality, hash, repr, pickling) by filling the instance dict directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A function taking the fields of frozen dataclass `cls` positionally and returning an instance of it."""
    names = [f.name for f in fields(cls)]
    if any(not f.init or f.default is not MISSING or f.default_factory is not MISSING for f in fields(cls)) \
            or hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__}: only plain frozen dataclasses without defaults are supported")
    assignments = "\n".join(f"    fields[{name!r}] = {name}" for name in names)
    source = (f"def make({', '.join(names)}):\n    obj = new(cls)\n    fields = obj.__dict__\n{assignments}\n"
              f"    return obj\n")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(source, namespace)  # noqa: S102 - generated from the dataclass's own field names, like dataclasses does
    make = namespace["make"]
    make.__doc__ = f"{cls.__name__}(...) without the frozen __init__ (same object)."
    return make
