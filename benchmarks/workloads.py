"""The workloads of ``benchmarks/run.py``, each for hilayers and for PyTorch.

Every ``measure_*`` function takes the framework (``"hilayers"`` or ``"pytorch"``) and a
:class:`Setup` (data and sizes) and returns one figure: seconds, microseconds or megabytes,
lower is better. Both frameworks get the same model, data, batch size and optimizer (Adam,
learning rate 1e-3, epsilon 1e-7 as Keras), and every measurement starts after a warm-up
call, so that graph compilation (hilayers) and first-call allocation (both) are not timed.

On a GPU (hilayers on CuPy, PyTorch on CUDA: :mod:`devices`) the data stays in host memory
and each batch is copied to the device as it is used, by both frameworks (hilayers' ``fit``
and ``predict`` take host arrays, so PyTorch moves its batches as a data loader would);
every timing waits for the device to finish before it reads the clock.

PyTorch is imported only inside the functions that use it, so that this module works
without it.
"""
import dataclasses
import os
import statistics
import time

import numpy as np

import devices

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "datasets", "mnist")
TRAIN_BATCH = 128
INFER_BATCH = 1000
DISPATCH_CHAIN = 100

#: Convolution shapes: name -> (input NHWC, kernel HWIO, padding).
CONV_SHAPES = {
    "LeNet C1 128x28x28x1 k5x5x1x6 same": ((128, 28, 28, 1), (5, 5, 1, 6), "same"),
    "LeNet C3 128x14x14x6 k5x5x6x16 valid": ((128, 14, 14, 6), (5, 5, 6, 16), "valid"),
    "32x32x32x64 k3x3x64x64 same": ((32, 32, 32, 64), (3, 3, 64, 64), "same"),
}


def default_data_dir():
    """``../shared/datasets/mnist`` beside the project when it exists, else None (then
    ``hilayers.datasets.mnist.load_data`` searches its own places)."""
    return DEFAULT_DATA if os.path.isdir(DEFAULT_DATA) else None


@dataclasses.dataclass
class Setup:
    """What the workloads run on.

    Attributes:
        data_dir: the MNIST folder (None: hilayers.datasets.mnist's own search).
        train_images: images of one training epoch (60,000 for the real figure).
        test_images: images of the inference workload (10,000).
        latency_steps: training steps timed at batch 1.
        dispatch_calls: calls of the 100-op chain per timing.
        conv_calls: calls per convolution timing.
        convnet_images: synthetic images of one convnet32 epoch (workload 8).
        torch_device: the device PyTorch runs on, ``'cpu'`` or ``'cuda'``.
    """

    data_dir: str = None
    train_images: int = 60000
    test_images: int = 10000
    latency_steps: int = 200
    dispatch_calls: int = 1000
    conv_calls: int = 5
    convnet_images: int = 25600
    torch_device: str = "cpu"
    _cache: dict = dataclasses.field(default_factory=dict, repr=False)

    def mnist(self, flat):
        """``(x_train, y_train), (x_test, y_test)``: float32 in [0, 1], int64 labels;
        images flattened to 784 numbers when ``flat``, else (N, 28, 28, 1)."""
        key = ("mnist", flat)
        if key not in self._cache:
            from hilayers.datasets import mnist
            (x_train, y_train), (x_test, y_test) = mnist.load_data(self.data_dir)
            x_train, y_train = x_train[:self.train_images], y_train[:self.train_images]
            x_test, y_test = x_test[:self.test_images], y_test[:self.test_images]
            shape = (-1, 784) if flat else (-1, 28, 28, 1)
            self._cache[key] = tuple(
                (np.ascontiguousarray(x.reshape(shape), dtype=np.float32) / np.float32(255),
                 y.astype(np.int64)) for x, y in ((x_train, y_train), (x_test, y_test)))
        return self._cache[key]


# -- models ------------------------------------------------------------------------------------


