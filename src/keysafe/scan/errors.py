"""The scanner's one error type. Imported where an error is raised, not at module load: the
pre-commit hook's path then never loads ``keysafe.errors`` (and the whole spec behind it)."""

from __future__ import annotations

from keysafe.errors import KeysafeError


class ScanError(KeysafeError):
    """The scan cannot run as asked (not a repository, a bad baseline, ...)."""
