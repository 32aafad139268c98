"""Workload 8 of ``benchmarks/run.py``: a small VGG-like network on synthetic 32x32x3 images.

The network (:data:`LAYERS`), the same for hilayers (NHWC) and PyTorch (NCHW)::

    conv 3x3 64 + BN + ReLU, conv 3x3 64 + BN + ReLU, max-pool 2,
    conv 3x3 128 + BN + ReLU, max-pool 2,
    conv 3x3 256 + BN + ReLU, global average pooling, dense 10

Convolutions use 'same' padding and no bias (batch normalization's shift replaces it);
batch normalization has Keras' momentum 0.99 and epsilon 1e-3 in both frameworks (PyTorch's
``momentum=0.01``). Training: Adam (learning rate 1e-3, epsilon 1e-7), batch 256, ten classes,
one shuffled epoch over ``Setup.convnet_images`` random images with random labels.

Its compute is counted analytically (:func:`forward_flops`): two operations per
multiply-add of the convolutions and the dense layer, from the shapes; batch normalization,
ReLU, pooling and the optimizer are left out (a few percent). A training step counts three
times the forward pass (the forward pass, the gradient with respect to the inputs and the
one with respect to the weights, each the same products). TFLOP/s = those operations over the
epoch's seconds.

Example:
    >>> forward_flops()
    154539008
"""
import time

import numpy as np

import devices

BATCH = 256
CLASSES = 10
INPUT_SHAPE = (32, 32, 3)
#: The network: ``("conv", filters)`` (3x3, 'same', + BN + ReLU), ``("pool",)`` (max 2x2),
#: ``("gap",)`` (global average pooling), ``("dense", units)``.
LAYERS = (("conv", 64), ("conv", 64), ("pool",), ("conv", 128), ("pool",), ("conv", 256),
          ("gap",), ("dense", CLASSES))
KERNEL = 3


def forward_flops(input_shape=INPUT_SHAPE, layers=LAYERS):
    """Operations of one image's forward pass through the convolutions and dense layers.

    A 3x3 'same' convolution from ``c`` to ``f`` channels on ``h x w`` costs
    ``h * w * f * 9 * c`` multiply-adds; a dense layer from ``n`` to ``m`` costs ``n * m``;
    each multiply-add counts 2. Pooling halves ``h`` and ``w`` (rounding down); global
    average pooling leaves the channels.

    Args:
        input_shape: ``(height, width, channels)``.
        layers: a sequence like :data:`LAYERS`.

    Returns:
        The count, an int.

    Raises:
        ValueError: for a layer kind other than conv, pool, gap and dense.

    Example:
        >>> forward_flops((4, 4, 2), (("conv", 3), ("gap",), ("dense", 5)))
        1758
    """
    h, w, c = input_shape
    macs = 0
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            macs += h * w * layer[1] * KERNEL * KERNEL * c
            c = layer[1]
        elif kind == "pool":
            h, w = h // 2, w // 2
        elif kind == "gap":
            h = w = 1
        elif kind == "dense":
            macs += h * w * c * layer[1]
            h, w, c = 1, 1, layer[1]
        else:
            raise ValueError(f"forward_flops: unknown layer kind {kind!r} in {layer!r}; "
                             "expected 'conv', 'pool', 'gap' or 'dense'.")
    return 2 * macs


def training_flops(images):
    """Operations of training on ``images`` images: three forward passes' worth each."""
    return 3 * forward_flops() * images


def synthetic_data(images, seed=0):
    """``(x, y)``: ``images`` standard-normal float32 images (N, 32, 32, 3) and int64
    labels in 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((images,) + INPUT_SHAPE, dtype=np.float32)
    return x, rng.integers(0, CLASSES, size=images).astype(np.int64)


def hilayers_model():
    """The network in hilayers, compiled with Adam and sparse categorical cross-entropy."""
    from hilayers import Sequential, backend as K, layers, optimizers
    from hilayers.utils import set_random_seed
    K.reset_default_graph()
    set_random_seed(0)
    model = Sequential()
    first = {"input_shape": INPUT_SHAPE}
    for layer in LAYERS:
        if layer[0] == "conv":
            model.add(layers.Conv2D(layer[1], KERNEL, padding="same", use_bias=False,
                                    **first))
            model.add(layers.BatchNormalization(momentum=0.99, epsilon=1e-3))
            model.add(layers.Activation("relu"))
            first = {}
        elif layer[0] == "pool":
            model.add(layers.MaxPooling2D(2))
        elif layer[0] == "gap":
            model.add(layers.GlobalAveragePooling2D())
        else:
            model.add(layers.Dense(layer[1], activation="softmax"))
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss="sparse_categorical_crossentropy")
    return model


def torch_model(device="cpu"):
    """The network in PyTorch (NCHW, logits out) on ``device``, with its Adam optimizer."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    modules, channels = [], INPUT_SHAPE[2]
    for layer in LAYERS:
        if layer[0] == "conv":
            modules += [nn.Conv2d(channels, layer[1], KERNEL, padding=1, bias=False),
                        nn.BatchNorm2d(layer[1], eps=1e-3, momentum=0.01), nn.ReLU()]
            channels = layer[1]
        elif layer[0] == "pool":
            modules.append(nn.MaxPool2d(2))
        elif layer[0] == "gap":
            modules += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        else:
            modules.append(nn.Linear(channels, layer[1]))
    model = nn.Sequential(*modules).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def measure_epoch(framework, setup):
    """Seconds of one shuffled training epoch over ``setup.convnet_images`` synthetic images
    at batch 256 (or all the images in one batch when they are fewer), after one warm-up
    step, up to the device's finishing the last step."""
    import workloads
    images = setup.convnet_images
    if images < 1:
        raise ValueError(f"convnet32: convnet_images must be at least 1; received {images}.")
    batch = min(BATCH, images)
    key = ("convnet32", images)
    if key not in setup._cache:
        setup._cache[key] = synthetic_data(images)
    x, y = setup._cache[key]
    if framework == "hilayers":
        model = hilayers_model()
        model.train_on_batch(x[:batch], y[:batch])
        devices.sync(framework)
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)
        devices.sync(framework)
        return time.perf_counter() - start
    model, optimizer = torch_model(setup.torch_device)
    step = workloads.torch_trainer(model, optimizer, x, y, setup.torch_device)
    return workloads.time_torch_epoch(step, images, batch, setup.torch_device)


def tflops(seconds, images):
    """TFLOP/s of a training epoch of ``images`` images that took ``seconds``."""
    return training_flops(images) / seconds / 1e12
