"""Logistic regression on a synthetic two-class set, in graph mode.

Two Gaussian clouds in the plane; a linear model ``sigmoid(x·w + b)`` trained with binary
cross-entropy by full-batch gradient descent.

Run it:
    python examples/logistic_regression.py [--steps 300] [--lr 0.5]
"""
import argparse

import numpy as np

from hilayers import backend as K


def make_data(n=400, seed=0):
    """Two classes of ``n/2`` points each, centred at (-1, -1) and (1, 1), std 0.7."""
    rng = np.random.default_rng(seed)
    half = n // 2
    x = np.concatenate([rng.normal(-1.0, 0.7, (half, 2)), rng.normal(1.0, 0.7, (half, 2))])
    y = np.concatenate([np.zeros(half), np.ones(half)])
    perm = rng.permutation(n)
    return x[perm].astype(np.float32), y[perm].astype(np.float32)


def main(steps=300, lr=0.5, seed=0, verbose=True):
    """Train; return the final loss and the training accuracy."""
    x_data, y_data = make_data(seed=seed)
    graph = K.Graph(seed=seed)
    with graph.as_default():
        x = K.placeholder((None, 2), name="x")
        y = K.placeholder((None,), name="y")
        w = K.variable(np.zeros((2, 1), dtype=np.float32), name="w")
        b = K.variable(0.0, name="b")
        logits = K.reshape(x @ w, (-1,)) + b
        probability = K.sigmoid(logits)
        eps = K.epsilon()
        loss = -K.mean(y * K.log(probability + eps) + (1.0 - y) * K.log(1.0 - probability + eps))
        accuracy = K.mean(K.cast(K.equal(K.cast(probability > 0.5, "float32"), y), "float32"))
        grad_w, grad_b = K.gradients(loss, [w, b])
        step = K.function([x, y], loss,
                          updates=[(w, w - lr * grad_w), (b, b - lr * grad_b)])
    for i in range(1, steps + 1):
        value = step([x_data, y_data])
        if verbose and (i == 1 or i % 50 == 0):
            print(f"step {i:4d}  loss {float(value):.4f}")
    final_loss, acc = K.Session(graph).run([loss, accuracy], {x: x_data, y: y_data})
    if verbose:
        print(f"training accuracy {float(acc):.3f}")
    return {"loss": float(final_loss), "accuracy": float(acc)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.5)
    args = parser.parse_args()
    main(steps=args.steps, lr=args.lr)