def hilayers_model(name):
    """A fresh, compiled hilayers model: ``"mlp"`` (784-512-512-10) or ``"lenet5"``."""
    from hilayers import Sequential, backend as K, layers, optimizers
    from hilayers.applications import LeNet5
    from hilayers.utils import set_random_seed
    K.reset_default_graph()
    set_random_seed(0)
    if name == "mlp":
        model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                            layers.Dense(512, activation="relu"),
                            layers.Dense(10, activation="softmax")])
    else:
        model = LeNet5(weights=None)
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def torch_model(name, device="cpu"):
    """The same network in PyTorch (NCHW for LeNet-5) on ``device``, with its Adam
    optimizer."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    if name == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    model = model.to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def _torch_images(x):
    """NHWC float32 images (or flat vectors) as a PyTorch tensor (NCHW for images)."""
    import torch
    if x.ndim == 4:
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return torch.from_numpy(x)


def torch_trainer(model, optimizer, x, y, device="cpu"):
    """``step(index_tensor)``: one PyTorch training step of ``model`` on the rows ``index``
    of the host arrays ``x``, ``y``, copied to ``device``."""
    import torch
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = _torch_images(x), torch.from_numpy(y)

    def step(idx):
        optimizer.zero_grad()
        loss_fn(model(xt[idx].to(device)), yt[idx].to(device)).backward()
        optimizer.step()
    return step


def _torch_trainer(name, x, y, device="cpu"):
    """``(step(index_tensor), model)`` for PyTorch training of a named network."""
    model, optimizer = torch_model(name, device)
    return torch_trainer(model, optimizer, x, y, device), model


# -- workloads 1, 2: one training epoch --------------------------------------------------------


def measure_epoch(framework, setup, name):
    """Seconds of one shuffled training epoch, batch 128, from fresh weights."""
    (x, y), _ = setup.mnist(flat=(name == "mlp"))
    if framework == "hilayers":
        model = hilayers_model(name)
        model.train_on_batch(x[:TRAIN_BATCH], y[:TRAIN_BATCH])
        start = time.perf_counter()
        model.fit(x, y, batch_size=TRAIN_BATCH, epochs=1, verbose=0, shuffle=True)
        devices.sync(framework)
        return time.perf_counter() - start
    step, _ = _torch_trainer(name, x, y, setup.torch_device)
    return time_torch_epoch(step, len(x), TRAIN_BATCH, setup.torch_device)


def time_torch_epoch(step, images, batch, device):
    """Seconds of one shuffled PyTorch epoch of ``step`` over ``images`` rows, after one
    warm-up step, up to the device's finishing the last step."""
    import torch
    step(torch.arange(min(batch, images)))
    devices.sync("pytorch", device)
    start = time.perf_counter()
    order = torch.randperm(images)
    for i in range(0, images, batch):
        step(order[i:i + batch])
    devices.sync("pytorch", device)
    return time.perf_counter() - start


# -- workload 3: inference ---------------------------------------------------------------------


def measure_inference(framework, setup):
    """Seconds to classify the test images with LeNet-5 in batches of 1000."""
    _, (x, _) = setup.mnist(flat=False)
    if framework == "hilayers":
        model = hilayers_model("lenet5")
        model.predict(x[:INFER_BATCH], batch_size=INFER_BATCH)
        start = time.perf_counter()
        model.predict(x, batch_size=INFER_BATCH)
        devices.sync(framework)
        return time.perf_counter() - start
    import torch
    device = setup.torch_device
    model, _ = torch_model("lenet5", device)
    model.eval()
    xt = _torch_images(x)
    with torch.no_grad():
        model(xt[:INFER_BATCH].to(device)).argmax(1).cpu()
        devices.sync("pytorch", device)
        start = time.perf_counter()
        for i in range(0, len(xt), INFER_BATCH):
            model(xt[i:i + INFER_BATCH].to(device)).argmax(1).cpu()
        devices.sync("pytorch", device)
        return time.perf_counter() - start


# -- workload 4: latency of one training step at batch 1 ---------------------------------------


