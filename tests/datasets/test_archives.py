"""Archives are read without trusting member names: traversal, absolute paths, links and
devices make the whole archive refused, and nothing is written outside the folder."""
import io
import tarfile
import zipfile

import pytest

from hilayers.datasets import DatasetFormatError
from hilayers.datasets.archives import extract_archive, read_members

from .helpers import tar_gz

UNSAFE = {
    "path traversal": [("data/ok.bin", b"ok"), ("../evil.bin", b"evil")],
    "nested traversal": [("data/../../evil.bin", b"evil")],
    "absolute path": [("/tmp/evil.bin", b"evil")],
    "symbolic link": [("data/link", None, ("sym", "/etc/passwd"))],
    "hard link": [("data/link", None, ("hard", "/etc/passwd"))],
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_tar_is_refused_and_nothing_is_extracted(tmp_path, case):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(tar_gz(UNSAFE[case]))
    folder = tmp_path / "out"
    with pytest.raises(DatasetFormatError, match="refused") as info:
        extract_archive(archive, folder)
    assert str(archive) in str(info.value)
    assert not (tmp_path / "evil.bin").exists()
    # all or nothing: the safe member before the bad one is not left behind either
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))
    with pytest.raises(DatasetFormatError, match="refused"):
        read_members(archive, ["data/ok.bin"])


def test_device_member_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("dev/null")
        info.type = tarfile.CHRTYPE
        tar.addfile(info)
    archive = tmp_path / "a.tar"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(DatasetFormatError, match="device or FIFO"):
        extract_archive(archive, tmp_path / "out")


def test_zip_traversal_is_refused(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../evil.bin", b"evil")
    with pytest.raises(DatasetFormatError, match="path traversal"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.bin").exists()


def test_zip_members_are_read(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("d/x.bin", b"xyz")
    assert read_members(archive, ["d/x.bin"]) == {"d/x.bin": b"xyz"}
    out = extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out" / "d" / "x.bin").read_bytes() == b"xyz"
    assert out == {"d/x.bin": str(tmp_path / "out" / "d" / "x.bin")}


def test_missing_member_is_named(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(tar_gz([("data/a.bin", b"a")]))
    with pytest.raises(DatasetFormatError, match=r"lacks the members \['data/b.bin'\]"):
        read_members(archive, ["data/a.bin", "data/b.bin"])
    with pytest.raises(DatasetFormatError, match="lacks"):
        extract_archive(archive, tmp_path / "out", ["data/b.bin"])
    assert not (tmp_path / "out" / "data" / "a.bin").exists()


def test_only_named_members_are_extracted(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(tar_gz([("data/a.bin", b"a"), ("data/b.bin", b"b")]))
    extract_archive(archive, tmp_path / "out", ["data/b.bin"])
    assert sorted(p.name for p in (tmp_path / "out" / "data").iterdir()) == ["b.bin"]


@pytest.mark.parametrize("cut", [0.5, 0.95])
def test_truncated_archive_is_a_format_error(tmp_path, cut):
    data = tar_gz([("data/a.bin", bytes(range(256)) * 400)])
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(DatasetFormatError, match="truncated, corrupt") as info:
        extract_archive(archive, tmp_path / "out")
    assert str(archive) in str(info.value)
    assert not any(p.is_file() for p in tmp_path.joinpath("out").rglob("*"))
