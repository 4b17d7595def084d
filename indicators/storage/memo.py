"""Results kept per data version: a page rerun (every click) must not recompute unchanged views.

`Store.data_version()` changes with every write (of this process or, on a shared database, of
another), and each call checks it, so a kept result is never stale: a new import or a revert is
seen at the next run of any page.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from indicators.domain import clock

T = TypeVar("T")


def by_data_version(size: int = 16, copies: bool = True) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Keep the last `size` results of `fn(store, *args)` per (store, data version, today, args).

    Today is part of the key because some views depend on it (overdue tasks). With `copies`, each
    caller gets its own deep copy, so a page that changes what it got cannot change the next one's.
    """

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        kept: OrderedDict[tuple, T] = OrderedDict()
        lock = threading.Lock()

        def shared(store, *args, **kwargs):
            key = (store.path, id(store), store.data_version(), clock.today(), args, tuple(sorted(kwargs.items())))
            with lock:
                found = kept.get(key)
                if found is not None:
                    kept.move_to_end(key)
            if found is None:
                found = fn(store, *args, **kwargs)
                with lock:
                    kept[key] = found
                    while len(kept) > size:
                        kept.popitem(last=False)
            return found

        @functools.wraps(fn)
        def cached(store, *args, **kwargs):
            found = shared(store, *args, **kwargs)
            return copy.deepcopy(found) if copies else found

        cached.clear = kept.clear  # type: ignore[attr-defined]
        # the kept result itself, not a copy: for callers in the core that only read it
        cached.shared = shared  # type: ignore[attr-defined]
        return cached

    return wrap
