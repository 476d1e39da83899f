"""The cost of one document put (its own committed transaction) and get
through Python (ctypes over libweft.so), as a ratio to the same loop in C++
and in C (bench/binding_bench, run by this script in the same run).

    WEFT_LIB=build/release/lib/libweft.so PYTHONPATH=bindings/python \\
        python3 bench/binding_bench.py build/release/bench/binding_bench

WEFT_BENCH_SMOKE=1 runs a few hundred iterations only.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import weft

KEYS = 1000
ITERATIONS = 20000  # as binding_bench.cc: same work on a fresh database


def python_us_per_op(iterations: int) -> float:
    folder = tempfile.mkdtemp(prefix="weft-bench-")
    try:
        with weft.open(os.path.join(folder, "db")) as db:
            start = time.perf_counter()
            for i in range(iterations):
                doc = f"bench/{i % KEYS}"
                with db.transaction() as txn:
                    txn.put(doc, {"title": f"note {i}", "n": i, "done": False})
                db.get(doc)
            return (time.perf_counter() - start) / iterations * 1e6
    finally:
        shutil.rmtree(folder)


def native_us_per_op(binary: str, smoke: bool) -> dict:
    args = [binary, "--benchmark_format=json", "--benchmark_repetitions=3",
            "--benchmark_report_aggregates_only=true"]
    report = json.loads(subprocess.run(args, check=True, capture_output=True,
                                       text=True).stdout)
    result = {}
    for run in report["benchmarks"]:
        if run.get("aggregate_name") == "median":
            name = run["run_name"].split("/")[0]
            result[name] = run["real_time"]  # microseconds
    return result


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    smoke = os.environ.get("WEFT_BENCH_SMOKE") is not None
    iterations = 300 if smoke else ITERATIONS
    python = statistics.median(python_us_per_op(iterations) for _ in range(3))
    native = native_us_per_op(sys.argv[1], smoke)
    cpp, c = native["BM_PutGetCpp"], native["BM_PutGetC"]
    print(f"put+get, one committed transaction each, {ITERATIONS} on a "
          "fresh database, median of 3 runs")
    print(f"  C++ API     {cpp:8.2f} us/op   1.00x")
    print(f"  C API       {c:8.2f} us/op   {c / cpp:.2f}x")
    print(f"  Python      {python:8.2f} us/op   {python / cpp:.2f}x "
          f"({python - cpp:+.2f} us per put+get)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
