"""One MNIST epoch of an MLP 784-512-ReLU-512-ReLU-10, batch 128, Adam 1e-3: hilayers vs
PyTorch (CPU) in the same run, with the same data and batches.

Each framework trains from fresh weights for one epoch, several repetitions, alternating the
two; the table shows the median epoch time, the ratio hilayers / PyTorch and each one's test
accuracy after its last repetition. PyTorch is optional: without it only hilayers runs.

Run: python benchmarks/mnist_mlp.py [--repeats 3] [--data DIR] [--threads N]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))


def load(data_dir):
    from mnist_mlp import load as load_mnist
    return load_mnist(data_dir)


def hilayers_epoch(data, seed):
    from hilayers import backend as K
    from mnist_mlp import build_model
    from hilayers.utils import set_random_seed
    (x_train, y_train), (x_test, y_test) = data
    K.reset_default_graph()
    set_random_seed(seed)
    model = build_model()
    model.predict(x_train[:1])                       # build outside the timed region
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0)
    elapsed = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return elapsed, accuracy


def torch_epoch(data, seed):
    import torch
    from torch import nn
    (x_train, y_train), (x_test, y_test) = data
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.int64))
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x_train)))
    start = time.perf_counter()
    for i in range(0, len(x_train), 128):
        idx = order[i:i + 128]
        optimizer.zero_grad()
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        optimizer.step()
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(1).numpy()
    return elapsed, float(np.mean(pred == y_test))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "datasets",
                                                       "mnist"))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's own choice)")
    args = parser.parse_args()
    data = load(args.data)
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        runners = {"hilayers": hilayers_epoch, "pytorch": torch_epoch}
        torch_version = torch.__version__
    except ImportError:
        runners = {"hilayers": hilayers_epoch}
        torch_version = None
    times = {name: [] for name in runners}
    accuracy = {}
    for rep in range(args.repeats):
        for name, run in runners.items():
            elapsed, acc = run(data, seed=rep)
            times[name].append(elapsed)
            accuracy[name] = acc
    print(f"MNIST MLP 784-512-512-10, 1 epoch, batch 128, Adam 1e-3; numpy {np.__version__}"
          + (f", torch {torch_version} ({torch.get_num_threads()} threads)"
             if torch_version else ", PyTorch not installed"))
    print(f"{'framework':<10} {'median s':>9} {'min s':>7} {'max s':>7} {'test acc':>9}")
    for name in runners:
        t = times[name]
        print(f"{name:<10} {statistics.median(t):>9.2f} {min(t):>7.2f} {max(t):>7.2f} "
              f"{accuracy[name]:>9.4f}")
    if "pytorch" in times:
        ratio = statistics.median(times["hilayers"]) / statistics.median(times["pytorch"])
        print(f"ratio hilayers / PyTorch (median epoch time): {ratio:.2f}")


if __name__ == "__main__":
    main()
