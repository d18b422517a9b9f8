"""keysafe's data directory: one rule for every part, the same answer platformdirs gives."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from keysafe.home import keysafe_home, user_data_dir


@pytest.mark.parametrize("xdg", [None, "", "/srv/data", "relative/data", "~/data"])
def test_user_data_dir_is_what_platformdirs_says(monkeypatch, tmp_path, xdg):
    """The fast Linux rule (which spares the pre-commit hook the platformdirs import) must never
    send the vault, the fingerprints or the governor's state somewhere else."""
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    assert user_data_dir() == Path(platformdirs.user_data_dir("keysafe"))


def test_keysafe_home_prefers_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KEYSAFE_HOME", "~/vaults")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert keysafe_home() == tmp_path / "vaults"
    monkeypatch.delenv("KEYSAFE_HOME")
    assert keysafe_home() == Path(platformdirs.user_data_dir("keysafe"))


def test_every_part_uses_the_same_directory(monkeypatch, tmp_path):
    from keysafe.governor.uri import data_dir
    from keysafe.monitor.config import default_db_path
    from keysafe.scan.fingerprints import FILE_NAME, load_known_fingerprints, write_known_fingerprints
    from keysafe.vault.store import FINGERPRINTS_NAME, default_vault_path

    monkeypatch.delenv("KEYSAFE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    home = tmp_path / "xdg" / "keysafe"
    assert data_dir() == home
    assert default_vault_path().parent == home
    assert default_db_path().parent == home
    assert FILE_NAME == FINGERPRINTS_NAME
    home.mkdir(parents=True)
    write_known_fingerprints(home / FINGERPRINTS_NAME, b"salt", [("bot/secret", "x" * 64)])
    assert load_known_fingerprints()  # the scanner finds what the vault wrote, without being told where
