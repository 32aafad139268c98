"""CIFAR-10 from its binary version, with small generated batches (RECORDS_PER_BATCH is
patched): the channel-major to channels-last layout, download, cache, safe archive reading."""
import numpy as np
import pytest

from hilayers.datasets import DatasetFormatError, DownloadError, cifar10

from .helpers import fake_cifar, md5

RECORDS = 4


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(cifar10, "RECORDS_PER_BATCH", RECORDS)


@pytest.fixture
def fake():
    return fake_cifar(RECORDS)


@pytest.fixture
def mirror(server, fake, monkeypatch):
    server.serve("/cifar/cifar-10-binary.tar.gz", fake[0])
    monkeypatch.setattr(cifar10, "MIRRORS", [server.url("/cifar/")])
    monkeypatch.setattr(cifar10, "ARCHIVE_MD5", md5(fake[0]))
    return server


def _check(data, arrays):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (5 * RECORDS, 32, 32, 3) and y_train.shape == (5 * RECORDS, 1)
    assert x_test.shape == (RECORDS, 32, 32, 3) and y_test.shape == (RECORDS, 1)
    for key, array in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                       ("y_test", y_test)):
        assert array.dtype == np.uint8 and array.flags.c_contiguous, key
        assert np.array_equal(array, arrays[key]), key


def test_records_are_channel_major_and_become_channels_last(tmp_path, fake):
    raw = fake[1]["raw"]["cifar-10-batches-bin/test_batch.bin"]
    record = np.frombuffer(raw, np.uint8)[: cifar10.RECORD_BYTES]
    archive = tmp_path / cifar10.ARCHIVE
    archive.write_bytes(fake[0])
    _, (x_test, y_test) = cifar10.load_data(archive)
    row, col, channel = 5, 7, 2
    assert y_test[0, 0] == record[0]
    assert x_test[0, row, col, channel] == record[1 + channel * 1024 + row * 32 + col]