def measure_step_latency(framework, setup):
    """Median seconds of one LeNet-5 training step on one image."""
    (x, y), _ = setup.mnist(flat=False)
    count = min(setup.latency_steps, len(x))
    times = []
    if framework == "hilayers":
        model = hilayers_model("lenet5")
        model.train_on_batch(x[:1], y[:1])
        for i in range(count):
            start = time.perf_counter()
            model.train_on_batch(x[i:i + 1], y[i:i + 1])
            devices.sync(framework)
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    import torch
    device = setup.torch_device
    step, _ = _torch_trainer("lenet5", x, y, device)
    step(torch.arange(1))
    for i in range(count):
        devices.sync("pytorch", device)
        start = time.perf_counter()
        step(torch.arange(i, i + 1))
        devices.sync("pytorch", device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- workload 5: dispatch overhead ---------------------------------------------------------------


def hilayers_dispatch_chain(chain=DISPATCH_CHAIN):
    """A compiled hilayers function running ``chain`` elementwise ops on a one-element
    tensor (alternately ``+ 0.5`` and ``* 1.0001``), and a call of it with no arguments.
    The input already lies on the backend's device; the result comes back to the host."""
    from hilayers import backend as K
    graph = K.Graph(seed=0)
    with graph.as_default():
        x = K.placeholder((1,), name="x")
        y = x
        for i in range(chain):
            y = y * 1.0001 if i % 2 else y + 0.5
        f = K.function([x], y)
    value = [K.get_implementation().to_device(np.ones(1, dtype=np.float32))]
    return lambda: f(value)


def measure_dispatch(framework, setup):
    """Microseconds per op of a chain of 100 elementwise ops on a one-element tensor
    (:func:`hilayers_dispatch_chain`), including the kernels' own work. On a GPU hilayers
    copies each call's one-number result to the host; PyTorch's calls stay queued on the
    device until the timing's end."""
    if framework == "hilayers":
        call = hilayers_dispatch_chain()
    else:
        import torch
        start_value = torch.ones(1, device=setup.torch_device)

        def call():
            with torch.no_grad():
                y = start_value
                for i in range(DISPATCH_CHAIN):
                    y = y * 1.0001 if i % 2 else y + 0.5
            return y
    call()
    device = setup.torch_device
    devices.sync(framework, device)
    start = time.perf_counter()
    for _ in range(setup.dispatch_calls):
        call()
    devices.sync(framework, device)
    return (time.perf_counter() - start) / setup.dispatch_calls / DISPATCH_CHAIN * 1e6


# -- workload 6: convolution forward and backward ------------------------------------------------


def measure_conv(framework, setup, shape_name, backward):
    """Milliseconds of one conv2d forward (and, with ``backward``, the gradients with
    respect to the input and the kernel) at the named shape (:data:`CONV_SHAPES`).

    The inputs already lie on each framework's device. hilayers' ``K.function`` returns
    its results as NumPy arrays, so on a GPU each call also copies them to the host; there
    PyTorch copies its results (the output, and the two gradients) to the host too, so that
    both do the same work.
    """
    x_shape, k_shape, padding = CONV_SHAPES[shape_name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    k = rng.standard_normal(k_shape, dtype=np.float32) * np.float32(0.1)
    device = setup.torch_device
    if framework == "hilayers":
        from hilayers import backend as K
        on_device = K.get_implementation().to_device
        x, k = on_device(x), on_device(k)
        graph = K.Graph(seed=0)
        with graph.as_default():
            px, pk = K.placeholder(x_shape), K.placeholder(k_shape)
            out = K.conv2d(px, pk, padding=padding)
            fetches = [out]
            if backward:
                pg = K.placeholder(out.shape)
                fetches += K.gradients(out, [px, pk], grad_ys=[pg])
                f = K.function([px, pk, pg], fetches)
                g = on_device(rng.standard_normal(out.shape, dtype=np.float32))
                call = lambda: f([x, k, g])            # noqa: E731
            else:
                f = K.function([px, pk], fetches)
                call = lambda: f([x, k])               # noqa: E731
    else:
        import torch
        to_host = (lambda t: t.cpu()) if device != "cpu" else (lambda t: t)  # noqa: E731
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device)
        tk = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1))).to(device)
        pad = k_shape[0] // 2 if padding == "same" else 0
        if backward:
            tx.requires_grad_(True)
            tk.requires_grad_(True)
            with torch.no_grad():
                probe = torch.nn.functional.conv2d(tx, tk, padding=pad)
            tg = torch.from_numpy(rng.standard_normal(tuple(probe.shape), dtype=np.float32))
            tg = tg.to(device)

            def call():
                tx.grad = tk.grad = None
                out = torch.nn.functional.conv2d(tx, tk, padding=pad)
                out.backward(tg)
                return [to_host(t) for t in (out.detach(), tx.grad, tk.grad)]
        else:
            def call():
                with torch.no_grad():
                    return to_host(torch.nn.functional.conv2d(tx, tk, padding=pad))
    call()
    devices.sync(framework, device)
    start = time.perf_counter()
    for _ in range(setup.conv_calls):
        call()
    devices.sync(framework, device)
    return (time.perf_counter() - start) / setup.conv_calls * 1e3


# -- workload 7: peak memory (run in a child process) -------------------------------------------


def _status_kib(field):
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def measure_training_memory(framework, setup, steps):
    """``(peak_mb, growth_mb)`` while training LeNet-5 for ``steps`` steps at batch 128.

    ``peak_mb`` is the process's peak resident set (libraries and data included);
    ``growth_mb`` is that peak minus the resident set just before training. The peak is
    reset through ``/proc/self/clear_refs`` before training; where that is not allowed it
    covers the whole process life. Call this in a fresh process (run.py does).
    """
    (x, y), _ = setup.mnist(flat=False)
    if framework == "hilayers":
        model = hilayers_model("lenet5")
        train = lambda i: model.train_on_batch(x[i:i + TRAIN_BATCH],       # noqa: E731
                                               y[i:i + TRAIN_BATCH])
    else:
        import torch
        step, _ = _torch_trainer("lenet5", x, y)
        train = lambda i: step(torch.arange(i, i + TRAIN_BATCH))            # noqa: E731
    before = _status_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass
    last = max(0, len(x) - TRAIN_BATCH)
    for s in range(steps):
        train((s * TRAIN_BATCH) % (last + 1) if last else 0)
    peak = _status_kib("VmHWM")
    return peak / 1024, (peak - before) / 1024
