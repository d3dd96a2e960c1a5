"""The numpy (OpenBLAS) peer of `llm-scratch bench gemm`: the same shapes, warmup and repeats.

Usage: python3 bench/gemm_numpy.py REPEATS MIN_RUN_MS M,K,N,TA,TB [...]
Prints one JSON object per shape, like the bench's --json lines, and a first line describing the
BLAS (library, version, kernel core) so the table can say which OpenBLAS kernel it ran against.
Threads come from OPENBLAS_NUM_THREADS, set by the caller.
"""

import json
import os
import sys
import time

import numpy as np


def blas_info():
    info = {"numpy": np.__version__, "threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                info.update(
                    {
                        "blas": pool.get("internal_api"),
                        "version": pool.get("version"),
                        "core": pool.get("architecture"),
                    }
                )
    except ImportError:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info.update({"blas": blas.get("name"), "version": blas.get("version")})
        # Without threadpoolctl, ask OpenBLAS itself which kernel core it picked.
        try:
            import ctypes

            libs = [
                os.path.join(root, f)
                for root, _, files in os.walk(os.path.dirname(np.__file__) + "/../numpy.libs")
                for f in files
                if "openblas" in f
            ]
            if libs:
                lib = ctypes.CDLL(libs[0])
                for prefix in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
                    fn = getattr(lib, prefix, None)
                    if fn is not None:
                        fn.restype = ctypes.c_char_p
                        info["core"] = fn().decode()
                        break
        except OSError:
            pass
    return info


def time_gemm(m, k, n, ta, tb, repeats, min_run_ms):
    rng = np.random.default_rng(0)
    # Stored layouts as in our bench: A is k x m when transposed, B is n x k; .T is a free view
    # that numpy hands to sgemm as a transpose flag.
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    opa = a.T if ta else a
    opb = b.T if tb else b
    out = np.empty((m, n), dtype=np.float32)
    # Warm up, then size a run to at least min_run_ms, exactly as src/backend/bench-gemm.ts does.
    t0 = time.perf_counter()
    for _ in range(2):
        np.matmul(opa, opb, out=out)
    once = max((time.perf_counter() - t0) / 2, 1e-6)
    calls = max(1, int(-(-min_run_ms / 1000 // once)))
    flops = 2.0 * m * k * n * calls
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(opa, opb, out=out)
        samples.append(flops / (time.perf_counter() - t0) / 1e9)
    return samples


def main():
    repeats = int(sys.argv[1])
    min_run_ms = float(sys.argv[2])
    print(json.dumps({"peer": blas_info()}), flush=True)
    for spec in sys.argv[3:]:
        m, k, n, ta, tb = (int(x) for x in spec.split(","))
        samples = sorted(time_gemm(m, k, n, bool(ta), bool(tb), repeats, min_run_ms))
        row = {"kernel": "gemm", "m": m, "k": k, "n": n, "transA": bool(ta), "transB": bool(tb)}
        row["threads"] = int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))
        row["gflops"] = round(samples[(len(samples) - 1) // 2], 1)
        row["best"] = round(samples[-1], 1)
        row["samples"] = [round(x, 2) for x in samples]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
