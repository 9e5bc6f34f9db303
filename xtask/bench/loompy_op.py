#!/usr/bin/env python
"""One timed loompy read operation in this (fresh) process, for `cargo xtask bench`.

    python loompy_op.py FILE OP [INDEX]

OP is one of connect_attrs, read_full, row_1, rows_slice_100, col_1,
cols_slice_1000, rows_100, cols_10, cols_100, cols_1000, sparse_main, or a file
operation: scan_cols, scan_rows, map_cols, map_rows, permute_cols, permute_rows,
add_columns, combine, combine_faster (see xtask/src/bench/ops.rs); INDEX is
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
Ops that write work on scratch files in target/bench/tmp and print the checksum of
the written file, read back after the timed region, on a `CHECK sum=.. n=..
out_bytes=..` line.
"""
import os
import resource
import shutil
import sys
import time

import numpy as np
from procstatus import status_kb

if not hasattr(np, "in1d"):
    np.in1d = np.isin  # loompy 3.0.8 slices graphs with np.in1d, gone in numpy >= 2.4

# Column (row) permutation step of permute_*: coprime with both medium and small shapes.
STEP = 7919
# Columns appended by add_columns.
ADDED = 5000


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

    elif op in WRITE_OPS:
        return write_op(loompy, path, op)
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
            # Sum of every window's main layer, inside the timed region.
            "scan_cols": lambda: scan_sum(ds, 1),
            "scan_rows": lambda: scan_sum(ds, 0),
            "map_cols": lambda: ds.map([np.sum], axis=1)[0],
            "map_rows": lambda: ds.map([np.sum], axis=0)[0],
        }
        if op not in ops:
            sys.exit(f"unknown op {op!r}")
        run = lambda: (None, ops[op]())  # noqa: E731

    t0, t1, r0, r1, rss_before, peak, anon, file, (d, result) = timed(run)

    if op == "connect_attrs":
        total, n = 0.0, 0
        for v in result:
            s, k = checksum(np.asarray(v))
            total += s
            n += k
        d.close()
    elif op.startswith("scan_"):
        total, n = result
        ds.close()
    elif op == "sparse_main":
        # Sum of the stored values and their count (nnz).
        total, n = float(np.sum(result.data, dtype=np.float64)), int(result.nnz)
        ds.close()
    else:
        total, n = checksum(np.asarray(result))
        ds.close()
    bench_line(t0, t1, r0, r1, rss_before, peak, anon, file, n, total)


def timed(run):
    """Runs `run()` between the measurements."""
    reset_peak()
    rss_before = status_kb("VmRSS")
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    result = run()
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    peak = status_kb("VmHWM")
    anon, file = status_kb("RssAnon"), status_kb("RssFile")
    return t0, t1, r0, r1, rss_before, peak, anon, file, result


def bench_line(t0, t1, r0, r1, rss_before, peak, anon, file, n, total):
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


def scan_sum(ds, axis):
    """scan with loompy's defaults; the sum and count of every window's main layer."""
    total, n = 0.0, 0
    for _, _, view in ds.scan(axis=axis):
        m = view[:, :]
        total += float(np.sum(m, dtype=np.float64))
        n += m.size
    return total, n


WRITE_OPS = ("permute_cols", "permute_rows", "add_columns", "combine", "combine_faster")


def scratch(op):
    d = os.path.join("target", "bench", "tmp")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, f"{op}-loompy.loom")


def check_line(path, total, n):
    print(f"CHECK sum={total!r} n={n} out_bytes={os.path.getsize(path)}", flush=True)


def region_checksum(loompy, path, start, count):
    with loompy.connect(path, "r", validate=False) as ds:
        m = ds[:, start : start + count]
        check_line(path, float(np.sum(m, dtype=np.float64)), ds.shape[0] * ds.shape[1])


def write_op(loompy, path, op):
    """An op that writes: on a copy (untimed) or into a new file, checksum read back."""
    out = scratch(op)
    try:
        if op in ("combine", "combine_faster"):
            f = loompy.combine if op == "combine" else loompy.combine_faster
            m = timed(lambda: f([path, path], out))
            bench_line(*m[:8], 0, 0.0)
            with loompy.connect(path, "r") as ds:
                n_cols = ds.shape[1]
            region_checksum(loompy, out, n_cols - 1000, 2000)
            return
        shutil.copyfile(path, out)
        with loompy.connect(out, "r+") as ds:
            if op == "add_columns":
                n_cols = ds.shape[1]
                blocks = {k: ds.layers[k][:, :ADDED].astype(np.float32) for k in ds.layers.keys()}
                ca = {k: ds.ca[k][:ADDED] for k in ds.ca.keys()}
                m = timed(lambda: ds.add_columns(blocks, ca))
            else:
                axis = 1 if op == "permute_cols" else 0
                length = ds.shape[axis]
                ordering = (np.arange(length, dtype=np.int64) * STEP) % length
                m = timed(lambda: ds.permute(ordering, axis=axis))
        bench_line(*m[:8], 0, 0.0)
        if op == "add_columns":
            region_checksum(loompy, out, n_cols, ADDED)
            return
        with loompy.connect(out, "r", validate=False) as ds:
            if axis == 1:
                a = ds[:, :1000].astype(np.float64)
                w = np.arange(1, 1001, dtype=np.float64)[None, :]
            else:
                a = ds[:1000, :].astype(np.float64)
                w = np.arange(1, 1001, dtype=np.float64)[:, None]
            check_line(out, float(np.sum(a * w)), a.size)
    finally:
        if os.path.exists(out):
            os.remove(out)


if __name__ == "__main__":
    main()
