"""CLV core benchmark: goodwill.analytics side by side with lifetimes 0.11.3, same data, same run.

    .venv/bin/python benchmarks/bench_clv.py --customers 1000000

Every measurement runs in a fresh subprocess (``clv_worker.py``): goodwill in this venv, lifetimes
in ``.venv-bench`` (create it with ``python3.11 -m venv .venv-bench && .venv-bench/bin/pip install
lifetimes pyarrow``). Times are the best of ``--repeat`` calls; peak memory is the worker's
``ru_maxrss`` (it includes the loaded input). The machine is shared, so compare ratios measured
in the same run. Prints a table and writes ``benchmarks/out/clv_results.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from clv_data import BGNBD_TRUTH, OBSERVATION_END, PARETO_TRUTH, SPEND_TRUTH, ensure  # noqa: E402

TARGETS = {  # seconds, and GB for the summary's peak memory
    "summary": (1.5, 0.6),
    "fit_bgnbd": (1.0, None),
    "fit_gg": (0.2, None),
    "fit_pareto": (3.0, None),
    "fit_pareto_small": (3.0, None),
    "score": (0.1, None),
}
LABELS = {
    "summary": "summary of {tx:,} transactions / {cust:,} customers",
    "fit_bgnbd": "BG/NBD fit, {n:,} customers",
    "fit_gg": "Gamma-Gamma fit, {gg:,} repeat buyers",
    "fit_pareto": "Pareto/NBD fit, {n:,} customers",
    "fit_pareto_small": "Pareto/NBD fit, first {small:,} of those customers",
    "score": "score {n:,} customers (P(alive), E[purchases 52w], CLV 12m)",
    "extreme": "non-finite outputs, x up to 10,000 (1,000 customers, 4 outputs)",
}


def run_worker(
    python: str, engine: str, task: str, args: dict[str, Any], timeout: float
) -> dict[str, Any]:
    cmd = [python, str(HERE / "clv_worker.py"), engine, task, json.dumps(args)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["crashed"])[-1][:300]}
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def _best(result: dict[str, Any]) -> float | None:
    times = result.get("times")
    return min(times) if times else None


def _fmt_time(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"failed: {result['error']}"
    best = _best(result)
    text = f"{best:.3f} s" if best is not None else "-"
    if result.get("cpu_times"):
        text += f" (cpu {min(result['cpu_times']):.3f} s)"
    if result.get("finite") is False:
        text += " (NaN/inf in output)"
    return text


def table(results: dict[str, dict[str, dict[str, Any]]], sizes: dict[str, int]) -> str:
    head = "| measurement | goodwill | lifetimes 0.11.3 | lifetimes / goodwill | target | met |\n|---|---|---|---|---|---|\n"
    rows = []
    for task, label in LABELS.items():
        if task not in results:
            continue
        gw, lt = results[task]["goodwill"], results[task]["lifetimes"]
        name = label.format(**sizes)
        if task == "extreme":
            rows.append(
                f"| {name} | {gw.get('non_finite', gw.get('error'))} | {lt.get('non_finite', lt.get('error'))} | | 0 | {'yes' if gw.get('non_finite') == [0, 0, 0, 0] else 'no'} |"
            )
            continue
        g, lbest = _best(gw), _best(lt)
        ratio = f"{lbest / g:.1f}x" if g and lbest else "-"
        limit, mem = TARGETS[task]
        met = g is not None and g <= limit and gw.get("finite", True) is not False
        target = f"<= {limit} s"
        gw_text, lt_text = _fmt_time(gw), _fmt_time(lt)
        if task == "summary":
            gw_text += f", peak {gw.get('peak_rss_mb', 0) / 1024:.2f} GB"
            lt_text += (
                f", peak {lt.get('peak_rss_mb', 0) / 1024:.2f} GB" if "error" not in lt else ""
            )
            target += f", <= {mem} GB"
            met = met and gw.get("peak_rss_mb", 1e9) / 1024 <= (mem or 0)
        rows.append(
            f"| {name} | {gw_text} | {lt_text} | {ratio} | {target} | {'yes' if met else 'NO'} |"
        )
    return head + "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lifetimes-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    parser.add_argument("--lifetimes-timeout", type=float, default=900.0)
    parser.add_argument(
        "--pareto-small",
        type=int,
        default=10_000,
        help="customers for the Pareto/NBD fit lifetimes can finish",
    )
    parser.add_argument("--only", nargs="*", default=list(LABELS))
    parser.add_argument(
        "--render", action="store_true", help="only re-print the table of the last run"
    )
    parser.add_argument(
        "--keep-lifetimes", action="store_true", help="with --only: reuse saved lifetimes figures"
    )
    opts = parser.parse_args()
    if opts.render:
        saved = json.loads((HERE / "out" / "clv_results.json").read_text())
        print(table(saved["results"], saved["sizes"]))
        return

    paths = ensure(
        HERE / "data", customers=opts.customers, transactions_n=opts.transactions, seed=opts.seed
    )
    bg_params = dict(BGNBD_TRUTH)
    common = {"repeat": opts.repeat}
    tasks: dict[str, dict[str, Any]] = {
        "summary": {
            "path": str(paths["transactions"]),
            "end": OBSERVATION_END.isoformat(),
            "repeat": 1 if opts.repeat < 3 else 2,
        },
        "fit_bgnbd": {"path": str(paths["bgnbd"]), **common},
        "fit_gg": {"path": str(paths["spend"]), **common},
        "fit_pareto": {"path": str(paths["pareto"]), **common},
        "fit_pareto_small": {"path": str(paths["pareto"]), "head": opts.pareto_small, **common},
        "score": {"path": str(paths["bgnbd"]), "bgnbd": bg_params, "gg": SPEND_TRUTH, **common},
        "extreme": {"bgnbd": bg_params, "pareto": PARETO_TRUTH},
    }
    results: dict[str, dict[str, dict[str, Any]]] = {}
    saved_path = HERE / "out" / "clv_results.json"
    if set(opts.only) != set(LABELS) and saved_path.exists():  # partial rerun: keep the rest
        results = json.loads(saved_path.read_text())["results"]
    for task in opts.only:
        args = tasks[task]
        lt_args = (
            dict(args, repeat=1) if task in ("fit_pareto", "fit_pareto_small", "summary") else args
        )
        print(f"[{task}] goodwill ...", file=sys.stderr, flush=True)
        gw = run_worker(sys.executable, "goodwill", task, args, timeout=600)
        if opts.keep_lifetimes and task in results:
            lt = results[task]["lifetimes"]  # measured in an earlier run; see the saved JSON
        else:
            print(f"[{task}] lifetimes ...", file=sys.stderr, flush=True)
            lt = run_worker(
                opts.lifetimes_python, "lifetimes", task, lt_args, timeout=opts.lifetimes_timeout
            )
        results[task] = {"goodwill": gw, "lifetimes": lt}
        print(
            f"    goodwill {_fmt_time(gw)} | lifetimes {_fmt_time(lt)}", file=sys.stderr, flush=True
        )

    import polars as pl

    sizes = {
        "tx": pl.scan_parquet(paths["transactions"]).select(pl.len()).collect().item(),
        "cust": pl.scan_parquet(paths["transactions"])
        .select(pl.col("customer_id").n_unique())
        .collect()
        .item(),
        "n": opts.customers,
        "small": opts.pareto_small,
        "gg": pl.scan_parquet(paths["spend"]).select(pl.len()).collect().item(),
    }
    text = table(results, sizes)
    print(text)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "clv_results.json").write_text(
        json.dumps({"sizes": sizes, "results": results}, indent=2, default=str)
    )
    (out / "clv_results.md").write_text(text)


if __name__ == "__main__":
    main()
