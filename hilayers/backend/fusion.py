"""Fusions: rewrites of a plan's steps that run several ops as one kernel (NumPy).

Each rewrite states its identity; the unfused steps stay the reference
(tests/backend/test_fusion.py), and docs/performance.md has the measurements.

* :func:`fuse_conv_bias_relu`: ``relu(conv(x, k) + b)`` computed chunk by chunk: the
  convolution kernel adds the bias (and applies the ReLU) to each chunk of output rows
  while they are still in the CPU cache, instead of an ``Add`` and a ``Relu`` step each
  reading and writing the whole activation from memory; likewise a dense layer's
  ``relu(a @ w + b)`` on each band of its matrix product. The same float operations on
  each number (``z + b``, then ``max(., 0)``): the same bits.
* :func:`fuse_relu_max_pool_grad`: the gradient through ``max_pool(relu(z))``, that is
  ``where(r > 0, max_pool_grad(r, p, g), 0)`` with ``r = relu(z)`` and ``p = max_pool(r)``,
  equals ``max_pool_grad(r, p, where(p > 0, g, 0))``: the pooling gradient sends each
  ``g`` to a pixel holding its window's maximum ``p``, where ``r > 0`` exactly when
  ``p > 0``, and every other pixel gets zero either way. The mask is then taken on the
  pooled values, a quarter of the pixels for 2x2 windows, instead of a comparison and a
  select over every pixel. The numbers are the same, except that a zero may carry the
  other sign (``-0.0`` for ``+0.0``), which no sum or update that follows can tell apart
  from a nonzero result.

A fusion applies only where nothing else needs the intermediate values: they may be read
by no other step, except by ops that read only their shape (``SumTo``'s target,
``ZerosLike``...), which are then pointed at the fused output, of the same shape; and none
may be fetched or written to a variable.
"""
from .shapes import num_elements

#: Set to False to compile plans without fusions (the reference, in tests).
ENABLED = True
#: Input positions that an op reads only for their shape and dtype.
SHAPE_ONLY = {"SumTo": (1,), "ReshapeLike": (1,), "BroadcastLike": (1,),
              "ZerosLike": (0,), "OnesLike": (0,)}


def _readers(steps):
    readers = {}
    for index, step in enumerate(steps):
        for position, slot in enumerate(step[2]):
            readers.setdefault(slot, []).append((index, position))
    return readers


def _only_reader(readers, steps, slot, kernel_name):
    """The index of the one step named ``kernel_name`` reading ``slot`` for its values,
    when every other reader reads only its shape; else None."""
    value_readers = [index for index, position in readers.get(slot, ())
                     if position not in SHAPE_ONLY.get(steps[index][1].kernel_name, ())]
    if len(value_readers) != 1:
        return None
    index = value_readers[0]
    return index if steps[index][1].kernel_name == kernel_name else None


def _bias_position(step, channels):
    """Which input of an ``Add`` step is a per-channel bias of ``channels`` numbers."""
    node = step[5]
    for position, tensor in enumerate(node.inputs):
        shape = tensor.shape
        if (len(shape) >= 1 and shape[-1] == channels and num_elements(shape) == channels
                and tensor.dtype == node.outputs[0].dtype):
            return position
    return None


