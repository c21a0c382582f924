"""``perbench review STORE``: serve the review app on a candidate store.

Options: --host (default 127.0.0.1; any other address needs login), --port, --users FILE
(``name:password`` or ``name:password:adjudicator`` lines; also the PERBENCH_REVIEW_USERS env,
entries separated by commas), --reviewer (the name decisions carry when the app runs without
login), --required-accepts K (the build's k-of-n rule, saved in the store), --report (print the
agreement report as JSON and exit), --hash-password (print a users-file hash of a password read
from the terminal and exit), --verify-log (check the hash chain and the content each decision
was made on), --export-store OUT (a safe single-file copy of the store, made with SQLite's backup
API while reviewers may be writing), --spot-check TASK [--spot-seed N --spot-width W
--spot-expected P] (serve the spot-check mode, review_ui.spot_check, instead of the review).

While serving, the store's WAL is checkpointed every 30 s and on SIGTERM, so a copy of
STORE.sqlite made after the server stopped holds every decision (perbench.store_copy).

Roles: with login, only ``adjudicator`` accounts settle conflicts; another reviewer's accept or
reject in the conflict queue is recorded as that reviewer's own vote. Without login there are
no roles and the one local reviewer settles conflicts.

Each reviewer's filters (task, status, category, decided by) are saved in
``STORE.review-places/`` beside the store and restored when the page is loaded again.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import tempfile
from pathlib import Path

from perbench.errors import PerBenchError, StoreError
from perbench.passwords import hash_password
from perbench.spot_check import DEFAULT_EXPECTED, DEFAULT_WIDTH
from perbench.store import CandidateStore
from perbench.store_copy import keep_checkpointed
from review_ui.auth import (
    USERS_ENV,
    adjudicators,
    load_accounts,
    require_auth_off_loopback,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "store", nargs="?", help="candidate store (.sqlite) written by 'perbench build'"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default: Gradio's, 7860 up)")
    parser.add_argument(
        "--users",
        default=None,
        help=f"file of 'name:password[:adjudicator]' lines (or env {USERS_ENV}, comma-separated);"
        " only adjudicators settle conflicts",
    )
    parser.add_argument(
        "--reviewer",
        default=None,
        help="reviewer name when running without login (who then also settles conflicts)",
    )
    parser.add_argument(
        "--required-accepts", type=int, default=None, metavar="K", help="accepts a sample needs"
    )
    parser.add_argument(
        "--report", action="store_true", help="print the agreement report (JSON) and exit"
    )
    parser.add_argument(
        "--hash-password", action="store_true", help="print a hashed password line and exit"
    )
    parser.add_argument(
        "--export-store",
        type=Path,
        metavar="OUT",
        help="write a consistent single-file copy of the store to OUT and exit",
    )
    spot = parser.add_argument_group("spot check (a second reviewer re-checks accepted items)")
    spot.add_argument("--spot-check", metavar="TASK", help="serve the spot check of TASK")
    spot.add_argument("--spot-seed", type=int, default=0, help="seed of the random sample")
    spot.add_argument(
        "--spot-width",
        type=float,
        default=DEFAULT_WIDTH,
        help=f"95%% interval width the sample is sized for (default {DEFAULT_WIDTH})",
    )
    spot.add_argument(
        "--spot-expected",
        type=float,
        default=DEFAULT_EXPECTED,
        help=f"error rate assumed when sizing the sample (default {DEFAULT_EXPECTED})",
    )
    parser.add_argument(
        "--verify-log",
        action="store_true",
        help="check the decision log's hash chain, print its head and exit (2 if broken)",
    )


def run(args: argparse.Namespace) -> int:
    if args.hash_password:
        password = (
            getpass.getpass("password: ")
            if sys.stdin.isatty()
            else sys.stdin.readline().rstrip("\n")
        )
        if not password:
            raise PerBenchError("an empty password cannot be hashed")
        print(hash_password(password))
        return 0
    if not args.store:
        raise PerBenchError(
            "perbench review needs the candidate store path", hint="perbench review STORE"
        )
    store = CandidateStore(args.store)
    if args.verify_log:
        check = store.verify_log()
        if not check.ok:
            raise StoreError(
                f"decision log broken at seq {check.broken_seq}: {check.reason} "
                f"({check.entries - 1} entries before it are intact)",
                where=args.store,
            )
        print(f"ok: {check.entries} decisions, chain head {check.head}")
        return 0
    if args.export_store:
        print(f"exported {args.store} to {store.export(args.export_store)}")
        return 0
    if args.required_accepts is not None:
        if args.required_accepts < 1:
            raise PerBenchError(
                f"--required-accepts must be at least 1, got {args.required_accepts}"
            )
        store.set_info(required_accepts=args.required_accepts)
    if args.report:
        from review_ui.agreement import agreement_report

        print(json.dumps(agreement_report(store), indent=2))
        return 0
    accounts = load_accounts(args.users)
    users = {name: account.password for name, account in accounts.items()}
    require_auth_off_loopback(args.host, users)  # before importing gradio: fail fast
    from review_ui.app import build_app, launch_app

    display_dir = Path(tempfile.mkdtemp(prefix="perbench-review-"))
    settlers = adjudicators(accounts) if accounts else None
    if args.spot_check:
        from review_ui.spot_check import SpotCheck, build_spot_app

        spot = SpotCheck(store, display_dir, args.spot_check, args.spot_seed, args.spot_width,
                         args.spot_expected)  # fmt: skip
        spot.plan(args.reviewer or getpass.getuser())  # a bad task or width fails here
        app = build_spot_app(spot, args.reviewer or getpass.getuser())
    else:
        app = build_app(store, args.reviewer or getpass.getuser(), display_dir, settlers)
    url = launch_app(app, args.host, args.port, users, display_dir)
    keep_checkpointed(store)
    if not users:
        login = "no login; you settle conflicts"
    elif settlers:
        login = f"login required; adjudicators: {', '.join(sorted(settlers))}"
    else:
        login = "login required; no adjudicator, so conflicts wait unsettled"
    print(f"reviewing {store.count()} candidates of {args.store} at {url} ({login})", flush=True)
    app.block_thread()
    return 0
