"""The compiler: turns (fetches, feeds, updates) into a flat, cached execution plan.

``compile_plan`` runs once per distinct signature and does, in order:

1. **prune** to the nodes the fetches and updates need, stopping at fed tensors;
2. **order** them topologically (node ids are creation order, which is topological);
3. **merge common subexpressions**: two nodes with equal pure ops and the same inputs are one;
4. **fold constants**: pure nodes whose inputs are all constants are computed now, once;
5. **plan buffers by liveness**: each value gets a slot, and the slot is released right after
   its last reader runs, so a training step holds only what is still needed; an elementwise
   step whose input dies with it writes its result into that input's array
   (:mod:`hilayers.backend.inplace`);
6. emit a list of steps ``(kernel, op, input slots, output slots, slots to free)``.

``Plan.run`` then calls the steps as one generated straight-line function
(:func:`_straight_line`). Reads of variables happen when the run starts, writes of assign ops
when it ends, in order (see ``hilayers.backend.leaves``).
Kernels borrow their large temporaries from the plan's :class:`Workspace`, which keeps them
from one run to the next (a run in progress owns it; a second thread running the same plan
at the same time gets a private one).

Threads: on NumPy with more than one kernel thread (:mod:`.kernels._parallel`), a run of a
plan that calls BLAS keeps OpenBLAS on one thread (:mod:`.kernels._blas_threads`) and the
kernels split their own work over hilayers' threads. OpenBLAS's threads spin for a while
after each multithreaded product and would hold the second CPU that hilayers' threads
need: measured on 2 CPUs, a split kernel right after a 2-thread product ran no faster than
on one thread (0.76 ms against 0.44 ms).
"""
import contextlib
import threading

import numpy as np

from .errors import FeedError, NumericsError
from .fusion import fuse_conv_bias_relu, fuse_relu_max_pool_grad
from .inplace import plan_reuse
from .kernels import _parallel
from .kernels.conv import fused_conv2d
from .kernels.linalg import fused_matmul
from .kernels.pooling import max_pool2d_grad_of_relu
from .kernels._blas_threads import single_threaded_blas
from .kernels._workspace import Workspace
from .leaves import Assign, Constant, Placeholder, VariableRead, _device_value


#: Kernels that call BLAS: a plan with one of them holds OpenBLAS on one thread while it
#: runs (when hilayers' own kernel threads are on).
BLAS_KERNELS = frozenset({"MatMul", "TensorDot", "Conv2D", "Conv2DBackpropInput",
                          "Conv2DBackpropFilter"})


class RunContext:
    """What a kernel may use besides its inputs: the array module, the graph (for RNGs) and
    a :class:`~hilayers.backend.kernels._workspace.Workspace` of scratch buffers."""

    __slots__ = ("xp", "impl", "graph", "workspace")

    def __init__(self, impl, graph):
        self.impl = impl
        self.xp = impl.xp
        self.graph = graph
        self.workspace = Workspace(impl.xp)

    def rng(self, op):
        """The generator of random op ``op`` (see :meth:`Graph.rng`)."""
        return self.graph.rng(self.xp, op)


def _straight_line(steps):
    """The steps as one generated Python function ``run(ctx, vals)``.

    Each step becomes a line ``vals[o] = k[i](ctx, p[i], vals[a], vals[b])`` followed by
    ``vals[f] = None`` for the slots it frees: no per-step tuple unpacking, length tests or
    argument lists at run time, which halves the engine's own cost per op (measured on the
    100-op chain of benchmarks/engine.py). The loop over ``steps`` that it replaces is kept
    in :meth:`Plan._run_checked`.
    """
    lines = ["def run(ctx, vals):"]
    for index, (_, _, ins, outs, frees, _) in enumerate(steps):
        args = "".join(f", vals[{i}]" for i in ins)
        call = f"k[{index}](ctx, p[{index}]{args})"
        if len(outs) == 1:
            lines.append(f"    vals[{outs[0]}] = {call}")
        else:
            lines.append(f"    {', '.join(f'vals[{o}]' for o in outs)}, = {call}")
        lines.extend(f"    vals[{slot}] = None" for slot in frees)
    lines.append("    return None")
    namespace = {"k": tuple(step[0] for step in steps), "p": tuple(step[1] for step in steps)}
    exec(compile("\n".join(lines), "<hilayers plan>", "exec"), namespace)   # noqa: S102
    return namespace["run"]