def fuse_conv_bias_relu(steps, keep, fused_kernels):
    """Fuse ``Conv2D -> Add(bias) [-> Relu]`` and 2-D ``MatMul -> Add(bias) [-> Relu]``
    chains (see the module docstring).

    Args:
        steps: the plan's steps ``[kernel, op, ins, outs, frees, node]`` in order (a list,
            changed in place), before buffer planning.
        keep: slots that outlive the run (fetched, written to variables, constants).
        fused_kernels: ``{"Conv2D": make, "MatMul": make}``; ``make(relu)`` returns the
            fused kernel ``fn(ctx, op, x, k, bias)``.

    Returns:
        The number of chains fused.
    """
    if not ENABLED:
        return 0
    fused = 0
    readers = _readers(steps)
    producer = {slot: i for i, step in enumerate(steps) for slot in step[3]}
    removed = set()
    for index, step in enumerate(steps):
        make = fused_kernels.get(step[1].kernel_name)
        if make is None or index in removed:
            continue
        conv_out = step[3][0]
        if step[1].kernel_name == "MatMul" and len(step[5].outputs[0].shape) != 2:
            continue
        channels = step[5].outputs[0].shape[-1]
        add = _only_reader(readers, steps, conv_out, "Add")
        if add is None or conv_out in keep or channels is None:
            continue
        bias_at = _bias_position(steps[add], channels)
        if bias_at is None or steps[add][2][1 - bias_at] != conv_out:
            continue
        if producer.get(steps[add][2][bias_at], -1) > index:
            continue                          # the bias is computed after the convolution
        last = add
        relu = _only_reader(readers, steps, steps[add][3][0], "Relu")
        if relu is not None and steps[add][3][0] not in keep:
            last = relu
        else:
            relu = None
        out = steps[last][3][0]
        # Shape-only readers of the intermediates read the fused output instead.
        for slot in [conv_out] + ([steps[add][3][0]] if relu is not None else []):
            for reader, position in readers.get(slot, ()):
                if reader not in (add, relu):
                    ins = list(steps[reader][2])
                    ins[position] = out
                    steps[reader][2] = tuple(ins)
        x, k = step[2]
        steps[index] = [make(relu is not None), step[1],
                        (x, k, steps[add][2][bias_at]), (out,), (), steps[last][5]]
        removed.update({add} | ({relu} if relu is not None else set()))
        fused += 1
    steps[:] = [step for i, step in enumerate(steps) if i not in removed]
    return fused


def _producer_makes_relu(steps, index):
    step = steps[index]
    return step[1].kernel_name == "Relu" or getattr(step[0], "ends_with_relu", False)


def _is_zero_constant(value):
    return value is not None and value.shape == () and not value.any() and \
        not value.dtype.kind == "b"


def fuse_relu_max_pool_grad(steps, keep, constants, fused_kernel):
    """Fuse ``Where(Greater(r, 0), MaxPool2DGrad(r, p, g), ZerosLike)`` into one
    ``MaxPool2DGrad`` that masks ``g`` by ``p > 0`` (see the module docstring).

    Args:
        steps: the plan's steps (a list, changed in place), before buffer planning.
        keep: slots that outlive the run.
        constants: ``slot -> value`` of the plan's constant slots.
        fused_kernel: ``fn(ctx, op, r, p, g)``.

    Returns:
        The number of gradients fused.
    """
    if not ENABLED:
        return 0
    readers = _readers(steps)
    producer = {slot: i for i, step in enumerate(steps) for slot in step[3]}
    removed, fused = set(), 0
    for index, step in enumerate(steps):
        if step[1].kernel_name != "Where" or index in removed:
            continue
        mask, routed, zeros = step[2]
        grad, compare, fill = (producer.get(s) for s in (routed, mask, zeros))
        if None in (grad, compare, fill):
            continue
        if (steps[grad][1].kernel_name != "MaxPool2DGrad"
                or steps[compare][1].kernel_name != "Greater"
                or steps[fill][1].kernel_name != "ZerosLike"):
            continue
        r, p, g = steps[grad][2]
        if (steps[compare][2][0] != r or steps[fill][2][0] != routed
                or not _is_zero_constant(constants.get(steps[compare][2][1]))):
            continue
        if r not in producer or not _producer_makes_relu(steps, producer[r]):
            continue
        only_here = [_only_reader(readers, steps, routed, "Where"),
                     _only_reader(readers, steps, mask, "Where"),
                     _only_reader(readers, steps, zeros, "Where")]
        if only_here != [index] * 3 or {routed, mask, zeros} & keep:
            continue
        for reader, position in readers.get(routed, ()):    # ZerosLike reads its shape
            if reader not in (index, fill):
                ins = list(steps[reader][2])
                ins[position] = step[3][0]
                steps[reader][2] = tuple(ins)
        steps[index] = [fused_kernel, steps[grad][1], (r, p, g), step[3], (), step[5]]
        removed.update({grad, compare, fill})
        fused += 1
    steps[:] = [step for i, step in enumerate(steps) if i not in removed]
    return fused
