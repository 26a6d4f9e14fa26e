"""One-line messages to the visitor: server paths removed, and a stopped page with a way forward."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NoReturn

import streamlit as st

_ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:~|/)[^\s'\"`:,;()]*/[^\s'\"`:,;()]*|(?<![\w.~-])/[A-Za-z0-9_.-]+")


def for_visitors(message: str) -> str:
    """`message` without server paths: each absolute path becomes its last component."""
    return _ABSOLUTE_PATH.sub(lambda m: f"'{Path(m.group(0).rstrip('/.')).name or 'a folder'}'", str(message))


def say(message: str, kind: str = "info") -> None:
    """Show one message to the visitor (info, warning, error, success), server paths removed."""
    getattr(st, kind)(for_visitors(message))


def stop_with(message: str, kind: str = "info") -> NoReturn:
    """Show one message with a way forward and end this page run (no traceback)."""
    say(message, kind)
    st.stop()
    raise SystemExit  # unreachable: st.stop raises
