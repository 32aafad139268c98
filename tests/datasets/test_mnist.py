"""MNIST: the real offline copy in ../shared/datasets/mnist, and the search / download /
verification path against a local HTTP server serving generated MNIST-shaped files."""
import gzip
import hashlib
import pathlib
import re

import numpy as np
import pytest

from hilayers.datasets import DatasetFormatError, DownloadError, mnist

from .helpers import fake_idx_dataset, sha256

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"no offline MNIST at {SHARED}")

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _check_real(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS
    assert x_train.max() == 255 and x_test.max() == 255
    assert 30 < x_train.mean() < 36 and 30 < x_test.mean() < 36     # about 33.3 in MNIST


@needs_shared
def test_real_mnist_from_the_offline_copy():
    # Its training-image file differs byte-wise from the published one (another sha256)
    # but is valid: it is accepted by content, without any download.
    published = mnist.SHA256["train-images-idx3-ubyte.gz"]
    local = hashlib.sha256((SHARED / "train-images-idx3-ubyte.gz").read_bytes()).hexdigest()
    assert local != published
    _check_real(mnist.load_data(SHARED))


@needs_shared
def test_real_mnist_found_through_hilayers_datasets(monkeypatch):
    monkeypatch.setenv("HILAYERS_DATASETS", str(SHARED.parent))
    _check_real(mnist.load_data())


@needs_shared
def test_published_hashes_are_those_of_the_shared_readme_and_files():
    # The README beside the offline copy lists the published sha256 of the four files; three
    # of the files there are byte-identical to the published ones.
    readme = (SHARED / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^([a-z0-9-]+\.gz)\s+([0-9a-f]{64})$", readme, re.MULTILINE))
    assert listed == mnist.SHA256
    for name in ("train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        assert hashlib.sha256((SHARED / name).read_bytes()).hexdigest() == mnist.SHA256[name]


@pytest.fixture(scope="module")
def fake():
    return fake_idx_dataset()


@pytest.fixture
def mirror(server, fake, monkeypatch):
    """A local mirror of generated MNIST files, with their hashes as the published ones."""
    for name, data in fake[1].items():
        server.serve("/mnist/" + name, data)
    monkeypatch.setattr(mnist, "MIRRORS", [server.url("/mnist/")])
    monkeypatch.setattr(mnist, "SHA256", {n: sha256(d) for n, d in fake[1].items()})
    return server


def _check_fake(data, arrays):
    (x_train, y_train), (x_test, y_test) = data
    for key, array in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                       ("y_test", y_test)):
        assert array.dtype == np.uint8 and np.array_equal(array, arrays[key]), key


def test_download_into_the_cache_then_load_from_it(isolated, mirror, fake):
    _check_fake(mnist.load_data(), fake[0])
    cache = isolated / "datasets" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(fake[1])
    assert len(mirror.requests) == 4
    _check_fake(mnist.load_data(), fake[0])
    assert len(mirror.requests) == 4                              # served from the cache


def test_first_mirror_down(mirror, fake, monkeypatch, dead_url):
    monkeypatch.setattr(mnist, "MIRRORS", [dead_url, mirror.url("/mnist/")])
    _check_fake(mnist.load_data(), fake[0])


def test_download_goes_to_hilayers_datasets_when_set(tmp_path, monkeypatch, mirror, fake):
    monkeypatch.setenv("HILAYERS_DATASETS", str(tmp_path / "data"))
    mnist.load_data()
    assert sorted(p.name for p in (tmp_path / "data" / "mnist").iterdir()) == sorted(fake[1])


def test_corrupted_file_in_the_cache_is_fetched_again(isolated, mirror, fake):
    mnist.load_data()
    labels = isolated / "datasets" / "mnist" / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-100])                # truncated
    with pytest.warns(UserWarning, match="train-labels-idx1-ubyte.gz.*truncated.*Fetching"):
        _check_fake(mnist.load_data(), fake[0])
    assert mirror.requests[-1] == "/mnist/train-labels-idx1-ubyte.gz"
    assert len(mirror.requests) == 5


def test_missing_file_in_the_cache_is_downloaded_alone(isolated, mirror, fake):
    mnist.load_data()
    (isolated / "datasets" / "mnist" / "t10k-images-idx3-ubyte.gz").unlink()
    _check_fake(mnist.load_data(), fake[0])
    assert mirror.requests[4:] == ["/mnist/t10k-images-idx3-ubyte.gz"]


