"""Scratch arrays that kernels borrow during a run and that a plan keeps between runs.

Why: a training step of a convolutional network builds the same large temporaries every
step (the im2col matrix, zero-padded images). Allocated afresh, each is new memory that the
operating system must map and zero page by page; measured on LeNet-5 at batch 128, those page
faults cost about a fifth of a step (docs/performance.md). A :class:`Workspace` hands the
same buffers out again run after run instead.

Rules a kernel follows:

* :meth:`Workspace.borrow` returns an array of the asked shape and dtype with *undefined*
  contents; the kernel fills it, uses it, and returns it with :meth:`Workspace.give_back`
  before it returns.
  A borrowed buffer never becomes a kernel's result: results must be fresh arrays, because
  the plan hands them to other steps, to variables and to the caller.
* :meth:`Workspace.padded` returns ``x`` copied into the interior of a buffer whose border
  holds ``value``. The border is written once, when the buffer is made, and never again, so
  later calls copy only the interior.
* When a run ends (also by an exception), the plan takes back every buffer still lent.

Kernels that split their work over threads (:mod:`._parallel`) may borrow and give back
from those threads: the pool's bookkeeping is guarded by a lock.

Memory: buffers are kept per (purpose, shape, dtype). A buffer larger than
:data:`MAX_KEPT_BYTES` is never kept, and when the kept buffers pass
:data:`MAX_TOTAL_BYTES` together, all are dropped, so a plan never holds more than that.

Example:
    >>> import numpy as np
    >>> ws = Workspace(np)
    >>> buf = ws.borrow("demo", (2, 3), np.float32)
    >>> ws.give_back(buf)
    >>> ws.borrow("demo", (2, 3), np.float32) is buf
    True
"""
import threading

#: Buffers larger than this are allocated per use and never kept (64 MiB).
MAX_KEPT_BYTES = 64 << 20
#: When the kept buffers together pass this, they are all released (256 MiB).
MAX_TOTAL_BYTES = 256 << 20


class Workspace:
    """A pool of scratch buffers for one plan (and one thread at a time).

    Args:
        xp: the array module (NumPy or CuPy) that allocates the buffers.
    """

    def __init__(self, xp):
        self.xp = xp
        self._free = {}          # key -> list of arrays not lent out
        self._lent = {}          # id(array) -> (key, array), lent during the current run
        self._kept_bytes = 0
        self._lock = threading.Lock()

    def _take(self, key, make):
        with self._lock:
            stack = self._free.get(key)
            buf = stack.pop() if stack else None
        if buf is None:
            buf = make()
            if buf.nbytes > MAX_KEPT_BYTES:
                return buf                    # too large to keep: an ordinary temporary
            with self._lock:
                if self._kept_bytes + buf.nbytes > MAX_TOTAL_BYTES:
                    self._release()
                self._kept_bytes += buf.nbytes
        with self._lock:
            self._lent[id(buf)] = (key, buf)
        return buf

    def borrow(self, purpose, shape, dtype):
        """An array of ``shape`` and ``dtype`` with undefined contents, lent to the caller.

        Args:
            purpose: a short hashable tag (buffers are pooled per purpose, shape and dtype).
            shape: a tuple of ints.
            dtype: a dtype.

        Returns:
            A C-contiguous array; give it back with :meth:`give_back`.
        """
        shape = tuple(shape)
        key = (purpose, shape, str(dtype))
        return self._take(key, lambda: self.xp.empty(shape, dtype=dtype))

    def padded(self, x, pads, value):
        """``x`` (N, H, W, C) inside a lent buffer padded on H and W with ``value``.

        Args:
            x: the image batch.
            pads: ``(top, bottom, left, right)``.
            value: the border value (0, or -inf for max pooling).

        Returns:
            A lent array of shape (N, H + top + bottom, W + left + right, C); ``x`` itself
            (not lent) when no padding is needed. Callers must not write to it.
        """
        top, bottom, left, right = pads
        if not (top or bottom or left or right):
            return x
        n, h, w, c = x.shape
        shape = (n, h + top + bottom, w + left + right, c)
        key = ("padded", shape, pads, float(value), str(x.dtype))
        buf = self._take(key, lambda: self.xp.full(shape, value, dtype=x.dtype))
        buf[:, top:top + h, left:left + w, :] = x
        return buf

    def give_back(self, buf):
        """Return a lent buffer to the pool (anything else is ignored)."""
        with self._lock:
            entry = self._lent.pop(id(buf), None)
            if entry is not None and entry[1] is buf:
                self._free.setdefault(entry[0], []).append(buf)

    def end_run(self):
        """Take back every buffer still lent (called by the plan when a run ends)."""
        with self._lock:
            for key, buf in self._lent.values():
                self._free.setdefault(key, []).append(buf)
            self._lent.clear()

    def release(self):
        """Drop every kept buffer that is not lent out."""
        with self._lock:
            self._release()

    def _release(self):
        self._free.clear()
        self._kept_bytes = sum(buf.nbytes for _, buf in self._lent.values())

    @property
    def kept_bytes(self):
        """Bytes held by the pool (lent and free buffers)."""
        return self._kept_bytes
