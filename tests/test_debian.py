"""course_utils.debian: a package's files unpacked without root (apt-get is faked; dpkg-deb is real)."""
import os
import shutil
import stat
import subprocess

import pytest

from course_utils.debian import DebianFetchError, fetch_debian_files

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")


def _fake_apt(tmp_path, monkeypatch, deb_source=None, fail=False):
    """An ``apt-get`` on PATH that 'downloads' deb_source into the current folder, or fails."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "apt-get"
    body = "echo 'E: Unable to locate package' >&2; exit 100" if fail else f"cp {deb_source} ."
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def _build_deb(tmp_path):
    tree = tmp_path / "pkg"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        "Package: demo-data\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@y>\n"
        "Description: demo\n")
    data = tree / "usr" / "share" / "datasets" / "demo"
    data.mkdir(parents=True)
    (data / "a.gz").write_bytes(b"first")
    (data / "b.gz").write_bytes(b"second")
    deb = tmp_path / "demo-data_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(tree), str(deb)], check=True, capture_output=True)
    return deb


def test_unpacks_the_named_folder_into_dest(tmp_path, monkeypatch):
    _fake_apt(tmp_path, monkeypatch, deb_source=_build_deb(tmp_path))
    dest = tmp_path / "data" / "demo"
    assert fetch_debian_files("demo-data", "usr/share/datasets/demo", dest) == dest
    assert (dest / "a.gz").read_bytes() == b"first" and (dest / "b.gz").read_bytes() == b"second"
    assert not list(dest.glob(".*partial"))          # no half-copied files left behind


def test_a_folder_the_package_does_not_have_is_named(tmp_path, monkeypatch):
    _fake_apt(tmp_path, monkeypatch, deb_source=_build_deb(tmp_path))
    with pytest.raises(DebianFetchError, match="usr/share/other"):
        fetch_debian_files("demo-data", "usr/share/other", tmp_path / "out")


def test_a_failed_download_says_which_package(tmp_path, monkeypatch):
    _fake_apt(tmp_path, monkeypatch, fail=True)
    with pytest.raises(DebianFetchError, match="apt-get download demo-data failed"):
        fetch_debian_files("demo-data", "usr/share/datasets/demo", tmp_path / "out")
    assert not (tmp_path / "out").exists()
