"""``torch.backends.mkldnn``: oneDNN is not used here; the flag is kept for programs that set it."""

from __future__ import annotations

enabled = True


def is_available() -> bool:
    return False
