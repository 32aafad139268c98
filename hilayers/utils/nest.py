"""Nested structures (lists, tuples, dicts of leaves): flatten and rebuild."""


def flatten(structure):
    """Leaves of ``structure`` in order (dicts by sorted key)."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """Apply ``fn`` to every leaf, keeping the structure."""
    if isinstance(structure, dict):
        return type(structure)((k, map_structure(fn, v)) for k, v in structure.items())
    if isinstance(structure, (list, tuple)):
        mapped = [map_structure(fn, item) for item in structure]
        return type(structure)(*mapped) if hasattr(structure, "_fields") else type(structure)(mapped)
    return fn(structure)


def pack_as(structure, leaves):
    """Rebuild ``structure`` with ``leaves`` (in :func:`flatten` order)."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, dict):
            return type(s)((k, build(s[k])) for k in sorted(s))
        if isinstance(s, (list, tuple)):
            items = [build(x) for x in s]
            return type(s)(*items) if hasattr(s, "_fields") else type(s)(items)
        return next(it)
    return build(structure)
