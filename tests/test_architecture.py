"""The curated public API, the floors of the architecture, and no import cycles."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import keysafe

SRC = Path(keysafe.__file__).parent

PUBLIC_API = sorted([
    "ActivityEvent", "ApiKeyFormatError", "ApiKeyRejectedError", "AsyncClient", "AuthenticationError",
    "BinanceAPIError", "Client", "Vault", "VaultError",
    "CancelRejectedError", "ConfigurationError", "Credential", "Ed25519Signer", "EncodingError", "Environment",
    "EnvironmentMismatchError", "EventBus", "ExecutionStatusUnknown", "FilterError", "HmacSigner",
    "IPBannedError", "KeyFormatError", "KeyType", "KeysafeError", "NoSuchOrderError", "OrderRateLimitError",
    "OrderRejectedError", "Payload", "RateLimitError", "RequestError", "RsaSigner", "ScopeError", "Secret",
    "ServerBusyError", "SignatureError", "TimestampError", "UnauthorizedError", "WAFRejectedError",
    "__version__", "build_payload", "error_from_response", "generate_key_pair", "key_fingerprint",
    "load_private_key", "load_public_key", "mask", "sign_payload", "validate_api_key",
])

# Data flows one way: a module may import only from its own floor or lower ones.
FLOORS = {
    "spec": 1, "secret": 1, "errors": 1, "keyformat": 1, "events": 1, "home": 1, "sqlitedb": 1, "lazy": 1,
    "signing": 2,
    "credentials": 3, "sandbox": 3,
    "client": 4, "clock": 4, "governor": 4, "vault": 4, "scan": 4, "monitor": 4,
    "policy": 5,
    "cli": 6, "demo": 6,
}


def test_public_api_is_the_curated_list():
    assert sorted(keysafe.__all__) == PUBLIC_API
    assert keysafe.__all__ == sorted(keysafe.__all__)
    for name in keysafe.__all__:
        assert getattr(keysafe, name) is not None


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _top_level_imports(path: Path, module: str) -> set[str]:
    """keysafe modules imported at module level (imports inside functions are lazy by design)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("keysafe")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.startswith("keysafe"):
                found.add(base)
    return found


def _floor(module: str) -> int | None:
    parts = module.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def test_every_package_has_a_floor():
    for module, _ in _modules():
        if module != "keysafe":
            assert _floor(module) is not None, f"{module} needs a floor in FLOORS (and the README's table)"


def test_no_import_from_a_higher_floor():
    bad = []
    for module, path in _modules():
        mine = _floor(module)
        if mine is None:
            continue
        for target in _top_level_imports(path, module):
            theirs = _floor(target)
            # The top-level package is the public API: only the faces (floor 6) may import it.
            if (target == "keysafe" and mine < 6) or (theirs is not None and theirs > mine):
                bad.append(f"{module} (floor {mine}) imports {target} (floor {theirs})")
    assert bad == []


def test_no_import_cycles():
    graph = {module: _top_level_imports(path, module) for module, path in _modules()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])
    # A package importing its own submodules is not a cycle unless a submodule imports back through it.
    real = [c for c in cycles if len(set(c)) > 1 and not all(m.startswith(c[0] + ".") for m in c[1:-1])]
    assert real == []


def test_every_module_imports_cleanly():
    for module, _ in _modules():
        importlib.import_module(module)
