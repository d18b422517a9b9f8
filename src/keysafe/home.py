"""Where keysafe keeps its files: ``$KEYSAFE_HOME``, else the platform's user data directory.

One function for every part (vault, fingerprints, governor, monitor, sandbox state). On
Linux the XDG rule is applied here directly, exactly as ``platformdirs`` applies it (a test
checks they agree), because importing ``platformdirs`` costs the pre-commit hook ~10 ms;
every other platform, and every unusual environment, asks ``platformdirs``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "keysafe"


def _linux_data_dir() -> str | None:
    """``$XDG_DATA_HOME/keysafe`` or ``~/.local/share/keysafe``; None where platformdirs must decide."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel") or "ANDROID_DATA" in os.environ:
        return None
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if os.path.isabs(xdg):
        return os.path.join(xdg, APP_NAME)
    home = os.environ.get("HOME")
    if not home or not os.path.isabs(home):
        return None
    return os.path.join(home, ".local", "share", APP_NAME)


def user_data_dir() -> Path:
    """The platform's user data directory for keysafe (not created)."""
    fast = _linux_data_dir()
    if fast is not None:
        return Path(fast)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def keysafe_home() -> Path:
    """``$KEYSAFE_HOME`` if set, else :func:`user_data_dir`."""
    env = os.environ.get("KEYSAFE_HOME")
    return Path(env).expanduser() if env else user_data_dir()
