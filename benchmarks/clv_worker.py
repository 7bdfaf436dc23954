"""One timed benchmark task in a fresh process; prints one JSON line.

Run by ``bench_clv.py`` as ``python clv_worker.py ENGINE TASK ARGS_JSON`` with ENGINE ``goodwill``
(project venv) or ``lifetimes`` (``.venv-bench``). Imports only what the engine needs, so the
lifetimes venv never imports goodwill. Peak memory is this process's ``ru_maxrss``.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from typing import Any


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CPU_TIMES: list[float] = []  # process CPU seconds per call (all threads), reported alongside


def _timed(fn: Any, repeat: int) -> tuple[Any, list[float]]:
    times = []
    out = None
    for _ in range(repeat):
        out = None  # drop the previous result first: peak memory is per call
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        CPU_TIMES.append(time.process_time() - c0)
    return out, times


def _finite(values: Any) -> bool:
    return all(math.isfinite(float(v)) for v in values)


def goodwill_task(task: str, args: dict[str, Any]) -> dict[str, Any]:
    import datetime as dt

    import numpy as np
    import polars as pl

    from goodwill.analytics import BGNBD, GammaGamma, ParetoNBD, score, summarize

    if task == "summary":
        df = pl.read_parquet(args["path"])
        loaded = _rss_mb()
        end = dt.date.fromisoformat(args["end"])
        out, times = _timed(
            lambda: summarize(df, "customer_id", "date", "value", observation_end=end),
            args["repeat"],
        )
        check = [float(out[c].sum()) for c in ("frequency", "recency", "T", "monetary_value")]
        return {"times": times, "rss_after_load_mb": loaded, "check": check, "rows": out.height}
    if task in ("fit_bgnbd", "fit_pareto", "fit_pareto_small"):
        df = pl.read_parquet(args["path"])
        if args.get("head"):
            df = df.head(args["head"])
        cls = BGNBD if task == "fit_bgnbd" else ParetoNBD
        model, times = _timed(
            lambda: cls().fit(df["frequency"], df["recency"], df["T"]), args["repeat"]
        )
        return {
            "times": times,
            "params": model.params,
            "log_likelihood": model.log_likelihood,
            "finite": _finite(model.params.values()) and math.isfinite(model.log_likelihood),
            "warnings": list(model.diagnostics.warnings),
        }
    if task == "fit_gg":
        df = pl.read_parquet(args["path"])
        model, times = _timed(
            lambda: GammaGamma().fit(df["frequency"], df["monetary_value"]), args["repeat"]
        )
        return {
            "times": times,
            "params": model.params,
            "log_likelihood": model.log_likelihood,
            "finite": _finite(model.params.values()),
        }
    if task == "score":
        df = pl.read_parquet(args["path"])
        bg = BGNBD.from_params(**args["bgnbd"])
        gg = GammaGamma.from_params(**args["gg"])
        out, times = _timed(
            lambda: score(
                bg,
                df,
                horizon=52.0,
                spend_model=gg,
                months=12,
                discount_rate=0.01,
                periods_per_month=4.345,
            ),
            args["repeat"],
        )
        cols = ("p_alive", "expected_purchases", "clv")
        finite = all(bool(np.isfinite(out[c].to_numpy()).all()) for c in cols)
        return {"times": times, "check": [float(out[c].sum()) for c in cols], "finite": finite}
    if task == "extreme":
        return _extreme(
            lambda x, tx, T: (
                BGNBD.from_params(**args["bgnbd"]).p_alive(x, tx, T),
                BGNBD.from_params(**args["bgnbd"]).conditional_expected_purchases(52.0, x, tx, T),
                ParetoNBD.from_params(**args["pareto"]).p_alive(x, tx, T),
                ParetoNBD.from_params(**args["pareto"]).conditional_expected_purchases(
                    52.0, x, tx, T
                ),
            )
        )
    raise SystemExit(f"unknown task {task}")


def _extreme(fn: Any) -> dict[str, Any]:
    import numpy as np

    x = np.repeat([0.0, 10.0, 100.0, 1000.0, 10000.0], 200)
    rng = np.random.default_rng(0)
    T = rng.uniform(10, 100, x.shape[0])
    tx = np.where(x > 0, T * rng.uniform(0.01, 1.0, x.shape[0]), 0.0)
    try:
        outs = fn(x, tx, T)
    except Exception as exc:  # record, do not hide
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    bad = [int(np.count_nonzero(~np.isfinite(np.asarray(o, dtype=float)))) for o in outs]
    return {"non_finite": bad, "n": int(x.shape[0])}


def lifetimes_task(task: str, args: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import numpy as np
    import pandas as pd

    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data

    if task == "summary":
        df = pd.read_parquet(args["path"])
        df["date"] = pd.to_datetime(df["date"])
        loaded = _rss_mb()
        out, times = _timed(
            lambda: summary_data_from_transaction_data(
                df, "customer_id", "date", "value", observation_period_end=args["end"], freq="D"
            ),
            args["repeat"],
        )
        check = [float(out[c].sum()) for c in ("frequency", "recency", "T", "monetary_value")]
        return {"times": times, "rss_after_load_mb": loaded, "check": check, "rows": len(out)}
    if task in ("fit_bgnbd", "fit_pareto", "fit_pareto_small"):
        df = pd.read_parquet(args["path"])
        if args.get("head"):
            df = df.head(args["head"])
        cls = BetaGeoFitter if task == "fit_bgnbd" else ParetoNBDFitter
        model, times = _timed(
            lambda: cls().fit(df["frequency"], df["recency"], df["T"]), args["repeat"]
        )
        params = {k: float(v) for k, v in model.params_.items()}
        return {"times": times, "params": params, "finite": _finite(params.values())}
    if task == "fit_gg":
        df = pd.read_parquet(args["path"])
        model, times = _timed(
            lambda: GammaGammaFitter().fit(df["frequency"], df["monetary_value"]), args["repeat"]
        )
        params = {k: float(v) for k, v in model.params_.items()}
        return {"times": times, "params": params, "finite": _finite(params.values())}
    if task in ("score", "extreme"):
        bg = BetaGeoFitter()
        bg.params_ = pd.Series(args["bgnbd"])
        bg.predict = (
            bg.conditional_expected_number_of_purchases_up_to_time
        )  # set by fit() in lifetimes
        pareto = ParetoNBDFitter()
        pareto.params_ = pd.Series(args.get("pareto", {}))
        if task == "extreme":
            return _extreme(
                lambda x, tx, T: (
                    bg.conditional_probability_alive(x, tx, T),
                    bg.conditional_expected_number_of_purchases_up_to_time(52.0, x, tx, T),
                    pareto.conditional_probability_alive(x, tx, T),
                    pareto.conditional_expected_number_of_purchases_up_to_time(52.0, x, tx, T),
                )
            )
        df = pd.read_parquet(args["path"])
        gg = GammaGammaFitter()
        gg.params_ = pd.Series(
            {"p": args["gg"]["p"], "q": args["gg"]["q"], "v": args["gg"]["gamma"]}
        )
        f, r, T, m = df["frequency"], df["recency"], df["T"], df["monetary_value"]

        def run() -> list[Any]:
            alive = bg.conditional_probability_alive(f, r, T)
            purchases = bg.conditional_expected_number_of_purchases_up_to_time(52.0, f, r, T)
            clv = gg.customer_lifetime_value(bg, f, r, T, m, time=12, discount_rate=0.01, freq="W")
            return [alive, purchases, clv]

        out, times = _timed(run, args["repeat"])
        arrays = [np.asarray(o, dtype=float) for o in out]
        return {
            "times": times,
            "check": [float(np.nansum(a)) for a in arrays],
            "finite": all(bool(np.isfinite(a).all()) for a in arrays),
        }
    raise SystemExit(f"unknown task {task}")


def main() -> None:
    engine, task, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    args = json.loads(raw)
    try:
        result = goodwill_task(task, args) if engine == "goodwill" else lifetimes_task(task, args)
    except Exception as exc:  # the orchestrator records crashes honestly
        result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    result["peak_rss_mb"] = _peak_mb()
    if CPU_TIMES:
        result["cpu_times"] = CPU_TIMES
    print(json.dumps(result))


if __name__ == "__main__":
    main()
