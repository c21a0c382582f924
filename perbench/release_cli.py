"""``perbench release``: create a release from a reviewed store, verify, show, export, import.

perbench release create STORE --name perbench --version 1.0.0 [--out DIR] [--marked-images]
    [--allow-unreviewed] [--accept-audit-failures REASON]
perbench release verify RELEASE [--fingerprint SHA] [--public-key KEY.pub]
perbench release show RELEASE
perbench release keygen KEY          (writes KEY, private, and KEY.pub)
perbench release sign RELEASE --key KEY
perbench release export-stbench RELEASE OUT_DIR
perbench release withhold RELEASE --out PUBLIC --key KEY.json [--submit-url URL]
    (a public release without answers + the private answer key, for a submission server)
perbench release import-stbench FOLDER --version V [--images DIR] [--out DIR]

``create`` runs the validity audit (evaluators.audit, loaded through the CLI's command table) on
the accepted samples and refuses (exit 2) when a gate fails, naming each gate and its figure;
``--accept-audit-failures`` records the reason and the failed figures in the release instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from perbench.errors import ReleaseError
from perbench.release import Release, verify_release, write_release


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="release_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="release the accepted candidates of a store")
    create.add_argument("store", type=Path, help="candidate store (.sqlite) from perbench build")
    _naming(create)
    create.add_argument(
        "--allow-unreviewed",
        action="store_true",
        help="release samples no person accepted (the audit still counts them)",
    )
    create.add_argument(
        "--accept-audit-failures",
        metavar="REASON",
        help="release despite failed audit gates; REASON is recorded and shown with the release",
    )
    verify = actions.add_parser("verify", help="check every file against manifest.json")
    verify.add_argument("release", type=Path)
    verify.add_argument("--fingerprint", help="the published fingerprint the release must have")
    verify.add_argument("--public-key", type=Path, help="check manifest.json.sig with this key")
    keygen = actions.add_parser("keygen", help="make an ed25519 key pair for signing releases")
    keygen.add_argument("key", type=Path, help="private key file to write (KEY.pub beside it)")
    sign = actions.add_parser("sign", help="sign a release's manifest (manifest.json.sig)")
    sign.add_argument("release", type=Path)
    sign.add_argument("--key", type=Path, required=True, help="ed25519 private key (PEM)")
    show = actions.add_parser("show", help="print a release's manifest summary")
    show.add_argument("release", type=Path)
    export = actions.add_parser("export-stbench", help="write the authors' STBench JSON layout")
    export.add_argument("release", type=Path)
    export.add_argument("out", type=Path)
    withhold = actions.add_parser(
        "withhold", help="a public copy without answers, plus the private answer key"
    )
    withhold.add_argument("release", type=Path)
    withhold.add_argument("--out", type=Path, required=True, help="public release folder")
    withhold.add_argument(
        "--key", type=Path, required=True, help="answer key file to write (never publish it)"
    )
    withhold.add_argument("--submit-url", help="where to submit predictions (shown in the card)")
    imported = actions.add_parser("import-stbench", help="make a release from STBench JSON files")
    imported.add_argument("folder", type=Path, help="folder with STBench_*.json files")
    imported.add_argument("--images", type=Path, help="image folder (default FOLDER/images)")
    imported.add_argument(
        "--max-image-pixels", type=int, help="largest image accepted (default 200 million)"
    )
    _naming(imported)


def _naming(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="perbench", help="release name (default perbench)")
    parser.add_argument("--version", required=True, help="release version, e.g. 1.0.0")
    parser.add_argument("--out", type=Path, help="output folder (default releases/NAME-VERSION)")
    parser.add_argument(
        "--marked-images",
        action="store_true",
        help="also store each image with its prompt regions outlined and labelled",
    )


def run(args: argparse.Namespace) -> int:
    action = args.release_action
    if action == "verify":
        problems = verify_release(args.release, args.fingerprint, args.public_key)
        if problems:
            raise ReleaseError(
                f"{len(problems)} problem(s):\n  " + "\n  ".join(problems),
                where=str(args.release),
            )
        signed = ", signature valid" if args.public_key else ""
        print(f"ok: every file of {args.release} matches manifest.json{signed}")
        print(f"fingerprint {Release(args.release).fingerprint}")
        return 0
    if action == "keygen":
        from perbench.provenance import generate_key

        print(f"private key {args.key}, public key {generate_key(args.key)}")
        return 0
    if action == "sign":
        from perbench.provenance import sign_release

        problems = verify_release(args.release)
        if problems:
            raise ReleaseError("refusing to sign a release that does not verify: " + problems[0])
        print(sign_release(args.release, args.key))
        return 0
    if action == "show":
        release = Release(args.release)
        from perbench.release_gate import override_lines

        summary = {k: v for k, v in release.manifest.items() if k != "files"}
        print(json.dumps({**summary, "fingerprint": release.fingerprint}, indent=2))
        print(f"fingerprint {release.fingerprint}")
        for line in override_lines(release.manifest):
            print(line)
        return 0
    if action == "export-stbench":
        from perbench.stbench import export_stbench

        for task, path in export_stbench(args.release, args.out).items():
            print(f"{task}: {path}")
        return 0
    if action == "withhold":
        from perbench.withheld import withhold_release

        public, key = withhold_release(args.release, args.out, args.key, args.submit_url)
        print(f"answer key (private; never publish it): {key}")
        print(public)
        print(f"fingerprint {Release(public).fingerprint}")
        return 0
    out = args.out or Path("releases") / f"{args.name}-{args.version}"
    if action == "create":
        from perbench.cli import load_command
        from perbench.release_gate import gated_release, override_lines
        from perbench.store import CandidateStore

        path = gated_release(
            CandidateStore(args.store),
            out,
            args.name,
            args.version,
            load_command("audit").release_gate,
            accept_failures=args.accept_audit_failures,
            allow_unreviewed=args.allow_unreviewed,
            marked_images=args.marked_images,
        )
        for line in override_lines(Release(path).manifest):
            print(line)
    else:
        from perbench.images import pixel_limit
        from perbench.stbench import import_stbench

        with pixel_limit(args.max_image_pixels):
            samples = import_stbench(args.folder, args.images)
        path = write_release(
            samples,
            out,
            args.name,
            args.version,
            marked_images=args.marked_images,
            extra_manifest={"imported_from": str(args.folder)},
        )
    print(path)
    print(f"fingerprint {Release(path).fingerprint}")
    return 0
