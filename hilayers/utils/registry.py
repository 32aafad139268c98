"""String-or-object identifiers backed by registries (``activations.get('relu')``).

Each kind of thing (activations, initializers, losses, optimizers, metrics, layers, ...) has
one :class:`Registry`. ``get`` accepts ``None``, a registered name (snake_case or the class
name), a Keras-style config dict ``{"class_name": ..., "config": {...}}``, or an object or
callable, which passes through. An unknown name is an error that lists the valid ones.

Custom classes are found by registered name only (``register_custom_object``), never by
importing or executing anything named in a file.

Example:
    >>> reg = Registry("widget")
    >>> @reg.register("spinner")
    ... class Spinner:
    ...     def __init__(self, speed=1):
    ...         self.speed = speed
    >>> reg.get("spinner").speed
    1
"""
import re

_CUSTOM = {}


def snake_case(name):
    """``'GlobalMaxPooling2D'`` -> ``'global_max_pooling2d'`` (Keras' naming rule)."""
    step = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", step).lower()


def register_custom_object(name=None):
    """Decorator registering a custom class or function so that configs can name it.

    Example:
        >>> @register_custom_object()
        ... def my_activation(x):
        ...     return x
    """
    def register(obj):
        _CUSTOM[name or obj.__name__] = obj
        return obj
    return register


def custom_objects():
    return dict(_CUSTOM)


class Registry:
    """Named things of one kind (see the module docstring)."""

    def __init__(self, kind):
        self.kind = kind
        self._items = {}
        self._listed = set()

    def register(self, *names):
        """Decorator: register under the object's own name, its snake_case form and ``names``."""
        def add(obj):
            for key in {obj.__name__, snake_case(obj.__name__), *names}:
                self._items[key] = obj
            # Error messages list the explicit names when there are some: the automatic
            # snake_case form still resolves, but spellings nobody uses ('rm_sprop' for
            # RMSprop) are not offered.
            snake = snake_case(obj.__name__)
            listed = set(names)
            if snake.replace("_", "") not in {n.replace("_", "") for n in names} or \
                    snake in names:
                listed.add(snake)
            self._listed.update(listed)
            return obj
        return add

    def names(self):
        return sorted(k for k in self._listed if not k[:1].isupper())

    def lookup(self, name, custom_objects=None):
        """Return the object registered as ``name`` (custom objects first).

        Raises:
            ValueError: listing the valid names.
        """
        for table in (custom_objects or {}, _CUSTOM, self._items):
            if name in table:
                return table[name]
        raise ValueError(f"Unknown {self.kind} {name!r}. Valid names: "
                         f"{', '.join(self.names())}. Register a custom one with "
                         "hilayers.utils.registry.register_custom_object or pass "
                         "custom_objects.")

    def get(self, identifier, custom_objects=None, instantiate=True):
        """Resolve ``identifier`` (None, a name, a config dict, or an object) to an object.

        Names of classes give an instance built with default arguments when ``instantiate``.
        """
        if identifier is None or not isinstance(identifier, (str, dict)):
            return identifier
        if isinstance(identifier, dict):
            return self.deserialize(identifier, custom_objects)
        obj = self.lookup(identifier, custom_objects)
        if instantiate and isinstance(obj, type):
            return obj()
        return obj

    def deserialize(self, config, custom_objects=None):
        """Build an object from ``{"class_name": name, "config": {...}}``."""
        if "class_name" not in config:
            raise ValueError(f"A {self.kind} config needs 'class_name'; received keys "
                             f"{sorted(config)}.")
        cls = self.lookup(config["class_name"], custom_objects)
        inner = config.get("config") or {}
        if hasattr(cls, "from_config"):
            return cls.from_config(inner)
        return cls(**inner) if isinstance(cls, type) else cls


def serialize(obj):
    """``{"class_name", "config"}`` for objects with ``get_config``; the name for functions."""
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(f"Cannot serialize {obj!r}: it has no get_config() and is not a named "
                    "function.")
