"""Files from a Debian package, without root: ``apt-get download`` + ``dpkg-deb -x``.

``sudo apt-get install dataset-fashion-mnist`` needs root. Any user can instead download the
package file itself and unpack it into a folder of their own, which is all the course needs:

>>> fetch_debian_files("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist",
...                    Path("data/fashion-mnist"))                   # doctest: +SKIP
PosixPath('data/fashion-mnist')

apt checks the downloaded file against the signed package index; the caller checks the files it
needs by hash as well (Fashion-MNIST's four files have published sha256s).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class DebianFetchError(RuntimeError):
    """apt-get or dpkg-deb is missing, or the download or unpacking failed."""


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _download_deb(package: str, workdir: Path) -> Path:
    """``apt-get download`` into ``workdir``; when the machine's package lists are missing or stale,
    retry with private lists fetched into ``workdir`` (no root needed)."""
    result = _run(["apt-get", "download", package], cwd=workdir)
    if result.returncode != 0:
        lists, cache = workdir / "lists", workdir / "cache"
        (lists / "partial").mkdir(parents=True)
        (cache / "archives" / "partial").mkdir(parents=True)
        private = ["-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache={cache}",
                   "-o", "Debug::NoLocking=1"]
        _run(["apt-get", *private, "update"], cwd=workdir)
        result = _run(["apt-get", *private, "download", package], cwd=workdir)
    debs = sorted(workdir.glob(f"{package}_*.deb"))
    if result.returncode != 0 or not debs:
        message = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DebianFetchError(f"apt-get download {package} failed: {' '.join(message)}")
    return debs[-1]


def fetch_debian_files(package: str, inside: str, dest: Path) -> Path:
    """Download Debian ``package`` and copy the files under its folder ``inside`` into ``dest``.

    Args:
        package: the Debian package name, e.g. ``"dataset-fashion-mnist"``.
        inside: the folder inside the package, e.g. ``"usr/share/datasets/fashion-mnist"``.
        dest: where the files go (created if missing); existing files of the same name are replaced.

    Returns:
        ``dest``.

    Raises:
        DebianFetchError: no apt-get/dpkg-deb here, no network to the Debian mirror, or the
            package has no folder ``inside``.
    """
    missing = [tool for tool in ("apt-get", "dpkg-deb") if shutil.which(tool) is None]
    if missing:
        raise DebianFetchError(f"{' and '.join(missing)} not found (not a Debian/Ubuntu machine).")
    with tempfile.TemporaryDirectory(prefix="course-apt-") as tmp:
        workdir = Path(tmp)
        deb = _download_deb(package, workdir)
        unpacked = workdir / "unpacked"
        result = _run(["dpkg-deb", "-x", str(deb), str(unpacked)], cwd=workdir)
        source = unpacked / inside
        if result.returncode != 0 or not source.is_dir():
            raise DebianFetchError(f"unpacking {deb.name} failed or it has no {inside}/: "
                                   f"{result.stderr.strip()}")
        dest.mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            if file.is_file():
                partial = dest / f".{file.name}.partial"
                shutil.copyfile(file, partial)
                partial.replace(dest / file.name)   # a crash never leaves half a file
    return dest
