"""``RemovableHandle`` (as ``torch.utils.hooks``): what every ``register_*hook`` returns.

One class serves both hook stores of the project: ``Module``'s ordered dicts keyed by the handle's ``id``, and
the lists a ``Tensor`` (or its ``grad_fn``) keeps its hooks in, from which ``remove()`` takes out ``hook``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """``handle.remove()`` unregisters the hook from every store it was added to; also usable as a context."""

    _next_id = itertools.count()

    def __init__(self, *hooks_stores: dict | list, hook: Callable | None = None) -> None:
        self.id = next(RemovableHandle._next_id)
        self._stores = hooks_stores
        self._hook = hook

    def remove(self) -> None:
        for store in self._stores:
            if isinstance(store, dict):
                store.pop(self.id, None)
            else:
                # identity, not ==: a hook object with its own __eq__ must not take another hook out with it
                for i, h in enumerate(store):
                    if h is self._hook:
                        del store[i]
                        break

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
