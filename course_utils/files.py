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
from pathlib import Path
from typing import Any


def write_text_atomic(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``.

    Args:
        path: the file to write.
        text: its new contents (UTF-8).
        mode: permission bits such as ``0o644`` (readable by the group and others). The
            temporary file starts private (0600); without ``mode`` it stays so.

    >>> import tempfile, pathlib, stat
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_text_atomic(p, "hi", mode=0o644); oct(stat.S_IMODE(p.stat().st_mode))
    '0o644'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | os.PathLike, data: Any, mode: int | None = None) -> None:
    """Write ``data`` as JSON atomically (see :func:`write_text_atomic` for ``mode``)."""
    write_text_atomic(path, json.dumps(data, indent=1), mode=mode)
