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


def test_temporaries_of_killed_writes_are_cleaned_up_but_live_ones_are_not(tmp_path):
    import os
    import time

    path = tmp_path / "model.pt"
    stale, live = tmp_path / ".model.pt.abc.tmp", tmp_path / ".model.pt.def.tmp"
    stale.write_bytes(b"half of a killed write")
    live.write_bytes(b"another process is writing this right now")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new" and not stale.exists() and live.exists()


def test_files_get_a_normal_mode_readable_by_the_group(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / "r.json", {"a": 1})
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644
