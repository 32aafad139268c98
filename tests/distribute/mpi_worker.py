"""The programs the distributed tests launch, under ``mpiexec -n 2`` or as one process.

    python mpi_worker.py SCENARIO OUT_DIR

Each scenario trains a small classifier on fixed synthetic data and writes what the test
checks to ``OUT_DIR/<scenario>.rank<r>.npz`` (the weights, the loss history). The fault
scenarios make rank 1 fail at its 5th batch.
"""
import os
import signal
import sys
import time

import numpy as np

SAMPLES, FEATURES, CLASSES = 192, 10, 3
EPOCHS = 4


def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype(np.float32)
    y = (x[:, :3].argmax(axis=1) + (x[:, 3] > 1.2)) % CLASSES
    return x, y.astype(np.int64)


def model(seed, extra_layers=False, optimizer=None):
    from hilayers import Sequential, layers, optimizers
    from hilayers.utils import set_random_seed
    set_random_seed(seed)
    stack = [layers.Dense(32, activation="relu", input_shape=(FEATURES,))]
    if extra_layers:
        stack += [layers.BatchNormalization(), layers.Dropout(0.2)]
    stack += [layers.Dense(CLASSES, activation="softmax")]
    net = Sequential(stack)
    net.compile(optimizer or optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                metrics=["accuracy"])
    return net


def save(out, scenario, rank, net, history=None, **extra):
    arrays = {f"w{i}": w for i, w in enumerate(net.get_weights())}
    if history is not None:
        arrays["loss"] = np.array(history.history["loss"])
    arrays.update(extra)
    np.savez(os.path.join(out, f"{scenario}.rank{rank}.npz"), **arrays)


class FailAt:
    """A callback factory: rank 1 fails at its 5th batch of the second epoch, as asked."""

    @staticmethod
    def make(how):
        from hilayers.callbacks import Callback

        class Fail(Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_begin(self, batch, logs=None):
                import hilayers.distribute as hd
                if hd.rank() != 1 or self.epoch != 1 or batch != 4:
                    return
                sys.stdout.flush()
                if how == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                if how == "raise":
                    raise RuntimeError("rank 1 failed on purpose")
                if how == "hang":
                    time.sleep(600)
        return Fail()


class Interrupt(Exception):
    pass


def interrupt_at(epoch_to_stop):
    from hilayers.callbacks import Callback

    class Stop(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == epoch_to_stop:
                raise Interrupt()
    return Stop()


def main(scenario, out):
    import hilayers.distribute as hd
    from hilayers import optimizers
    from hilayers.callbacks import ModelCheckpoint

    x, y = data()
    if scenario == "reference":            # one process, batch 2B, no hilayers.distribute
        net = model(seed=0)
        history = net.fit(x, y, batch_size=16, epochs=EPOCHS, shuffle=False, verbose=0)
        save(out, scenario, 0, net, history)
        return

    hd.init(timeout=float(os.environ.get("WORKER_TIMEOUT", 60)))
    rank = hd.rank()
    callbacks = hd.default_callbacks()
    if scenario == "same_batches":         # batch B per rank; rank 1 starts from other weights
        net = model(seed=rank, optimizer=hd.DistributedOptimizer(optimizers.Adam(0.01)))
        xs, ys = hd.shard(x, y)
        history = net.fit(xs, ys, batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0,
                          callbacks=callbacks)
        save(out, scenario, rank, net, history)
    elif scenario == "identical":          # BatchNormalization and Dropout, shuffled batches
        net = model(seed=rank, extra_layers=True,
                    optimizer=hd.DistributedOptimizer(optimizers.SGD(0.05, momentum=0.9)))
        xs, ys = hd.shard(x, y)
        net.fit(xs, ys, batch_size=8, epochs=EPOCHS, verbose=0, callbacks=callbacks)
        save(out, scenario, rank, net)
    elif scenario == "uninterrupted":
        net = model(seed=0, optimizer=hd.DistributedOptimizer(optimizers.Adam(0.01)))
        net.fit(*hd.shard(x, y), batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0,
                callbacks=callbacks)
        save(out, scenario, rank, net)
    elif scenario == "interrupted":        # rank 0 checkpoints; all stop at the third epoch
        net = model(seed=0, optimizer=hd.DistributedOptimizer(optimizers.Adam(0.01)))
        checkpoints = [hd.BackupAndRestore(os.path.join(out, "backup")),
                       hd.RootOnly(ModelCheckpoint(os.path.join(out, f"model.rank{rank}."
                                                                "{epoch}.h5")))]
        try:
            net.fit(*hd.shard(x, y), batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0,
                    callbacks=callbacks + checkpoints + [interrupt_at(2)])
        except Interrupt:
            pass
        save(out, scenario, rank, net)
    elif scenario == "resume_backup":      # the same fit again: BackupAndRestore resumes it
        net = model(seed=rank + 10, optimizer=hd.DistributedOptimizer(optimizers.Adam(0.01)))
        net.fit(*hd.shard(x, y), batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0,
                callbacks=callbacks + [hd.BackupAndRestore(os.path.join(out, "backup"))])
        save(out, scenario, rank, net)
    elif scenario == "resume_model":       # every rank loads rank 0's model of epoch 2
        net = hd.load_model(os.path.join(out, "model.rank0.2.h5"))
        net.fit(*hd.shard(x, y), batch_size=8, epochs=EPOCHS, initial_epoch=2, shuffle=False,
                verbose=0, callbacks=callbacks)
        save(out, scenario, rank, net, iterations=net.optimizer.iterations.get_value())
    elif scenario in ("kill", "raise", "hang"):
        net = model(seed=0, optimizer=hd.DistributedOptimizer(optimizers.Adam(0.01)))
        net.fit(*hd.shard(x, y), batch_size=8, epochs=EPOCHS, verbose=0,
                callbacks=callbacks + [FailAt.make(scenario)])
        print(f"rank {rank} finished training", flush=True)
    elif scenario == "uneven":             # rank 0 has more batches than rank 1
        net = model(seed=0, optimizer=hd.DistributedOptimizer(optimizers.Adam(0.01)))
        xs, ys = (x, y) if rank == 0 else (x[:64], y[:64])
        net.fit(xs, ys, batch_size=8, epochs=EPOCHS, verbose=0, callbacks=callbacks)
    elif scenario == "plain_optimizer":    # forgot DistributedOptimizer
        net = model(seed=0)
        net.fit(*hd.shard(x, y), batch_size=8, epochs=1, verbose=0, callbacks=callbacks)
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