def test_valid_copy_with_other_bytes_is_accepted_without_download(isolated, mirror, fake):
    cache = isolated / "datasets" / "mnist"
    cache.mkdir(parents=True)
    for name in fake[1]:                   # same content, other gzip bytes, other sha256
        raw = gzip.decompress(fake[1][name])
        (cache / name).write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))
        assert sha256((cache / name).read_bytes()) != mnist.SHA256[name]
    _check_fake(mnist.load_data(), fake[0])
    assert mirror.requests == []


def test_uncompressed_copy_in_a_user_folder(tmp_path, fake, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, data in fake[1].items():
        (folder / name[:-3]).write_bytes(gzip.decompress(data))
    monkeypatch.setenv("HILAYERS_DATASETS", str(folder))        # the files directly in it
    _check_fake(mnist.load_data(), fake[0])


def test_hash_mismatch_during_load_is_an_error(isolated, mirror, monkeypatch):
    monkeypatch.setitem(mnist.SHA256, "train-images-idx3-ubyte.gz", "0" * 64)
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        mnist.load_data()
    assert not (isolated / "datasets" / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_offline_with_nothing_found_says_where_to_put_the_files(isolated):
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    target = str(isolated / "datasets" / "mnist")
    assert "MNIST was not found and could not be downloaded" in message
    assert "put the four files (train-images-idx3-ubyte.gz" in message
    assert repr(target) in message
    assert "could not connect" in message


def test_mislabelled_file_in_a_user_folder_is_named(tmp_path, fake):
    for name, data in fake[1].items():
        (tmp_path / name).write_bytes(data)
    # the test images under the training images' name
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(fake[1]["t10k-images-idx3-ubyte.gz"])
    with pytest.raises(DatasetFormatError, match=r"train-images-idx3-ubyte.gz.*shape "
                                                 r"\(10000, 28, 28\); expected \(60000, 28, 28\)"):
        mnist.load_data(tmp_path)


def test_labels_out_of_range_are_an_error(tmp_path, fake):
    for name, data in fake[1].items():
        (tmp_path / name).write_bytes(data)
    raw = bytearray(gzip.decompress(fake[1]["t10k-labels-idx1-ubyte.gz"]))
    raw[-1] = 12
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DatasetFormatError, match="t10k-labels.*label 12; expected labels 0 to 9"):
        mnist.load_data(tmp_path)


def test_npz_path(tmp_path, fake):
    path = tmp_path / "mnist.npz"
    np.savez(path, **fake[0])
    _check_fake(mnist.load_data(path), fake[0])
    np.savez(tmp_path / "bad.npz", x_train=fake[0]["x_train"])
    with pytest.raises(DatasetFormatError, match=r"lacks the arrays \['y_train'"):
        mnist.load_data(tmp_path / "bad.npz")


def test_explicit_path_is_never_a_silent_download(tmp_path, mirror):
    with pytest.raises(FileNotFoundError, match="neither a folder nor an .npz"):
        mnist.load_data(tmp_path / "typo")
    with pytest.raises(FileNotFoundError, match=r"lacks \['train-images-idx3-ubyte.gz'"):
        mnist.load_data(tmp_path)
    assert mirror.requests == []


def _place(folder, fake, label_shift):
    """The fake MNIST in ``folder``, its test labels shifted by ``label_shift`` (mod 10), so
    that the labels a load returns tell which folder it read."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in fake[1].items():
        if name != "t10k-labels-idx1-ubyte.gz":
            (folder / name).write_bytes(data)
    labels = ((fake[0]["y_test"].astype(int) + label_shift) % 10).astype(np.uint8)
    from .helpers import idx_bytes
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))


def _source_of(data, fake):
    """The label shift of the folder ``data`` was read from."""
    y_test = data[1][1]
    return int((int(y_test[0]) - int(fake[0]["y_test"][0])) % 10)


def test_search_order(tmp_path, isolated, monkeypatch, fake, mirror):
    """path, then $HILAYERS_DATASETS/mnist, then $HILAYERS_DATASETS, then the home cache."""
    env = tmp_path / "env"
    _place(isolated / "datasets" / "mnist", fake, 1)              # ~/.hilayers/datasets/mnist
    assert _source_of(mnist.load_data(), fake) == 1               # (HILAYERS_DATASETS unset)
    monkeypatch.setenv("HILAYERS_DATASETS", str(env))
    assert _source_of(mnist.load_data(), fake) == 1               # env folders still empty
    _place(env, fake, 2)
    assert _source_of(mnist.load_data(), fake) == 2
    _place(env / "mnist", fake, 3)
    assert _source_of(mnist.load_data(), fake) == 3
    _place(tmp_path / "mine", fake, 4)
    assert _source_of(mnist.load_data(tmp_path / "mine"), fake) == 4
    assert mirror.requests == []                                  # nothing was downloaded
