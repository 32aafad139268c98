"""Builders of small dataset files for the tests: IDX files, CIFAR batches, archives."""
import gzip
import hashlib
import io
import tarfile

import numpy as np

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
          np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array):
    """The IDX encoding of ``array`` (big-endian header and data)."""
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    code = _CODES[np.dtype(big.dtype)]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    return header + big.tobytes()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def md5(data):
    return hashlib.md5(data).hexdigest()


def fake_idx_dataset(train=60000, test=10000, level=1):
    """MNIST-shaped arrays and their gzipped IDX files: ``(arrays, {file name: bytes})``."""
    arrays = {}
    for key, count in (("train", train), ("test", test)):
        images = np.zeros((count, 28, 28), np.uint8)
        images[:, 0, 0] = np.arange(count) % 251          # something to compare
        images[:, 27, 27] = 255
        arrays["x_" + key] = images
        arrays["y_" + key] = (np.arange(count) % 10).astype(np.uint8)
    stems = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
    files = {stems[key] + ".gz": gzip.compress(idx_bytes(array), compresslevel=level, mtime=0)
             for key, array in arrays.items()}
    return arrays, files


def cifar_batch(records, seed):
    """A binary CIFAR batch of ``records`` records: ``(bytes, images HWC, labels (n, 1))``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=(records, 1), dtype=np.uint8)
    planes = rng.integers(0, 256, size=(records, 3, 32, 32), dtype=np.uint8)
    raw = np.concatenate([labels, planes.reshape(records, -1)], axis=1).tobytes()
    return raw, planes.transpose(0, 2, 3, 1), labels


def tar_gz(members):
    """A .tar.gz from ``[(name, bytes)]``; bytes ``None`` with ``kind`` in a triple for
    links: ``(name, None, ("sym"|"hard", target))``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            name, data = member[0], member[1]
            info = tarfile.TarInfo(name)
            if data is None:
                kind, target = member[2]
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = target
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fake_cifar(records, batch_dir="cifar-10-batches-bin", extra=()):
    """A CIFAR-10 binary archive with ``records`` per batch: ``(archive bytes, arrays)``."""
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    members, images, labels = [], [], []
    for seed, name in enumerate(names):
        raw, x, y = cifar_batch(records, seed)
        members.append((f"{batch_dir}/{name}", raw))
        images.append(x)
        labels.append(y)
    members.append((f"{batch_dir}/batches.meta.txt", b"airplane\n"))
    arrays = {"x_train": np.concatenate(images[:5]), "y_train": np.concatenate(labels[:5]),
              "x_test": images[5], "y_test": labels[5], "raw": dict(members)}
    return tar_gz(members + list(extra)), arrays
