"""The IDX reader: valid files of every type, and a clear error naming the file for each way
a file can be truncated, corrupt or mislabelled."""
import gzip

import numpy as np
import pytest

from hilayers.datasets import DatasetFormatError
from hilayers.datasets.idx import read_idx

from .helpers import idx_bytes


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_reads_uint8_images_plain_and_gzipped(tmp_path, name):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(_write(tmp_path, name, idx_bytes(images)), expected_shape=(2, None, 4),
                   expected_dtype=np.uint8)
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.uint8 and out.flags.writeable


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_reads_big_endian_types_into_native_order(tmp_path, dtype):
    values = (np.arange(12) - 5).astype(dtype).reshape(3, 4)
    out = read_idx(_write(tmp_path, "v-idx2.gz", idx_bytes(values)))
    np.testing.assert_array_equal(out, values)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative


VALID = idx_bytes(np.arange(100, dtype=np.uint8).reshape(4, 25))

BROKEN = {
    "empty": (b"", "not an IDX file"),
    "bad magic (a PNG)": (b"\x89PNG\r\n\x1a\n" + VALID[8:], "not an IDX file"),
    "unknown type code": (b"\x00\x00\x07\x02" + VALID[4:], "not an IDX file"),
    "header cut": (VALID[:6], "truncated inside its header"),
    "data cut": (VALID[:-10], "truncated"),
    "data too long": (VALID + b"\x00", "longer than declared"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_broken_files_name_the_file_and_the_fault(tmp_path, case, suffix):
    data, message = BROKEN[case]
    path = _write(tmp_path, "labels-idx1-ubyte" + suffix, data)
    with pytest.raises(DatasetFormatError) as info:
        read_idx(path)
    text = str(info.value)
    assert str(path) in text
    if suffix and case == "data too long":
        message = "more than"                    # the size of a gzip stream is not known ahead
    assert message in text


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "x-idx2-ubyte.gz"
    path.write_bytes(gzip.compress(VALID)[:-12])
    with pytest.raises(DatasetFormatError, match="not a valid gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupted_gzip_stream(tmp_path):
    rng = np.random.default_rng(0)
    data = bytearray(gzip.compress(idx_bytes(rng.integers(0, 255, (50, 50), dtype=np.uint8))))
    data[len(data) // 2: len(data) // 2 + 20] = bytes(20)
    path = tmp_path / "x-idx2-ubyte.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetFormatError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_not_gzip_under_a_gz_name(tmp_path):
    path = tmp_path / "x-idx2-ubyte.gz"
    path.write_bytes(VALID)
    with pytest.raises(DatasetFormatError, match="gzip"):
        read_idx(path)


def test_mislabelled_shape_is_an_error(tmp_path):
    labels = _write(tmp_path, "train-images-idx3-ubyte",
                    idx_bytes(np.zeros(60, np.uint8)))
    with pytest.raises(DatasetFormatError, match=r"shape \(60,\); expected \(60, 28, 28\)"):
        read_idx(labels, expected_shape=(60, 28, 28))


def test_mislabelled_type_is_an_error(tmp_path):
    path = _write(tmp_path, "labels-idx1-ubyte", idx_bytes(np.zeros(5, np.float32)))
    with pytest.raises(DatasetFormatError, match="float32 data; expected uint8"):
        read_idx(path, expected_dtype=np.uint8)


def test_absurd_declared_size_is_a_format_error_not_a_memory_error(tmp_path):
    path = _write(tmp_path, "x-idx3-ubyte.gz", bytes([0, 0, 8, 3]) + b"\xff" * 12 + b"\x00")
    with pytest.raises(DatasetFormatError, match="too large"):
        read_idx(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent-idx1-ubyte.gz")
