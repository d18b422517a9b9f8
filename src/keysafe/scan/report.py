"""Findings as text (grouped by file, with the fix), JSON, or SARIF 2.1.0."""

from __future__ import annotations

from itertools import groupby

from keysafe.scan.findings import FIX, FIX_FILE, KINDS, ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning"}


def _style(text: str, color: bool, **kw) -> str:
    if not color:
        return text
    import click

    return click.style(text, **kw)


def render_text(result: ScanResult, *, show_secrets: bool = False, color: bool = False, verbose: bool = False,
                what: str = "") -> str:
    out: list[str] = []
    for path, group in groupby(result.findings, key=lambda f: f.path):
        out.append(_style(path, color, bold=True))
        for f in group:
            where = f"  line {f.line:<5}" + (f" commit {f.commit[:10]}" if f.commit else "")
            secret = f.shown(show_secrets)
            extra = []
            if f.label:
                extra.append(f"your key '{f.label}'")
            if f.in_head is not None:
                extra.append("still in HEAD" if f.in_head else "removed from HEAD, still in history")
            sev = _style(f.severity, color, fg="red" if f.severity == "critical" else "yellow")
            tail = f" ({', '.join(extra)})" if extra else ""
            out.append(f"{where}  {f.kind:<22} {sev:<8}  {secret + ' ' if secret else ''}sha256:{f.fingerprint}{tail}")
        out.append("")
    skipped = [s for s in result.skipped if s.reason != "binary"]
    binaries = len(result.skipped) - len(skipped)
    for s in skipped:
        out.append(_style(f"skipped {s.path}: {s.reason}", color, dim=True))
    if verbose and binaries:
        out.extend(_style(f"skipped {s.path}: binary", color, dim=True) for s in result.skipped if s.reason == "binary")
    n = len(result.findings)
    mb = result.bytes / 1e6
    unit = "commit(s) adding lines" if what == "history" else "file(s)"
    summary = (f"{n} finding{'s' if n != 1 else ''} in {len({f.path for f in result.findings})} file(s); "
               f"scanned {result.files} {unit}, {mb:.1f} MB in {result.seconds:.2f} s")
    if binaries:
        summary += f"; {binaries} binary file(s) skipped"
    if result.suppressed:
        summary += f"; {result.suppressed} known finding(s) hidden by the baseline"
    if n:
        if any(f.kind != "unignored-secret-file" for f in result.findings):
            out.append(_style("Fix: " + FIX, color, fg="red"))
        if any(f.kind == "unignored-secret-file" for f in result.findings):
            out.append("Fix (files): " + FIX_FILE)
        out.append(_style(summary + ".", color, bold=True))
    else:
        out.append(_style("No Binance keys or private keys found. " + summary + ".", color, fg="green"))
    return "\n".join(out)


def render_json(result: ScanResult, *, show_secrets: bool = False) -> str:
    import json

    return json.dumps([f.to_dict(show_secrets) for f in result.findings], indent=2)


def render_sarif(result: ScanResult, *, version: str = "0.1.0") -> str:
    import json

    used = sorted({f.kind for f in result.findings}) or []
    rules = [{"id": k, "name": "".join(w.title() for w in k.split("-")),
              "shortDescription": {"text": KINDS[k][1]},
              "help": {"text": FIX_FILE if k == "unignored-secret-file" else FIX},
              "defaultConfiguration": {"level": _LEVEL[KINDS[k][0]]},
              "properties": {"security-severity": {"critical": "9.5", "high": "8.0", "medium": "5.0"}[KINDS[k][0]],
                             "tags": ["security", "secret"]}}
             for k in used]
    index = {k: i for i, k in enumerate(used)}
    results = []
    for f in result.findings:
        res = {
            "ruleId": f.kind, "ruleIndex": index[f.kind], "level": _LEVEL[f.severity],
            "message": {"text": f"{KINDS[f.kind][1]} (sha256:{f.fingerprint})."},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.path},
                                                "region": {"startLine": max(f.line, 1)}}}],
            "partialFingerprints": {"keysafe/v1": f.fingerprint},
        }
        if f.commit:
            res["properties"] = {"commit": f.commit, "inHead": f.in_head}
        results.append(res)
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "keysafe", "version": version,
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2)
