"""Files written atomically: a crash or Ctrl+C leaves the old file or the new one, never half.

Every file the course writes for a user (quiz results, reports, data, checkpoints) goes through
here: a temporary file beside the target, flushed to disk, then renamed over it. The new file
gets a normal file's permissions (``0o666`` minus the umask, usually ``0o644``: an instructor in
the same group can read a student's results), or the ``mode`` you pass.

>>> import json, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.json"
>>> write_json_atomic(path, {"acc": 0.9})
>>> json.loads(path.read_text())
{'acc': 0.9}
"""
from __future__ import annotations

import glob
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _normal_mode() -> int:
    """What ``open()`` would give a new file: 0o666 minus the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_file(path: str | os.PathLike, binary: bool = False,
                mode: int | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; when the block ends without error, it replaces
    ``path`` (with ``mode``, default a normal file's permissions). On error nothing changes and
    no temporary file is left behind.

    >>> p = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_file(p) as f:
    ...     _ = f.write("hi")
    >>> p.read_text()
    'hi'
    """
    path = Path(path)
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        text = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, "wb" if binary else "w", **text) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _normal_mode() if mode is None else mode)  # mkstemp made it 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


STALE_SECONDS = 300  # a temporary file untouched this long was left by a killed write


def _remove_stale_temporaries(path: Path) -> None:
    """Delete what writes of ``path`` that were killed (SIGKILL, a power cut) left behind.
    Temporaries still being written (recently modified) are left alone."""
    now = time.time()
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
        except OSError:  # another process removed or replaced it first
            pass


def write_text_atomic(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    >>> import stat
    >>> p = Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_text_atomic(p, "hi", mode=0o644); oct(stat.S_IMODE(p.stat().st_mode))
    '0o644'
    """
    with atomic_file(path, mode=mode) as f:
        f.write(text)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically.

    >>> path = Path(tempfile.mkdtemp()) / "hello.txt"
    >>> write_bytes_atomic(path, b"hello"); path.read_bytes()
    b'hello'
    """
    with atomic_file(path, binary=True, mode=mode) as f:
        f.write(data)


def write_json_atomic(path: str | os.PathLike, data: Any, mode: int | None = None) -> None:
    """Write ``data`` as JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(data, indent=1), mode=mode)


def saved_format(path: str | os.PathLike) -> str | None:
    """The ``"format"`` field of a file the course saved with ``torch.save`` (a checkpoint, an
    export), or None for anything else. Safe (``weights_only``) and cheap (memory-mapped)."""
    import torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # not a PyTorch file, damaged, or holding code: not ours
        return None
    return data.get("format") if isinstance(data, dict) else None


def refuse_to_replace(path: Path, expected_format: str, what: str) -> None:
    """Writing ``path`` would replace it: allowed only for a file of ``expected_format`` (an
    earlier save of the same kind), never for the user's own files."""
    if path.is_dir():
        raise IsADirectoryError(f"path={str(path)!r} is a folder. HINT: give a file name, e.g. "
                                f"{str(path / 'model.pt')!r}.")
    if path.exists() and saved_format(path) != expected_format:
        raise FileExistsError(f"path={str(path)!r} already exists and is not {what}, so saving "
                              "would replace it. HINT: give another file name (or move that "
                              "file away first).")
