"""Sandbox throughput: signed GET /api/v3/account per second on one uvicorn worker, load from wrk.

Prints a Markdown section for docs/benchmarks.md. The sandbox runs in its own process
(`keysafe sandbox serve`, one worker) and wrk (another process) replays a pre-signed request
(recvWindow 60000 so it stays valid during the run). Rate limits are lifted with
`--scale 0.0001` so the benchmark measures the validation pipeline, not 429 answers.
Peers in the same run: the sandbox's unsigned ping, and a bare Starlette JSON endpoint on
the same uvicorn (the framework's ceiling on this machine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from keysafe.sandbox.keys import new_key_string
from keysafe.signing import HmacSigner, build_payload, generate_key_pair, load_private_key, sign_payload

DURATION = int(os.environ.get("BENCH_SANDBOX_SECONDS", "8"))
CONNECTIONS = 8
PACED_CONNECTIONS, PACE_MS = 25, 5  # at most 25 x 1000 / 5 = 5,000 requests/s
GOAL_RPS, GOAL_P99_MS = 2500, 20.0

PEER_APP = textwrap.dedent('''
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    BODY = b'{"makerCommission":10,"takerCommission":10,"balances":[' + b','.join(
        b'{"asset":"A%d","free":"1.00000000","locked":"0.00000000"}' % i for i in range(5)) + b']}'
    async def account(request):
        return Response(BODY, media_type="application/json")
    app = Starlette(routes=[Route("/api/v3/account", account)])
    import sys
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def wrk(url_path: str, base: str, headers: dict[str, str], workdir: Path, paced: bool = False) -> dict[str, float]:
    """Saturating load (CONNECTIONS connections back to back), or paced near the goal's rate:
    PACED_CONNECTIONS connections that each wait PACE_MS before every request."""
    script = workdir / "req.lua"
    lines = [f'wrk.path = "{url_path}"'] + [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if paced:
        lines.append(f"function delay() return {PACE_MS} end")
    script.write_text("\n".join(lines) + "\n")
    conns = PACED_CONNECTIONS if paced else CONNECTIONS
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{DURATION}s", "--latency", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50"), "p99": ms("99"),
            "errors": int(non2xx.group(1)) if non2xx else 0, "total": int(total.group(1))}


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_sandbox: wrk is missing; run `make system-deps` (or apt-get install wrk).")
    work = Path(tempfile.mkdtemp(prefix="keysafe-bench-sandbox-"))
    procs: list[subprocess.Popen] = []
    try:
        api_hmac, secret = new_key_string(), new_key_string()
        pair = generate_key_pair("ed25519")
        api_ed = new_key_string()
        keys_file = work / "keys.json"
        keys_file.write_text(json.dumps([
            {"label": "bench", "type": "hmac", "apiKey": api_hmac, "secretKey": secret},
            {"label": "bench-ed", "type": "ed25519", "apiKey": api_ed, "publicKey": pair.public_pem},
        ]))
        os.chmod(keys_file, 0o600)
        port, peer_port = free_port(), free_port()
        env = dict(os.environ, KEYSAFE_HOME=str(work))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "keysafe.cli", "sandbox", "serve", "--port", str(port), "--keys", str(keys_file),
             "--scale", "0.0001"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        (work / "peer.py").write_text(PEER_APP)
        procs.append(subprocess.Popen([sys.executable, str(work / "peer.py"), str(peer_port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base, peer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer_port}"
        wait_up(base + "/api/v3/ping")
        wait_up(peer + "/api/v3/account")

        def presigned(signer) -> str:
            payload = build_payload({"recvWindow": 60000, "timestamp": int(time.time() * 1000)})
            return "/api/v3/account?" + sign_payload(payload, signer).query

        hmac_signer, ed_signer = HmacSigner(secret), load_private_key(pair.private_pem)
        check = httpx.get(base + presigned(hmac_signer), headers={"X-MBX-APIKEY": api_hmac})
        assert check.status_code == 200, check.text
        rows = []
        wrk("/api/v3/ping", base, {}, work)  # warm-up
        rows.append(("keysafe sandbox: signed GET /api/v3/account (HMAC), paced (at most 5,000/s)",
                     wrk(presigned(hmac_signer), base, {"X-MBX-APIKEY": api_hmac}, work, paced=True)))
        rows.append(("keysafe sandbox: signed GET /api/v3/account (HMAC), saturating",
                     wrk(presigned(hmac_signer), base, {"X-MBX-APIKEY": api_hmac}, work)))
        rows.append(("keysafe sandbox: signed GET /api/v3/account (Ed25519)",
                     wrk(presigned(ed_signer), base, {"X-MBX-APIKEY": api_ed}, work)))
        rows.append(("keysafe sandbox: GET /api/v3/ping (unsigned)", wrk("/api/v3/ping", base, {}, work)))
        rows.append(("peer: bare Starlette JSON route, same uvicorn (no validation)",
                     wrk("/api/v3/account", peer, {}, work)))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    paced_row, sat_row = rows[0][1], rows[1][1]
    met = (paced_row["rps"] >= GOAL_RPS and paced_row["p99"] < GOAL_P99_MS and sat_row["rps"] >= GOAL_RPS
           and paced_row["errors"] == 0 and sat_row["errors"] == 0)
    load = os.getloadavg()[0]
    print("## Sandbox: signed requests per second (one uvicorn worker)\n")
    print(f"wrk from a separate process replays a pre-signed request (recvWindow 60000) for {DURATION} s per row: "
          f"saturating rows use {CONNECTIONS} connections back to back; the paced row uses {PACED_CONNECTIONS} "
          f"connections that each wait {PACE_MS} ms between requests "
          f"(at most {PACED_CONNECTIONS * 1000 // PACE_MS:,}/s), "
          "which measures latency at the goal's rate instead of queueing at saturation. The sandbox runs as "
          "`keysafe sandbox serve --scale 0.0001` (one uvicorn worker) so no 429s.\n")
    print("| server / request | requests/s | p50 latency | p99 latency | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['errors']} |")
    print(f"\nGoal: >= {GOAL_RPS:,} signed GET /api/v3/account per second with p99 < {GOAL_P99_MS:g} ms: "
          f"**{'met' if met else 'NOT met'}** "
          f"(paced: {paced_row['rps']:,.0f} req/s with p99 {paced_row['p99']:.2f} ms; "
          f"saturating: {sat_row['rps']:,.0f} req/s).")
    print(f"\nThe machine has {os.cpu_count()} cores shared with wrk and with other work "
          f"(1-minute load average {load:.1f} at the end of the run), so these are lower bounds.")


if __name__ == "__main__":
    main()
