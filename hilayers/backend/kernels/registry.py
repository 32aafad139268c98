"""Kernel tables: op kernel name -> function, per implementation.

A kernel is ``fn(ctx, op, *inputs) -> array | tuple of arrays`` where ``ctx.xp`` is the array
module (NumPy or CuPy) and ``op`` carries the static attributes. Most kernels are written
once against ``xp`` and registered for every implementation (``impl=None``); the few that
must differ register a specialisation for one implementation, which wins over the generic
one.

Example:
    >>> @kernel("Square")  # doctest: +SKIP
    ... def _square(ctx, op, x):
    ...     return ctx.xp.square(x)
"""
_GENERIC = {}
_SPECIFIC = {}


def kernel(name, impl=None):
    """Decorator registering a kernel for op ``name`` (all implementations, or ``impl``)."""
    def register(fn):
        table = _GENERIC if impl is None else _SPECIFIC.setdefault(impl, {})
        if name in table:
            raise RuntimeError(f"A kernel for {name!r} ({impl or 'generic'}) is registered twice.")
        table[name] = fn
        return fn
    return register


def lookup(impl_name, kernel_name):
    """Return the kernel for ``kernel_name`` on ``impl_name``, or None."""
    fn = _SPECIFIC.get(impl_name, {}).get(kernel_name)
    return fn if fn is not None else _GENERIC.get(kernel_name)


def registered_names():
    names = set(_GENERIC)
    for table in _SPECIFIC.values():
        names.update(table)
    return sorted(names)
