"""Fit y = a·x + b by gradient descent on hilayers' dataflow graph.

The TensorFlow 1.x way: build the graph once (placeholders for the data, variables for the
parameters, a loss, its gradients, and update ops), then run it many times through a
Session, feeding mini-batches with ``feed_dict``.

Run it:
    python examples/linear_regression.py [--epochs 60] [--lr 0.2] [--logdir logs/linreg]

With ``--logdir``, the graph, the loss per epoch and a histogram of the residuals are written
for TensorBoard (``tensorboard --logdir logs``; needs ``pip install 'hilayers[viz]'``).
"""
import argparse
import sys

import numpy as np

from hilayers import backend as K

TRUE_A, TRUE_B = 2.5, -0.7


def make_data(n=1000, noise=0.005, seed=0):
    """Points on the line y = 2.5·x − 0.7, with a little Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=n).astype(np.float32)
    y = (TRUE_A * x + TRUE_B + noise * rng.standard_normal(n)).astype(np.float32)
    return x, y


def main(epochs=60, batch_size=50, lr=0.2, seed=0, verbose=True, logdir=None):
    """Train and return the fitted ``a``, ``b`` and the final loss (and, with ``logdir``,
    write TensorBoard summaries there)."""
    x_data, y_data = make_data(seed=seed)
    graph = K.Graph(seed=seed)
    with graph.as_default():
        x = K.placeholder((None,), name="x")
        y = K.placeholder((None,), name="y")
        a = K.variable(0.0, name="a")
        b = K.variable(0.0, name="b")
        prediction = a * x + b
        loss = K.mean(K.square(prediction - y), name="loss")
        grad_a, grad_b = K.gradients(loss, [a, b])
        train = [K.assign_sub(a, lr * grad_a), K.assign_sub(b, lr * grad_b)]
        if logdir is not None:
            from hilayers import summary
            summary.scalar("loss", loss)
            summary.histogram("residuals", prediction - y)
            summaries = summary.merge_all()
            writer = summary.FileWriter(logdir, graph)

    sess = K.Session(graph)
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        perm = order.permutation(len(x_data))
        for start in range(0, len(x_data), batch_size):
            idx = perm[start:start + batch_size]
            sess.run(train, feed_dict={x: x_data[idx], y: y_data[idx]})
        if logdir is not None:
            writer.add_summary(sess.run(summaries, {x: x_data, y: y_data}), global_step=epoch)
        if verbose and (epoch == 1 or epoch % 10 == 0):
            value = sess.run(loss, feed_dict={x: x_data, y: y_data})
            print(f"epoch {epoch:3d}  loss {value:.6f}")
    if logdir is not None:
        writer.close()
    final_loss = float(sess.run(loss, feed_dict={x: x_data, y: y_data}))
    fitted_a, fitted_b = float(a.get_value()), float(b.get_value())
    if verbose:
        print(f"fitted a = {fitted_a:.5f} (true {TRUE_A}), b = {fitted_b:.5f} (true {TRUE_B})")
    return {"a": fitted_a, "b": fitted_b, "loss": final_loss}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--logdir", default=None,
                        help="write TensorBoard summaries and the graph to this folder")
    args = parser.parse_args()
    result = main(epochs=args.epochs, lr=args.lr, logdir=args.logdir)
    ok = abs(result["a"] - TRUE_A) < 1e-3 and abs(result["b"] - TRUE_B) < 1e-3
    print("recovered a and b to 1e-3" if ok else "did NOT recover a and b to 1e-3")
    sys.exit(0 if ok else 1)
