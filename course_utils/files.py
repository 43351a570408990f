"""Files written atomically: a crash or Ctrl+C leaves the old file or the new one, never half.

>>> import json, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.json"
>>> write_json_atomic(path, {"acc": 0.9})
>>> json.loads(path.read_text())
{'acc': 0.9}
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def _atomic(path: Path, mode: str, shared: bool) -> Iterator[IO]:
    """A temporary file beside ``path``, renamed over it when the block ends without error."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if shared:  # mkstemp makes the file private (0600); give it a normal file's mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable as the umask allows (data files).

    >>> path = Path(tempfile.mkdtemp()) / "hello.txt"
    >>> write_bytes_atomic(path, b"hello"); path.read_bytes()
    b'hello'
    """
    with _atomic(Path(path), "wb", shared=True) as f:
        f.write(data)


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as JSON to a temporary file beside ``path``, then rename it over ``path``
    (the file stays private to its owner: quiz results)."""
    with _atomic(Path(path), "w", shared=False) as f:
        json.dump(data, f, indent=1)
