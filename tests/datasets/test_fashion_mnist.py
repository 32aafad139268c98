"""Fashion-MNIST: the MNIST loader with its own files, md5 hashes, folder and mirrors."""
import re

import numpy as np
import pytest

from hilayers.datasets import DownloadError, fashion_mnist, mnist

from .helpers import fake_idx_dataset, md5


@pytest.fixture(scope="module")
def fake():
    return fake_idx_dataset()


def test_published_hashes_are_md5_of_the_four_files():
    assert sorted(fashion_mnist.MD5) == sorted(stem + ".gz" for stem, _ in
                                               fashion_mnist.FILES.values())
    assert all(re.fullmatch("[0-9a-f]{32}", value) for value in fashion_mnist.MD5.values())
    assert set(fashion_mnist.MD5.values()).isdisjoint(mnist.SHA256.values())


def test_download_checks_md5_and_caches_in_its_own_folder(isolated, server, fake, monkeypatch):
    for name, data in fake[1].items():
        server.serve("/fashion/" + name, data)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [server.url("/fashion/")])
    monkeypatch.setattr(fashion_mnist, "MD5", {n: md5(d) for n, d in fake[1].items()})
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert np.array_equal(x_train, fake[0]["x_train"]) and np.array_equal(y_test,
                                                                           fake[0]["y_test"])
    assert x_test.shape == (10000, 28, 28) and y_train.shape == (60000,)
    assert sorted(p.name for p in (isolated / "datasets" / "fashion_mnist").iterdir()) == \
        sorted(fake[1])
    assert not (isolated / "datasets" / "mnist").exists()


def test_md5_mismatch_is_an_error(isolated, server, fake, monkeypatch):
    for name, data in fake[1].items():
        server.serve("/fashion/" + name, data)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", [server.url("/fashion/")])
    with pytest.raises(DownloadError, match="md5 mismatch") as info:
        fashion_mnist.load_data()                 # the real md5 values do not match
    assert "Fashion-MNIST was not found" in str(info.value)
    assert list((isolated / "datasets" / "fashion_mnist").iterdir()) == []


def test_local_folder(tmp_path, fake):
    for name, data in fake[1].items():
        (tmp_path / name).write_bytes(data)
    (_, y_train), _ = fashion_mnist.load_data(str(tmp_path))
    assert np.array_equal(y_train, fake[0]["y_train"])
    assert fashion_mnist.CLASS_NAMES[9] == "Ankle boot"
