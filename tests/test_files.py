"""files.py: atomic writes leave the old file or the new one, and no temporary file behind."""
import json
import os
import stat

import pytest

from course_utils.files import write_bytes_atomic, write_json_atomic


def test_write_bytes_atomic_replaces_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["a.bin"]
    assert stat.S_IMODE(path.stat().st_mode) & 0o044  # readable by others (umask permitting)


def test_failed_json_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "r.json"
    write_json_atomic(path, {"acc": 0.5})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"ok": 1, "bad": object()})  # fails halfway through writing
    assert json.loads(path.read_text()) == {"acc": 0.5} and os.listdir(tmp_path) == ["r.json"]
