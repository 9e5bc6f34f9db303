#!/usr/bin/env python
"""One timed conversion by the Python tools in this (fresh) process, for
`cargo xtask bench-io`.

    python anndata_op.py OP IN OUT

OP is one of
  loom_to_h5ad   anndata.read_loom(IN).write_h5ad(OUT)
  h5ad_to_loom   anndata.read_h5ad(IN).write_loom(OUT)
  tenx_to_loom   scanpy.read_10x_h5(IN), then loompy.create(OUT, X.T, var, obs)
                 (genes x cells, as the loom spec wants)
  make_10x       (setup, untimed) a Cell Ranger v3 .h5 at OUT holding the
                 matrix of the h5ad IN (CSR cells x genes = 10x's CSC)

Prints one line

    BENCH wall_s=.. user_s=.. sys_s=.. rss_before_kb=.. peak_rss_kb=..
          rss_anon_kb=.. rss_file_kb=.. n=.. sum=..

Method (as loompy_op.py): the imports are untimed setup; the conversion is
timed, wall with time.perf_counter, CPU as user+sys from getrusage(RUSAGE_SELF).
"OPDONE" is printed when the conversion ends (the harness samples RssAnon until
then); n and sum, the nonzero count and float64 sum of the converted matrix, are
read back afterwards from what was written.
"""
import resource
import sys
import time
import warnings

import numpy as np
from procstatus import status_kb


def make_10x(src, out):
    import h5py

    with h5py.File(src, "r") as f, h5py.File(out, "w") as o:
        x = f["X"]
        n_obs, n_var = (int(v) for v in x.attrs["shape"])
        g = o.create_group("matrix")
        g.create_dataset("data", data=x["data"][:].astype(np.int32), compression="gzip")
        g.create_dataset("indices", data=x["indices"][:].astype(np.int64), compression="gzip")
        g.create_dataset("indptr", data=x["indptr"][:].astype(np.int64))
        g.create_dataset("shape", data=np.array([n_var, n_obs], dtype=np.int32))
        obs = f["obs"]["_index"][:]
        var = f["var"]["_index"][:]
        g.create_dataset("barcodes", data=np.array(obs, dtype="S"))
        fe = g.create_group("features")
        fe.create_dataset("id", data=np.array([f"ENSG{i:08d}" for i in range(n_var)], dtype="S"))
        fe.create_dataset("name", data=np.array(var, dtype="S"))
        fe.create_dataset("feature_type", data=np.array([b"Gene Expression"] * n_var))
        fe.create_dataset("genome", data=np.array([b"GRCh38"] * n_var))
        fe.create_dataset("_all_tag_keys", data=np.array([b"genome"]))


def main():
    op, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
    warnings.simplefilter("ignore")
    if op == "make_10x":
        make_10x(src, out)
        return

    import anndata
    import loompy
    import scanpy

    def loom_to_h5ad():
        anndata.read_loom(src).write_h5ad(out)

    def h5ad_to_loom():
        anndata.read_h5ad(src).write_loom(out)

    def tenx_to_loom():
        a = scanpy.read_10x_h5(src)
        row_attrs = {"Gene": np.asarray(a.var_names), "Accession": np.asarray(a.var["gene_ids"])}
        col_attrs = {"CellID": np.asarray(a.obs_names)}
        loompy.create(out, a.X.T.tocsc(), row_attrs, col_attrs)

    run = {
        "loom_to_h5ad": loom_to_h5ad,
        "h5ad_to_loom": h5ad_to_loom,
        "tenx_to_loom": tenx_to_loom,
    }[op]
    rss_before = status_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    peak, anon, file_kb = status_kb("VmHWM"), status_kb("RssAnon"), status_kb("RssFile")

    print("OPDONE", flush=True)
    import h5py

    n, total = 0, 0.0
    with h5py.File(out, "r") as f:
        if op == "loom_to_h5ad":
            data = f["X"]["data"][:]
            n, total = int(np.count_nonzero(data)), float(np.sum(data, dtype=np.float64))
        else:
            m = f["matrix"]
            for i in range(0, m.shape[0], 512):
                b = m[i : i + 512]
                n += int(np.count_nonzero(b))
                total += float(np.sum(b, dtype=np.float64))
    print(
        f"BENCH wall_s={wall:.6f} user_s={r1.ru_utime - r0.ru_utime:.6f} "
        f"sys_s={r1.ru_stime - r0.ru_stime:.6f} rss_before_kb={rss_before} "
        f"peak_rss_kb={peak} rss_anon_kb={anon} rss_file_kb={file_kb} "
        f"n={n} sum={total!r}"
    )


if __name__ == "__main__":
    main()
