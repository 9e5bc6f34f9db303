#!/usr/bin/env python
"""One timed loompy read operation in this (fresh) process, for `cargo xtask bench`.

    python loompy_op.py FILE OP [INDEX]

OP is one of connect_attrs, read_full, row_1, rows_slice_100, col_1,
cols_slice_1000, rows_100, cols_10, cols_100, cols_1000, sparse_main; INDEX is
the row, column or slice start, or the comma-separated sorted index list (from
FILE.indices). sparse_main's checksum is the sum of the COO values and n its
nnz. Prints one line

    BENCH wall_s=.. user_s=.. sys_s=.. rss_before_kb=.. peak_rss_kb=..
          rss_anon_kb=.. rss_file_kb=.. n=.. sum=..

Method (as in perf-baseline.md): `import loompy` and, for the read ops,
`loompy.connect(FILE, "r")` are untimed setup. Only the operation is timed:
wall with time.perf_counter, CPU as user+sys from getrusage(RUSAGE_SELF).
VmHWM is reset (/proc/self/clear_refs = 5) just before the operation and read
just after it, with RssAnon and RssFile (mapped file pages). The float64 checksum is computed after the timed region.
"""
import resource
import sys
import time

import numpy as np


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def checksum(values):
    """float64 sum: numbers summed as float64, strings counted by length."""
    if values.dtype.kind in "OUS":
        return float(sum(len(s) for s in values)), len(values)
    return float(np.sum(values, dtype=np.float64)), int(values.size)


def main():
    path, op = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else "0"
    # A number, or a comma-separated sorted index list (rows_100, cols_*).
    index = int(arg) if "," not in arg else 0
    picks = [int(x) for x in arg.split(",")] if "," in arg else []

    import loompy

    ds = None
    if op == "connect_attrs":

        def run():
            d = loompy.connect(path, "r")
            out = [d.ra[k] for k in d.ra.keys()] + [d.ca[k] for k in d.ca.keys()]
            return d, out

    else:
        ds = loompy.connect(path, "r")
        n_rows, n_cols = ds.shape
        ops = {
            "read_full": lambda: ds[:, :],
            "row_1": lambda: ds[index, :],
            "rows_slice_100": lambda: ds[index : index + 100, :],
            "col_1": lambda: ds[:, index],
            "cols_slice_1000": lambda: ds[:, index : index + 1000],
            # h5py fancy lists (sorted, as h5py requires), as in the baseline.
            "rows_100": lambda: ds[picks, :],
            "cols_10": lambda: ds[:, picks],
            "cols_100": lambda: ds[:, picks],
            "cols_1000": lambda: ds[:, picks],
            # scipy.sparse.coo_matrix of the main layer.
            "sparse_main": lambda: ds.layers[""].sparse(),
        }
        if op not in ops:
            sys.exit(f"unknown op {op!r}")
        run = lambda: (None, ops[op]())  # noqa: E731

    reset_peak()
    rss_before = status_kb("VmRSS")
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    d, result = run()
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    peak = status_kb("VmHWM")
    anon, file = status_kb("RssAnon"), status_kb("RssFile")

    if op == "connect_attrs":
        total, n = 0.0, 0
        for v in result:
            s, k = checksum(np.asarray(v))
            total += s
            n += k
        d.close()
    elif op == "sparse_main":
        # Sum of the stored values and their count (nnz).
        total, n = float(np.sum(result.data, dtype=np.float64)), int(result.nnz)
        ds.close()
    else:
        total, n = checksum(np.asarray(result))
        ds.close()
    print(
        "BENCH"
        f" wall_s={t1 - t0!r}"
        f" user_s={r1.ru_utime - r0.ru_utime!r}"
        f" sys_s={r1.ru_stime - r0.ru_stime!r}"
        f" rss_before_kb={rss_before} peak_rss_kb={peak}"
        f" rss_anon_kb={anon} rss_file_kb={file}"
        f" n={n} sum={total!r}",
        flush=True,
    )


if __name__ == "__main__":
    main()
