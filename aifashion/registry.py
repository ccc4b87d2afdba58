"""Name -> factory registries whose errors list the valid names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError, ValueError):
    """An unknown registry name; ``str(err)`` lists the valid names. The CLI maps it to exit 2."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0] if self.args else ""


class Registry(Generic[T]):
    """A small ordered mapping of names to factories.

    >>> r = Registry("blend mode"); r.add("multiply", lambda: 1)
    >>> r.get("multiply")()
    1
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Callable[..., T]] = {}

    def add(self, name: str, factory: Callable[..., T]) -> Callable[..., T]:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = factory
        return factory

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator form of :meth:`add`."""
        return lambda factory: self.add(name, factory)

    def get(self, name: str) -> Callable[..., T]:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(f"unknown {self.kind} {name!r}; valid names: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
