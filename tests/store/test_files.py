"""Atomic writes: all or nothing, and durable once they return."""

import os

import pytest

from bench.store import files as atomic
from bench.store.files import write_atomic


def test_write_atomic_leaves_no_temp_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def fail(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_write_atomic_fsyncs_the_directory_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b)))

    def fsync(fd):
        kind = "directory" if os.path.isdir(f"/proc/self/fd/{fd}") else "file"
        events.append(f"fsync {kind}")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(tmp_path / "out.bin", b"new")
    assert (tmp_path / "out.bin").read_bytes() == b"new"
    assert events == ["fsync file", "rename", "fsync directory"]


def test_fsync_directory_tolerates_a_directory_it_cannot_open(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", synced.append)
    assert atomic.fsync_directory(tmp_path / "missing") is None  # nothing to make durable
    assert synced == [] and not (tmp_path / "missing").exists()
    atomic.fsync_directory(tmp_path)
    assert len(synced) == 1  # a directory that opens is synced
