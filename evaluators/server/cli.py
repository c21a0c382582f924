"""``perbench serve``: the submission server for withheld test splits.

perbench serve --benchmark PUBLIC_RELEASE:KEY.json [--benchmark ...] --teams TEAMS --data DIR
               [--host 127.0.0.1] [--port 7870] [--quota 5] [--max-upload-mb 64]
               [--workers 1] [--queue 8] [--forwarded-allow-ips IPS]
perbench serve --hash-token          (reads a token on stdin, prints its hash for TEAMS)

Teams: ``team:token`` lines (or ``PERBENCH_SERVE_TEAMS="a:tok,b:tok"``); off 127.0.0.1 every
token must be hashed. Behind a reverse proxy, pass the proxy's address as
``--forwarded-allow-ips`` so login limits see the client's address.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from perbench.errors import PerBenchError
from perbench.passwords import hash_password


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--benchmark",
        action="append",
        metavar="PUBLIC:KEY",
        help="a withheld public release folder and its answer key (repeatable)",
    )
    parser.add_argument("--teams", type=Path, help="teams file (team:token lines)")
    parser.add_argument("--data", type=Path, help="server folder: ledger, uploads, results")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7870)
    parser.add_argument("--quota", type=int, default=5, help="submissions per team per day")
    parser.add_argument("--max-upload-mb", type=int, default=64, help="largest predictions file")
    parser.add_argument("--workers", type=int, default=1, help="scoring threads")
    parser.add_argument("--queue", type=int, default=8, help="jobs waiting at most")
    parser.add_argument(
        "--forwarded-allow-ips", default="127.0.0.1", help="proxies trusted for client addresses"
    )
    parser.add_argument(
        "--hash-token", action="store_true", help="print the hash of a token read from stdin"
    )


def _positive(value: int, flag: str, high: int) -> int:
    if not 1 <= value <= high:
        raise PerBenchError(f"{flag} must be within 1..{high}, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.hash_token:
        token = sys.stdin.readline().rstrip("\n")
        if not token:
            raise PerBenchError("no token on stdin")
        print(hash_password(token))
        return 0
    if not args.benchmark or args.data is None:
        raise PerBenchError("perbench serve needs --benchmark PUBLIC:KEY and --data DIR")
    import uvicorn

    from evaluators.server.app import ServerConfig, make_app
    from evaluators.server.jobs import Benchmark
    from evaluators.server.teams import load_teams, require_hashed_off_loopback

    teams = load_teams(args.teams)
    require_hashed_off_loopback(args.host, teams)
    benchmarks = {}
    for entry in args.benchmark:
        public, sep, key = entry.rpartition(":")
        if not sep or not public or not key:
            raise PerBenchError(f"--benchmark wants PUBLIC_RELEASE:KEY.json, got {entry!r}")
        benchmark = Benchmark(public, key)
        benchmarks[benchmark.name] = benchmark
    config = ServerConfig(
        data_dir=args.data,
        benchmarks=benchmarks,
        teams=teams,
        quota=_positive(args.quota, "--quota", 10_000),
        max_upload_mb=_positive(args.max_upload_mb, "--max-upload-mb", 4096),
        workers=_positive(args.workers, "--workers", 64),
        capacity=_positive(args.queue, "--queue", 10_000),
    )
    app = make_app(config)
    print(f"serving {', '.join(sorted(benchmarks))} on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0