def _needed_nodes(roots, fed):
    """Nodes reachable backwards from ``roots`` without crossing a fed tensor, by id."""
    seen = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen[node.id] = node
        for t in node.inputs:
            if t not in fed and t.node.id not in seen:
                stack.append(t.node)
    return [seen[i] for i in sorted(seen)]


class Plan:
    """A compiled signature. Call :meth:`run` with one array per fed tensor."""

    def __init__(self, graph, fetches, feeds, assign_nodes, impl, check_numerics=False):
        self.graph = graph
        self.impl = impl
        self.ctx = RunContext(impl, graph)
        self._busy = threading.Lock()     # held while a run uses self.ctx
        self._loop = None                 # the steps as one generated function (first run)
        self.check_numerics = check_numerics
        self.feeds = list(feeds)
        fed = set(self.feeds)
        roots = [t.node for t in fetches] + list(assign_nodes)
        nodes = _needed_nodes(roots, fed)

        canonical = {}          # tensor -> tensor that carries its value
        slot_of = {}            # canonical tensor -> slot index
        self.initial = []       # slot values known at compile time (constants, folded)
        const_slots = set()
        alias_slots = set()     # slots whose array may be shared with state or the caller
        self.var_reads = []     # (slot, box)
        self.steps = []
        seen_ops = {}

        def new_slot(tensor, value=None):
            slot_of[tensor] = len(self.initial)
            self.initial.append(value)
            return slot_of[tensor]

        for t in self.feeds:
            canonical[t] = t
            alias_slots.add(new_slot(t))

        for node in nodes:
            op = node.op
            if isinstance(op, Placeholder):
                if node.outputs[0] not in fed:
                    raise FeedError(self._unfed_message(node, fetches))
                continue
            if all(out in fed for out in node.outputs):
                continue
            if isinstance(op, Constant):
                out = node.outputs[0]
                canonical[out] = out
                slot = new_slot(out, impl.to_device(op.value))
                const_slots.add(slot)
                alias_slots.add(slot)
                continue
            if isinstance(op, VariableRead):
                out = node.outputs[0]
                canonical[out] = out
                slot = new_slot(out)
                alias_slots.add(slot)
                self.var_reads.append((slot, op.box))
                continue
            inputs = [canonical[t] for t in node.inputs]
            if isinstance(op, Assign):
                canonical[node.outputs[0]] = inputs[1]
                continue
            if op.pure:
                key = (op, tuple(id(t) for t in inputs))
                try:
                    twin = seen_ops.get(key)
                except TypeError:      # an attribute is unhashable: no merging for this node
                    key, twin = None, None
                if twin is not None:
                    for mine, theirs in zip(node.outputs, twin.outputs):
                        canonical[mine] = canonical[theirs]
                    continue
                if key is not None:
                    seen_ops[key] = node
            for out in node.outputs:
                canonical[out] = out
            kernel = impl.kernel_for(op)
            in_slots = tuple(slot_of[t] for t in inputs)
            if op.pure and in_slots and all(s in const_slots for s in in_slots):
                result = kernel(self.ctx, op, *[self.initial[s] for s in in_slots])
                results = result if len(node.outputs) > 1 else (result,)
                for out, value in zip(node.outputs, results):
                    slot = new_slot(out, value)
                    const_slots.add(slot)
                    alias_slots.add(slot)
                continue
            out_slots = tuple(new_slot(out) for out in node.outputs)
            if getattr(op, "may_alias", False) and any(s in alias_slots for s in in_slots):
                alias_slots.update(out_slots)
            self.steps.append([kernel, op, in_slots, out_slots, (), node])

        self.fetch_slots = [slot_of[canonical[t]] for t in fetches]
        self.copy_fetch = [s in alias_slots for s in self.fetch_slots]
        self.writes = []
        for node in assign_nodes:
            value = canonical[node.inputs[1]]
            slot = slot_of[value]
            self.writes.append((node.inputs[0].node.op.box, slot, slot in alias_slots))
        self.ctx.workspace.end_run()      # constant folding may have used it
        self.uses_blas = impl.name == "numpy" and any(
            step[1].kernel_name in BLAS_KERNELS for step in self.steps)
        self._plan_frees(const_slots, alias_slots)
        self.num_slots = len(self.initial)

    def _plan_frees(self, const_slots, alias_slots):
        """Release each computed slot right after the last step that reads it, and let
        elementwise steps write into an input that dies with them (:mod:`.inplace`)."""
        keep = set(self.fetch_slots) | {slot for _, slot, _ in self.writes} | const_slots
        if self.impl.name == "numpy" and not self.check_numerics:
            fuse_conv_bias_relu(self.steps, keep | alias_slots,
                                {"Conv2D": fused_conv2d, "MatMul": fused_matmul})
            constants = {slot: self.initial[slot] for slot in const_slots}
            fuse_relu_max_pool_grad(self.steps, keep | alias_slots, constants,
                                    max_pool2d_grad_of_relu)
        self.in_place_steps = plan_reuse(self.steps, keep, alias_slots, self.impl)
        last_use = {}
        for index, step in enumerate(self.steps):
            for s in step[2]:
                last_use[s] = index
        frees = [[] for _ in self.steps]
        for slot, index in last_use.items():
            if slot not in keep:
                frees[index].append(slot)
        for step, free in zip(self.steps, frees):
            step[4] = tuple(free)
        self.steps = [tuple(step) for step in self.steps]

    @staticmethod
    def _unfed_message(node, fetches):
        wanted = ", ".join(repr(t.name) for t in fetches[:3]) or "the requested updates"
        shape = "(" + ", ".join("None" if d is None else str(d) for d in node.op.shape) + ")"
        return (f"Placeholder {node.name!r} (shape {shape}, dtype {node.op.dtype.name}) was "
                f"not fed, but computing {wanted} needs it. Pass it in feed_dict, e.g. "
                f"feed_dict={{{node.name.split('/')[-1]}: value}}.")

    def run(self, feed_values):
        """Run the plan; return the fetched device arrays, then apply the writes."""
        vals = list(self.initial)
        impl = self.impl
        for slot, box in self.var_reads:
            vals[slot] = box.value if box.impl is impl else _device_value(box, impl)
        for slot, value in zip(range(len(self.feeds)), feed_values):
            vals[slot] = value
        owned = self._busy.acquire(blocking=False)
        ctx = self.ctx if owned else RunContext(impl, self.graph)
        blas = (single_threaded_blas() if self.uses_blas and _parallel.num_threads() > 1
                else contextlib.nullcontext())
        try:
            with blas, np.errstate(all="ignore"):  # NaN/inf are values (check_numerics)
                if self.check_numerics:
                    self._run_checked(ctx, vals)
                else:
                    self._run_steps(ctx, vals)
        finally:
            ctx.workspace.end_run()
            if owned:
                self._busy.release()
        results = [vals[s].copy() if copy else vals[s]
                   for s, copy in zip(self.fetch_slots, self.copy_fetch)]
        for box, slot, aliased in self.writes:
            value = vals[slot]
            box.value = value.copy() if aliased else value
            box.impl = impl
        return results

    def _run_steps(self, ctx, vals):
        if self._loop is None:
            self._loop = _straight_line(self.steps)
        self._loop(ctx, vals)

    def _run_checked(self, ctx, vals):
        xp = ctx.xp
        for kernel, op, ins, outs, frees, node in self.steps:
            result = kernel(ctx, op, *[vals[i] for i in ins])
            results = result if len(outs) > 1 else (result,)
            for slot, value, out in zip(outs, results, node.outputs):
                if tuple(value.shape) != out.shape and any(
                        d is not None and d != n for d, n in zip(out.shape, value.shape)):
                    raise NumericsError(
                        f"Op {op!r} (node {node.name!r}) produced shape {tuple(value.shape)}, "
                        f"but {out.shape} was inferred when the graph was built.")
                if value.dtype.kind in "fc" and not bool(xp.isfinite(value).all()):
                    kind = "NaN" if bool(xp.isnan(value).any()) else "infinity"
                    bad_inputs = [t.name for t, i in zip(node.inputs, ins)
                                  if vals[i].dtype.kind in "fc"
                                  and not bool(xp.isfinite(vals[i]).all())]
                    where = (f"its inputs {bad_inputs} already held non-finite values"
                             if bad_inputs else "all its inputs were finite")
                    raise NumericsError(
                        f"check_numerics: op {op!r} (node {node.name!r}) produced a {kind}; "
                        f"{where}.")
                vals[slot] = value
            for slot in frees:
                vals[slot] = None
