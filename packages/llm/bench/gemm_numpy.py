"""The numpy (OpenBLAS) peer of `npm run bench:gemm`, run as a server so that the bench can
alternate our runs and the peer's one by one.

Usage: python3 bench/gemm_numpy.py MIN_RUN_MS
Prints a first JSON line describing the BLAS (library, version, kernel core), then for every line
`M,K,N,TA,TB` read from stdin times one run of that product (back-to-back calls lasting at least
MIN_RUN_MS, after a warmup the first time the shape is seen; its operands are kept for the next
time) and prints `{"gflops": x}`.
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


def gemm_timer(m, k, n, ta, tb, min_run_ms):
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

    def run():
        # One untimed call first, as in src/backend/bench-gemm.ts: it wakes the BLAS threads.
        np.matmul(opa, opb, out=out)
        t0 = time.perf_counter()
        for _ in range(calls):
            np.matmul(opa, opb, out=out)
        return flops / (time.perf_counter() - t0) / 1e9

    return run


def main():
    min_run_ms = float(sys.argv[1])
    print(json.dumps({"peer": blas_info()}), flush=True)
    timers = {}
    for line in sys.stdin:
        spec = line.strip()
        if not spec:
            continue
        if spec not in timers:
            m, k, n, ta, tb = (int(x) for x in spec.split(","))
            timers[spec] = gemm_timer(m, k, n, bool(ta), bool(tb), min_run_ms)
        print(json.dumps({"gflops": timers[spec]()}), flush=True)


if __name__ == "__main__":
    main()
