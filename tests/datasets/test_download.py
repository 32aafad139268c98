"""get_file against a real HTTP server on 127.0.0.1: success, cache hits, a corrupted cache,
a hash mismatch, a connection dropped mid-file, mirrors that are down, and timeouts."""
import os
import pathlib

import pytest

from hilayers.datasets import DownloadError, get_file
from hilayers.datasets.download import cache_folder

from .helpers import md5, sha256, tar_gz

BODY = bytes(range(256)) * 300                     # 76.8 kB, several read chunks


def _listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.mark.parametrize("digest", [sha256, md5], ids=["sha256", "md5"])
def test_download_verifies_and_writes_the_file(tmp_path, server, digest):
    url = server.serve("/files/data.bin", BODY)
    path = get_file("data.bin", url, file_hash=digest(BODY), cache_dir=tmp_path)
    assert path == str(tmp_path / "datasets" / "data.bin")
    assert pathlib.Path(path).read_bytes() == BODY
    assert _listing(tmp_path / "datasets") == ["data.bin"]        # no temporary file left
    assert server.requests == ["/files/data.bin"]


def test_cached_file_is_not_downloaded_again(tmp_path, server):
    url = server.serve("/data.bin", BODY)
    get_file("data.bin", url, file_hash=sha256(BODY), cache_dir=tmp_path)
    get_file("data.bin", url, file_hash=sha256(BODY), cache_dir=tmp_path)
    get_file("data.bin", url, cache_dir=tmp_path)                  # no hash: any content
    assert len(server.requests) == 1


def test_corrupted_cached_file_is_fetched_again(tmp_path, server):
    url = server.serve("/data.bin", BODY)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.bin").write_bytes(BODY[:-1000])
    with pytest.warns(UserWarning, match="corrupt.*fetching it again"):
        path = get_file("data.bin", url, file_hash=sha256(BODY), cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == BODY
    assert len(server.requests) == 1


def test_hash_mismatch_is_an_error_and_leaves_no_file(tmp_path, server):
    url = server.serve("/data.bin", BODY)
    wrong = sha256(b"something else")
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", url, file_hash=wrong, cache_dir=tmp_path)
    message = str(info.value)
    assert url in message and "sha256 mismatch" in message and wrong in message
    assert "put a copy of data.bin in" in message
    assert _listing(tmp_path / "datasets") == []
    assert info.value.attempts == [(url, f"sha256 mismatch: received {sha256(BODY)}, "
                                         f"expected {wrong}")]


@pytest.mark.parametrize("file_hash", [None, "sha256"])
def test_connection_dropped_mid_file_leaves_no_partial_file(tmp_path, server, file_hash):
    url = server.serve("/data.bin", BODY, kind="drop")
    with pytest.raises(DownloadError, match="closed after") as info:
        get_file("data.bin", url, file_hash=sha256(BODY) if file_hash else None,
                 cache_dir=tmp_path)
    assert url in str(info.value)
    assert _listing(tmp_path / "datasets") == []


def test_first_mirror_returning_500_falls_back_to_the_next(tmp_path, server):
    broken = server.serve("/a/data.bin", b"", kind="error")
    good = server.serve("/b/data.bin", BODY)
    path = get_file("data.bin", broken, file_hash=sha256(BODY), cache_dir=tmp_path,
                    mirrors=[good])
    assert pathlib.Path(path).read_bytes() == BODY
    assert server.requests == ["/a/data.bin", "/b/data.bin"]


def test_first_mirror_down_falls_back_to_the_next(tmp_path, server, dead_url):
    good = server.serve("/data.bin", BODY)
    path = get_file("data.bin", dead_url + "data.bin", file_hash=sha256(BODY),
                    cache_dir=tmp_path, mirrors=[good])
    assert pathlib.Path(path).read_bytes() == BODY


def test_all_mirrors_failing_lists_each_one_and_why(tmp_path, server, dead_url):
    urls = [server.serve("/500/data.bin", b"", kind="error"), server.url("/404/data.bin"),
            server.serve("/drop/data.bin", BODY, kind="drop"), dead_url + "data.bin"]
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", urls[0], file_hash=sha256(BODY), cache_dir=tmp_path,
                 mirrors=urls[1:])
    reasons = dict(info.value.attempts)
    assert list(reasons) == urls
    assert reasons[urls[0]].startswith("HTTP 500")
    assert reasons[urls[1]].startswith("HTTP 404")
    assert "closed after" in reasons[urls[2]]
    assert reasons[urls[3]].startswith("could not connect")
    for url in urls:
        assert url in str(info.value)
    assert _listing(tmp_path / "datasets") == []