def test_download_extracts_the_batches_and_reuses_them(isolated, mirror, fake):
    _check(cifar10.load_data(), fake[1])
    cache = isolated / "datasets" / "cifar10"
    assert sorted(p.name for p in (cache / "cifar-10-batches-bin").iterdir()) == sorted(
        [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"])
    assert (cache / cifar10.ARCHIVE).is_file()
    _check(cifar10.load_data(), fake[1])
    assert len(mirror.requests) == 1


def test_first_mirror_down(mirror, fake, monkeypatch, dead_url):
    monkeypatch.setattr(cifar10, "MIRRORS", [dead_url, mirror.url("/cifar/")])
    _check(cifar10.load_data(), fake[1])


def test_corrupted_batch_in_the_cache_is_extracted_again(isolated, mirror, fake):
    cifar10.load_data()
    batch = isolated / "datasets" / "cifar10" / "cifar-10-batches-bin" / "data_batch_3.bin"
    batch.write_bytes(batch.read_bytes()[:-50])
    with pytest.warns(UserWarning, match="data_batch_3.bin.*truncated.*Extracting"):
        _check(cifar10.load_data(), fake[1])
    assert len(mirror.requests) == 1                               # from the cached archive


def test_corrupted_archive_in_the_cache_is_downloaded_again(isolated, mirror, fake):
    cache = isolated / "datasets" / "cifar10"
    cache.mkdir(parents=True)
    (cache / cifar10.ARCHIVE).write_bytes(fake[0][: len(fake[0]) // 2])
    with pytest.warns(UserWarning, match="truncated, corrupt"):
        _check(cifar10.load_data(), fake[1])
    assert len(mirror.requests) == 1


def test_hash_mismatch_leaves_nothing(isolated, mirror, monkeypatch):
    monkeypatch.setattr(cifar10, "ARCHIVE_MD5", "0" * 32)
    with pytest.raises(DownloadError, match="md5 mismatch"):
        cifar10.load_data()
    assert list((isolated / "datasets" / "cifar10").iterdir()) == []


def test_path_traversal_member_is_refused(tmp_path, isolated, server, monkeypatch):
    archive, _ = fake_cifar(RECORDS, extra=[("../../evil.bin", b"evil")])
    server.serve("/cifar/cifar-10-binary.tar.gz", archive)
    monkeypatch.setattr(cifar10, "MIRRORS", [server.url("/cifar/")])
    monkeypatch.setattr(cifar10, "ARCHIVE_MD5", md5(archive))
    with pytest.raises(DatasetFormatError, match="'../../evil.bin'.*path traversal"):
        cifar10.load_data()
    cache = isolated / "datasets" / "cifar10"
    assert [p for p in cache.rglob("*") if p.is_file()] == []      # nothing kept
    assert not any(p.name == "evil.bin" for p in tmp_path.rglob("*"))
    (tmp_path / "user.tar.gz").write_bytes(archive)
    with pytest.raises(DatasetFormatError, match="path traversal"):
        cifar10.load_data(tmp_path / "user.tar.gz")


def test_link_member_is_refused(tmp_path):
    archive, _ = fake_cifar(RECORDS, extra=[("cifar-10-batches-bin/x", None,
                                             ("sym", "/etc/passwd"))])
    (tmp_path / "a.tar.gz").write_bytes(archive)
    with pytest.raises(DatasetFormatError, match="which is a link"):
        cifar10.load_data(tmp_path / "a.tar.gz")


@pytest.mark.parametrize("layout", ["flat", "batch folder", "archive in folder"])
def test_local_folders(tmp_path, fake, layout):
    if layout == "archive in folder":
        (tmp_path / cifar10.ARCHIVE).write_bytes(fake[0])
    else:
        for member, data in fake[1]["raw"].items():
            name = member if layout == "batch folder" else member.split("/")[-1]
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(data)
    _check(cifar10.load_data(tmp_path), fake[1])


def test_found_through_hilayers_datasets(tmp_path, fake, monkeypatch):
    (tmp_path / cifar10.ARCHIVE).write_bytes(fake[0])
    monkeypatch.setenv("HILAYERS_DATASETS", str(tmp_path))
    _check(cifar10.load_data(), fake[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == [cifar10.ARCHIVE]   # nothing written


def test_truncated_batch_in_a_user_folder_is_named(tmp_path, fake):
    for member, data in fake[1]["raw"].items():
        (tmp_path / member.split("/")[-1]).write_bytes(data)
    (tmp_path / "test_batch.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(DatasetFormatError, match=r"test_batch.bin' holds 100 bytes; expected "
                                                 rf"{RECORDS * 3073}"):
        cifar10.load_data(tmp_path)


def test_label_above_nine_is_an_error(tmp_path, fake):
    for member, data in fake[1]["raw"].items():
        (tmp_path / member.split("/")[-1]).write_bytes(data)
    raw = bytearray(fake[1]["raw"]["cifar-10-batches-bin/data_batch_2.bin"])
    raw[0] = 10
    (tmp_path / "data_batch_2.bin").write_bytes(bytes(raw))
    with pytest.raises(DatasetFormatError, match="data_batch_2.bin' holds the label 10"):
        cifar10.load_data(tmp_path)


def test_offline_says_where_to_put_the_archive(isolated):
    with pytest.raises(DownloadError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert "CIFAR-10 was not found" in message
    assert f"put cifar-10-binary.tar.gz (or the six .bin batches) in " \
           f"{str(isolated / 'datasets' / 'cifar10')!r}" in message


def test_missing_path_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no CIFAR-10 data"):
        cifar10.load_data(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no CIFAR-10 data"):
        cifar10.load_data(tmp_path)


def test_loading_never_unpickles(tmp_path, fake, isolated, mirror, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    (tmp_path / cifar10.ARCHIVE).write_bytes(fake[0])
    _check(cifar10.load_data(tmp_path / cifar10.ARCHIVE), fake[1])     # from the archive
    _check(cifar10.load_data(), fake[1])                               # downloaded, extracted
    _check(cifar10.load_data(), fake[1])                               # from the batches
