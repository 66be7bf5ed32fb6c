"""`knooppunt-audit` / `python -m services.audit.cli`: the auditor's tool.

Needs only read access to the audit topics and the log's public key: no consumer group, no
commits, no writes. It never trusts the audit service: it reads the stored bytes itself and
checks them itself. Proof files it writes can be checked offline by a partner with
`check-inclusion` / `check-consistency` and the public key alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from services.audit.adapters.export import CSV_COLUMNS, csv_row, json_line, text_line
from services.audit.adapters.kafka import read_stored, stored_count
from services.audit.domain.chain import parse_entry, verify
from services.audit.domain.checkpoint import DEFAULT_ORIGIN, CheckpointError, Verifier, open_note
from services.audit.domain.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from services.audit.domain.queries import EntryFilter
from services.audit.topics import AUDIT_CHECKPOINTS, AUDIT_LOG

PROOF_FORMAT = "knooppunt-audit-proof/v1"


class Progress:
    """A small progress bar on stderr, only when a person watches (stderr is a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool | None = None) -> None:
        self.total, self.label, self.n = total, label, 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._start = self._last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if self.enabled and (now - self._last >= 0.1 or self.n == self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.n / max(now - self._start, 1e-9)
        if self.total:
            frac = min(self.n / self.total, 1.0)
            bar = "#" * int(frac * 30)
            text = f"\r{self.label} [{bar:<30}] {self.n}/{self.total} {frac:4.0%} {rate:,.0f}/s"
        else:
            text = f"\r{self.label} {self.n} {rate:,.0f}/s"
        print(text, end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            print(file=sys.stderr, flush=True)


async def _values(bootstrap: str, topic: str, show: bool | None = None) -> list[bytes | None]:
    total = await stored_count(bootstrap, topic) if (sys.stderr.isatty() if show is None else show) else 0
    bar = Progress(total, "reading", show)
    values: list[bytes | None] = []
    async for value in read_stored(bootstrap, topic):
        values.append(value)
        bar.update()
    bar.close()
    return values


async def _checkpoints(bootstrap: str, topic: str) -> list[bytes]:
    from services.audit.adapters.checkpoints import read_checkpoints

    return await read_checkpoints(bootstrap, topic)


def _verifier(args: argparse.Namespace, required: bool = False) -> Verifier | None:
    path = getattr(args, "public_key", None)
    if not path:
        if required:
            raise SystemExit("error: --public-key FILE (or $AUDIT_PUBLIC_KEY) is required")
        return None
    return Verifier.parse(Path(path).read_text(encoding="utf-8"))


def _filter(args: argparse.Namespace) -> EntryFilter:
    def when(s: str | None) -> datetime | None:
        if not s:
            return None
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return d if d.tzinfo else d.replace(tzinfo=UTC)

    return EntryFilter(signal_id=args.signal or "", recipient=args.recipient or "", subject_key=args.subject or "",
                       meeting_id=args.meeting or "", since=when(args.since), until=when(args.until))


def _replay(values: list[bytes | None], fmt: str, out: TextIO, filt: EntryFilter) -> int:
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    unreadable = 0
    for position, value in enumerate(values):
        entry = parse_entry(value)
        if entry is None:
            unreadable += 1
            print(f"warning: entry {position} is not an AuditEntry (run verify)", file=sys.stderr)
            continue
        if not filt.matches(entry):
            continue
        if writer is not None:
            writer.writerow(csv_row(entry))
        else:
            print(json_line(entry) if fmt == "jsonl" else text_line(entry), file=out)
    return 1 if unreadable else 0


def _verify(values: list[bytes | None], notes: list[bytes], verifier: Verifier | None, out: TextIO) -> int:
    result = verify(values, notes, verifier)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if result.ok:
        cp = result.latest_checkpoint
        signed = f", latest signed checkpoint at {cp.tree_size} ({cp.time.isoformat()})" if cp else ""
        print(f"OK: {result.entries_checked} entries, chain head {result.head_hex}, "
              f"root {result.root.hex()}, {result.checkpoints_checked} checkpoints verified{signed}", file=out)
        return 0
    where = (f"checkpoint {result.first_bad_checkpoint}" if result.first_bad_sequence < 0
             else f"entry {result.first_bad_sequence}")
    print(f"FAILED at {where} [{result.problem.value}]: {result.detail}", file=out)
    return 1


def _latest_note(notes: list[bytes], verifier: Verifier | None, covering: int = 0) -> tuple[str, int] | None:
    best = None
    for note in notes:
        try:
            cp = open_note(note, verifier) if verifier else None
        except CheckpointError:
            continue
        if cp and cp.tree_size >= covering and (best is None or cp.tree_size > best[1]):
            best = (note.decode(), cp.tree_size)
    return best


def _prove_inclusion(values: list[bytes | None], notes: list[bytes], verifier: Verifier | None,
                     sequence: int, tree_size: int | None) -> dict:
    leaves = [leaf_hash(v or b"") for v in values]
    note = None
    if tree_size is None:
        found = _latest_note(notes, verifier, covering=sequence + 1)
        if found is None:
            raise SystemExit("error: no signed checkpoint covers this entry yet (or no --public-key given); "
                             "pass --tree-size to prove against an unsigned size")
        note, tree_size = found
    proof = inclusion_proof(leaves, sequence, tree_size)
    return {
        "format": PROOF_FORMAT, "kind": "inclusion", "sequence": sequence, "tree_size": tree_size,
        "entry": base64.b64encode(values[sequence] or b"").decode(),
        "proof": [h.hex() for h in proof], "root_hash": root_from_leaf_hashes(leaves[:tree_size]).hex(),
        "checkpoint": note,
    }


def _check_proof(doc: dict, verifier: Verifier) -> str:
    """Verify a proof file; return a one-line description; raise ProofError/CheckpointError."""
    if doc.get("format") != PROOF_FORMAT:
        raise ProofError("not a knooppunt audit proof")
    try:
        proof = [bytes.fromhex(h) for h in doc["proof"]]
        if doc["kind"] == "inclusion":
            sequence, size = int(doc["sequence"]), int(doc["tree_size"])
            entry = base64.b64decode(doc["entry"], validate=True)
            note = doc.get("checkpoint")
        elif doc["kind"] == "consistency":
            old, new = int(doc["old_size"]), int(doc["new_size"])
            notes = doc.get("old_checkpoint"), doc.get("new_checkpoint")
        else:
            raise ProofError(f"unknown proof kind {doc['kind']!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ProofError(f"malformed proof file: {exc!r}") from exc
    if doc["kind"] == "inclusion":
        if not note:
            raise ProofError("the proof has no signed checkpoint to check against")
        cp = open_note(note, verifier)
        if cp.tree_size != size:
            raise ProofError(f"proof is for tree size {size}, the checkpoint signs {cp.tree_size}")
        verify_inclusion(sequence, size, leaf_hash(entry), proof, cp.root_hash)
        parsed = parse_entry(entry)
        what = text_line(parsed) if parsed is not None else "(entry bytes are not an AuditEntry)"
        return f"OK: entry {sequence} is in the log signed at size {size} ({cp.time.isoformat()}): {what}"
    if not all(notes):
        raise ProofError("a consistency proof needs both signed checkpoints")
    old_cp, new_cp = open_note(notes[0], verifier), open_note(notes[1], verifier)
    if (old_cp.tree_size, new_cp.tree_size) != (old, new):
        raise ProofError("proof sizes do not match the checkpoints")
    verify_consistency(old, new, old_cp.root_hash, new_cp.root_hash, proof)
    return f"OK: the log signed at size {new} extends the log signed at size {old} (append-only)"


def _note_of_size(notes: list[bytes], verifier: Verifier | None, size: int) -> str | None:
    for note in reversed(notes):
        try:
            if verifier and open_note(note, verifier).tree_size == size:
                return note.decode()
        except CheckpointError:
            continue
    return None


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")
    common.add_argument("--topic", default=AUDIT_LOG.name, help=f"audit topic (default: {AUDIT_LOG.name})")
    common.add_argument("--checkpoint-topic", default=AUDIT_CHECKPOINTS.name,
                        help=f"checkpoint topic (default: {AUDIT_CHECKPOINTS.name})")
    common.add_argument("--public-key", default=os.environ.get("AUDIT_PUBLIC_KEY"),
                        help="the log's verifier key file (default: $AUDIT_PUBLIC_KEY)")
    common.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                        help="a signed checkpoint you kept yourself (repeatable); checked like those on the topic")
    common.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: when stderr is a terminal)")
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--subject", help="only entries about this subject pseudonym (person:<hex>)")
    filters.add_argument("--recipient", help="only entries whose sharing names this recipient")
    filters.add_argument("--meeting", help="only entries of this LIO meeting id")
    filters.add_argument("--signal", help="only entries about this signal id")
    filters.add_argument("--since", help="only entries decided at or after this time (ISO 8601)")
    filters.add_argument("--until", help="only entries decided before this time (ISO 8601)")
    p = argparse.ArgumentParser(
        prog="knooppunt-audit",
        description="Replay, query, verify and prove the knooppunt audit log (read-only Kafka access suffices).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("replay", parents=[common, filters], help="print logged decisions in log order (with filters)")
    r.add_argument("--format", choices=("text", "jsonl", "csv"), default="text")
    r.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    sub.add_parser("verify", parents=[common],
                   help="check chain, Merkle tree and signed checkpoints; exit 1 naming the first damage")
    i = sub.add_parser("prove-inclusion", parents=[common], help="write a proof that entry SEQUENCE is in the log")
    i.add_argument("sequence", type=int)
    i.add_argument("--tree-size", type=int, help="prove against this size (default: the latest signed checkpoint)")
    i.add_argument("--output", metavar="FILE")
    c = sub.add_parser("prove-consistency", parents=[common], help="write a proof that NEW_SIZE extends OLD_SIZE")
    c.add_argument("old_size", type=int)
    c.add_argument("new_size", type=int)
    c.add_argument("--output", metavar="FILE")
    for name in ("check-inclusion", "check-consistency"):
        k = sub.add_parser(name, help="check a proof file offline with the public key only")
        k.add_argument("proof_file")
        k.add_argument("--public-key", default=os.environ.get("AUDIT_PUBLIC_KEY"))
    e = sub.add_parser("export-ldv", parents=[common, filters],
                       help="export Logboek Dataverwerkingen records (JSON lines), validated against the schema")
    e.add_argument("--output", metavar="FILE")
    e.add_argument("--register", default="deploy/policy/processing-register.toml",
                   help="the processing register (for the data subject id type)")
    g = sub.add_parser("keygen", help="generate the Ed25519 checkpoint signing key (for the audit service)")
    g.add_argument("--private-key", required=True, help="where the private key goes (mode 0600; never to auditors)")
    g.add_argument("--public-key", required=True, help="where the verifier key goes (give this to auditors)")
    g.add_argument("--name", default=DEFAULT_ORIGIN, help=f"log origin / key name (default: {DEFAULT_ORIGIN})")
    return p


def _emit(doc: dict, output: str | None) -> None:
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    if args.command == "keygen":
        from services.audit.adapters.checkpoints import generate_key

        vkey = generate_key(Path(args.private_key), Path(args.public_key), args.name)
        print(f"verifier key (give to auditors): {vkey}")
        return 0
    if args.command in ("check-inclusion", "check-consistency"):
        verifier = _verifier(args, required=True)
        try:
            doc = json.loads(Path(args.proof_file).read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                raise ProofError("proof file is not a JSON object")
            print(_check_proof(doc, verifier))
            return 0
        except (ProofError, CheckpointError, json.JSONDecodeError) as exc:
            print(f"FAILED: {exc}")
            return 1
    values = asyncio.run(_values(args.bootstrap_servers, args.topic, args.progress))
    verifier = _verifier(args)
    notes: list[bytes] = []
    if args.command in ("verify", "prove-inclusion", "prove-consistency"):
        notes = asyncio.run(_checkpoints(args.bootstrap_servers, args.checkpoint_topic))
        notes += [Path(f).read_bytes() for f in args.checkpoint]
    if args.command == "verify":
        return _verify(values, notes, verifier, sys.stdout)
    if args.command == "prove-inclusion":
        try:
            _emit(_prove_inclusion(values, notes, verifier, args.sequence, args.tree_size), args.output)
        except ProofError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "prove-consistency":
        leaves = [leaf_hash(v or b"") for v in values]
        try:
            proof = consistency_proof(leaves, args.old_size, args.new_size)
        except ProofError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        _emit({"format": PROOF_FORMAT, "kind": "consistency", "old_size": args.old_size, "new_size": args.new_size,
               "proof": [h.hex() for h in proof],
               "old_root_hash": root_from_leaf_hashes(leaves[:args.old_size]).hex(),
               "new_root_hash": root_from_leaf_hashes(leaves[:args.new_size]).hex(),
               "old_checkpoint": _note_of_size(notes, verifier, args.old_size),
               "new_checkpoint": _note_of_size(notes, verifier, args.new_size)}, args.output)
        return 0
    if args.command == "export-ldv":
        return _export_ldv(values, args)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            return _replay(values, args.format, out, _filter(args))
    return _replay(values, args.format, sys.stdout, _filter(args))


def _export_ldv(values: list[bytes | None], args: argparse.Namespace) -> int:
    import jsonschema

    from services.audit.adapters.ldv import ldv_records, load_schema
    from services.audit.domain.register import ProcessingRegister

    register = ProcessingRegister.parse(Path(args.register).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())
    filt = _filter(args)
    entries = [parse_entry(v) for v in values]
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    count = invalid = 0
    try:
        # Filters select records after subjects were inherited along referrals.
        for record in ldv_records(entries, register.data_subject_id_type):
            if filt.subject_key and record["attributes"]["dpl.core.data_subject_id"] != filt.subject_key:
                continue
            errors = list(validator.iter_errors(record))
            if errors:
                invalid += 1
                print(f"invalid LDV record {record['span_id']}: {errors[0].message}", file=sys.stderr)
                continue
            print(json.dumps(record, sort_keys=True, ensure_ascii=False), file=out)
            count += 1
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{count} LDV records written, {invalid} invalid", file=sys.stderr)
    return 1 if invalid else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `knooppunt-audit`; a reader that stops early (`| head`) ends output quietly."""
    try:
        return _main(argv)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