def test_a_silent_server_times_out(tmp_path, server):
    url = server.serve("/data.bin", BODY, kind="slow")
    with pytest.raises(DownloadError, match="timed out"):
        get_file("data.bin", url, cache_dir=tmp_path, timeout=0.2)
    assert _listing(tmp_path / "datasets") == []


def test_progress_bar_can_be_forced_on(tmp_path, server, capsys):
    url = server.serve("/data.bin", BODY)
    get_file("data.bin", url, cache_dir=tmp_path, progress=True)
    assert "data.bin" in capsys.readouterr().err


def test_extract_unpacks_a_tar_beside_the_file(tmp_path, server):
    archive = tar_gz([("pack/a.txt", b"alpha")])
    url = server.serve("/pack.tar.gz", archive)
    path = get_file("pack.tar.gz", url, file_hash=sha256(archive), cache_dir=tmp_path,
                    extract=True)
    assert (tmp_path / "datasets" / "pack" / "a.txt").read_bytes() == b"alpha"
    assert path.endswith("pack.tar.gz")


def test_default_cache_respects_hilayers_home_and_datasets(tmp_path, monkeypatch, server):
    url = server.serve("/data.bin", BODY)
    monkeypatch.setenv("HILAYERS_HOME", str(tmp_path / "home"))
    assert get_file("data.bin", url) == str(tmp_path / "home" / "datasets" / "data.bin")
    monkeypatch.setenv("HILAYERS_DATASETS", str(tmp_path / "data"))
    assert get_file("data.bin", url) == str(tmp_path / "data" / "data.bin")
    assert cache_folder(None, "datasets/mnist") == str(tmp_path / "data" / "mnist")
    assert cache_folder(None, "models") == str(tmp_path / "home" / "models")


@pytest.mark.parametrize("fname", ["../data.bin", "sub/data.bin", ""])
def test_fname_must_be_a_plain_name(tmp_path, fname):
    with pytest.raises(ValueError, match="expected a file name without folders"):
        get_file(fname, "http://127.0.0.1:1/x", cache_dir=tmp_path)


def test_bad_hash_is_refused_before_any_request(tmp_path):
    with pytest.raises(ValueError, match="not a hex sha256"):
        get_file("data.bin", "http://127.0.0.1:1/x", file_hash="abc", cache_dir=tmp_path)


def test_the_file_is_renamed_into_place_only_once_verified(tmp_path, server, monkeypatch):
    from hilayers.datasets import download
    url = server.serve("/data.bin", BODY)
    dest = tmp_path / "datasets" / "data.bin"
    renames = []
    real_replace = os.replace

    def spying_replace(src, dst):
        # At the moment of the rename: the final name does not exist yet, and the complete
        # file sits under a hidden temporary name in the same folder.
        renames.append((pathlib.Path(src), pathlib.Path(dst), pathlib.Path(dst).exists(),
                        pathlib.Path(src).read_bytes() == BODY))
        real_replace(src, dst)
    monkeypatch.setattr(download.os, "replace", spying_replace)
    get_file("data.bin", url, file_hash=sha256(BODY), cache_dir=tmp_path)
    (src, dst, existed, complete), = renames
    assert dst == dest and src.parent == dest.parent and src.name.startswith(".data.bin.")
    assert src.name.endswith(".part") and not existed and complete and not src.exists()


def test_downloaded_and_extracted_files_get_the_usual_permissions(tmp_path, server):
    # Not 0600, as tempfile.mkstemp would leave them: a shared cache stays readable.
    umask = os.umask(0o022)
    os.umask(umask)
    archive = tar_gz([("pack/a.txt", b"alpha")])
    url = server.serve("/pack.tar.gz", archive)
    path = get_file("pack.tar.gz", url, cache_dir=tmp_path, extract=True)
    expected = 0o666 & ~umask
    assert os.stat(path).st_mode & 0o777 == expected
    assert os.stat(tmp_path / "datasets" / "pack" / "a.txt").st_mode & 0o777 == expected
