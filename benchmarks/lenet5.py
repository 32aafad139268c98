"""LeNet-5 on MNIST: one training epoch and inference throughput, hilayers vs PyTorch (CPU).

Both frameworks get the same architecture (docs/applications.md: conv 6@5x5 'same', max pool,
conv 16@5x5, max pool, dense 120, 84, 10, ReLU), the same data and the same batch order:

* training: one epoch over the 60,000 training images, batch 128, Adam 1e-3 (epsilon 1e-7,
  Keras' default, in both), from fresh weights; one training step first, outside the timed
  region, so that graph compilation (hilayers) and first-call allocation are not counted;
* inference: the 10,000 test images in batches of 1000, after one warm-up batch; the test
  accuracy after the epoch is shown as a check that both trained the same network.

PyTorch is optional: without it only hilayers runs. Each measurement is repeated
``--repeats`` times, the frameworks alternating; the table shows the medians.

Run: python benchmarks/lenet5.py [--repeats 1] [--data DIR] [--threads N] [--limit N]
"""
import argparse
import os
import statistics
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_BATCH = 128
INFER_BATCH = 1000


def load(data_dir, limit=None):
    from hilayers.applications import lenet5
    from hilayers.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir)
    if limit is not None:
        x_train, y_train, x_test, y_test = (x_train[:limit], y_train[:limit],
                                            x_test[:limit], y_test[:limit])
    return ((lenet5.preprocess_input(x_train), y_train.astype(np.int64)),
            (lenet5.preprocess_input(x_test), y_test.astype(np.int64)))


def hilayers_run(data, seed):
    """Seconds for one epoch, seconds for inference over the test set, test accuracy."""
    from hilayers import backend as K, optimizers
    from hilayers.applications import LeNet5
    from hilayers.utils import set_random_seed
    (x_train, y_train), (x_test, y_test) = data
    K.reset_default_graph()
    set_random_seed(seed)
    model = LeNet5(weights=None)
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.train_on_batch(x_train[:TRAIN_BATCH], y_train[:TRAIN_BATCH])     # warm-up
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=TRAIN_BATCH, epochs=1, verbose=0)
    train_s = time.perf_counter() - start
    model.predict(x_test[:INFER_BATCH], batch_size=INFER_BATCH)              # warm-up
    start = time.perf_counter()
    probs = model.predict(x_test, batch_size=INFER_BATCH)
    infer_s = time.perf_counter() - start
    return train_s, infer_s, float(np.mean(probs.argmax(1) == y_test))


def torch_lenet5():
    from torch import nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def torch_run(data, seed):
    """The same measurements as :func:`hilayers_run` with PyTorch (NCHW)."""
    import torch
    from torch import nn
    (x_train, y_train), (x_test, y_test) = data
    torch.manual_seed(seed)
    model = torch_lenet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(np.ascontiguousarray(x_train.transpose(0, 3, 1, 2)))
    yt = torch.from_numpy(y_train)
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x_train)))

    def step(idx):
        optimizer.zero_grad()
        loss_fn(model(xt[idx]), yt[idx]).backward()
        optimizer.step()

    step(order[:TRAIN_BATCH])                                                # warm-up
    start = time.perf_counter()
    for i in range(0, len(x_train), TRAIN_BATCH):
        step(order[i:i + TRAIN_BATCH])
    train_s = time.perf_counter() - start
    model.eval()
    xs = torch.from_numpy(np.ascontiguousarray(x_test.transpose(0, 3, 1, 2)))
    with torch.no_grad():
        model(xs[:INFER_BATCH])                                              # warm-up
        start = time.perf_counter()
        pred = torch.cat([model(xs[i:i + INFER_BATCH]).argmax(1)
                          for i in range(0, len(xs), INFER_BATCH)])
        infer_s = time.perf_counter() - start
    return train_s, infer_s, float(np.mean(pred.numpy() == y_test))


def main(argv=None):
    """Run the benchmark and print the table; return the figures by framework."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "datasets",
                                                       "mnist"))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's own choice)")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N images of each set (a smoke test)")
    parser.add_argument("--no-torch", action="store_true", help="run hilayers only")
    args = parser.parse_args(argv)
    data = load(args.data, args.limit)
    runners = {"hilayers": hilayers_run}
    header = f"numpy {np.__version__}"
    try:
        if args.no_torch:
            raise ImportError("--no-torch")
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        runners["pytorch"] = torch_run
        header += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        header += ", PyTorch not run"
    results = {name: [] for name in runners}
    for rep in range(args.repeats):
        for name, run in runners.items():
            results[name].append(run(data, seed=rep))
    n_train, n_test = len(data[0][1]), len(data[1][1])
    print(f"LeNet-5 on MNIST: 1 training epoch ({n_train} images, batch {TRAIN_BATCH}, Adam "
          f"1e-3), inference ({n_test} images, batch {INFER_BATCH}); {header}; medians of "
          f"{args.repeats}")
    print(f"{'framework':<10} {'epoch s':>8} {'train img/s':>12} {'infer s':>8} "
          f"{'infer img/s':>12} {'test acc':>9}")
    figures = {}
    for name, rows in results.items():
        train_s = statistics.median(r[0] for r in rows)
        infer_s = statistics.median(r[1] for r in rows)
        figures[name] = {"train_s": train_s, "infer_s": infer_s, "accuracy": rows[-1][2]}
        print(f"{name:<10} {train_s:>8.2f} {n_train / train_s:>12.0f} {infer_s:>8.2f} "
              f"{n_test / infer_s:>12.0f} {rows[-1][2]:>9.4f}")
    if "pytorch" in figures:
        ours, theirs = figures["hilayers"], figures["pytorch"]
        print(f"time ratio hilayers / PyTorch: training "
              f"{ours['train_s'] / theirs['train_s']:.2f}, inference "
              f"{ours['infer_s'] / theirs['infer_s']:.2f}")
    return figures


if __name__ == "__main__":
    main()
