"""One JSON file per run, a Markdown summary with every figure, ratio and target, and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

TARGETS = [  # (label, figure path, comparison, target, unit)
    ("bulk intake", ("system", "bulk_intake", "signals_per_s"), ">=", 5000, "signals/s"),
    ("intake -> registered, sustained", ("system", "sustained", "sustained_per_s"), ">=", 2000, "signals/s"),
    ("p99 at 50% load", ("system", "latency", "p99_ms"), "<=", 100, "ms"),
    ("registration / B_relay", ("ratios", "registration_vs_relay"), ">=", 0.25, ""),
    ("audit replay+verify / raw consume", ("ratios", "audit_vs_raw_consume"), ">=", 0.50, ""),
    ("1,000,000 signals imported", ("system", "million", "total_s"), "<=", 600, "s"),
]


def _get(data: dict, path: tuple) -> float | None:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _div(a: float, b: float) -> float | None:
    return a / b if b else None


def ratios(data: dict) -> dict:
    s = {k: v for k, v in data["system"].items() if "error" not in v}
    b = {k: v for k, v in data["baselines"].items() if "error" not in v}
    r = {}
    if "bulk_intake" in s and "rpc" in b:
        r["bulk_intake_vs_rpc_streaming"] = _div(s["bulk_intake"]["signals_per_s"], b["rpc"]["streaming_per_s"])
    if "registration" in s and "relay" in b:
        r["registration_vs_relay"] = _div(s["registration"]["events_per_s"], b["relay"]["records_per_s"])
    if "audit" in s:
        r["audit_vs_raw_consume"] = _div(s["audit"]["replay_verify_per_s"], s["audit"]["raw_consume_per_s"])
        if "hash" in b:
            r["audit_vs_hash"] = _div(s["audit"]["replay_verify_per_s"], b["hash"]["records_per_s"])
    if "sustained" in s and "kafka" in b:
        r["sustained_vs_kafka"] = _div(s["sustained"]["sustained_per_s"], b["kafka"]["records_per_s"])
    return {k: v for k, v in r.items() if v is not None}


def write(out: Path, data: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    latencies = data["system"].get("latency", {}).pop("latencies_s", [])
    (out / "run.json").write_text(json.dumps(data, indent=2, default=str))
    _plots(out, data, latencies)
    lines = [f"# knooppunt benchmark: profile `{data['profile']}`, {data['started']}", "",
             f"Machine: {data['machine']}. {data['note']}", "", "## Against the targets (issue 7)", "",
             "| figure | measured | target | met |", "|---|---|---|---|"]
    for label, path, op, target, unit in TARGETS:
        v = _get(data, path)
        met = "not measured" if v is None else ("yes" if (v >= target if op == ">=" else v <= target) else "**no**")
        lines.append(f"| {label} | {'—' if v is None else f'{v:,.2f} {unit}'} | {op} {target} {unit} | {met} |")
    lines += ["", "## Baselines (same run, 1 KiB records)", "", "| baseline | figure |", "|---|---|"]
    for name, fig in data["baselines"].items():
        if "error" in fig:
            lines.append(f"| B_{name} | not measured: {fig['error']} |")
            continue
        lines.append(f"| B_{name} | " + ", ".join(f"{k} {v:,.1f}" for k, v in fig.items() if isinstance(v, int | float)) + " |")
    lines += ["", "## Ratios", "", "| ratio | value |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in data["ratios"].items()]
    lines += ["", "## System figures", ""]
    for name, fig in data["system"].items():
        shown = {k: v for k, v in fig.items() if not isinstance(v, list | dict)}
        lines.append(f"- **{name}**: " + ", ".join(f"{k} {v:,.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items()))
        if isinstance(fig.get("peak_rss_mb"), dict):  # the import's own stack
            lines.append("  - peak memory (MB): " + ", ".join(f"{k} {v:,.0f}" for k, v in fig["peak_rss_mb"].items()))
        if isinstance(fig.get("cpu_us_per_signal"), dict):
            lines.append("  - CPU per signal (µs): " + ", ".join(f"{k} {v:,.0f}" for k, v in fig["cpu_us_per_signal"].items()))
    lines += ["", "Plots: `throughput.png` (registered signals per second during the sustained run), "
              "`latency.png` (distribution of intake -> registered latency at 50% load, open loop).", ""]
    (out / "summary.md").write_text("\n".join(lines))


def _plots(out: Path, data: dict, latencies: list[float]) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    series = data["system"].get("sustained", {}).get("per_second", [])
    if series:
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.plot(range(len(series)), series)
        ax.set_xlabel("s since start of load")
        ax.set_ylabel("signals registered / s")
        ax.set_title("intake -> registered throughput")
        fig.tight_layout()
        fig.savefig(out / "throughput.png", dpi=100)
        plt.close(fig)
    if latencies:
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.hist([x * 1000 for x in latencies], bins=100, log=True)
        ax.set_xlabel("latency from intended send to registered (ms)")
        ax.set_ylabel("signals")
        ax.set_title(f"latency at {data['system']['latency']['offered_per_s']:.0f} signals/s offered (open loop)")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
        plt.close(fig)
