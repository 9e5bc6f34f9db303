#!/usr/bin/env python
"""Random inputs for loom-io's converters and the real tools' reading of them, for
`cargo xtask crosscheck-io`.

    python io_random.py gen DIR SEED    write the inputs of one seeded case into DIR
    python io_random.py check DIR       compare loom-io's outputs in DIR with the tools

`gen` writes (shapes, dtypes, densities, compression and layouts drawn from SEED):
  in.h5ad      anndata.write_h5ad: X dense / CSR / CSC, a counts layer, obs and var
               columns (float, int, bool, categorical, string), obsm, varm, obsp
               (CSR or CSC), uns scalars and strings; gzip, lzf or no compression
  in.loom      loompy.create: main layer, spliced/unspliced, attributes, a column graph
  in_10x.h5    a Cell Ranger v3 .h5 (h5py, 10x's layout)
  tenx/        a Cell Ranger v3 matrix folder (matrix.mtx.gz, features/barcodes.tsv.gz)
  mtx/         a MatrixMarket file with its entries shuffled, genes.tsv, barcodes.tsv,
               and expected_mtx.loom from loompy.create_from_matrix_market
The harness then writes from_h5ad.loom, to.h5ad, to_mtx/, from_10x_h5.loom,
from_tenx.loom and from_mtx.loom with loom-io; `check` compares each with the tool's
view of its input and prints `OK name` or `FAIL name: reason` lines.
"""
import gzip
import os
import sys
import warnings

import numpy as np
import scipy.io
import scipy.sparse as sp

warnings.simplefilter("ignore")


def rand_matrix(rng, n, m, dtype):
    density = rng.choice([0.0, 0.02, 0.2, 0.7])
    a = sp.random(n, m, density=density, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 50, size=k))
    return a.astype(dtype)


def gen(d, seed):
    import anndata as ad
    import h5py
    import loompy
    import pandas as pd

    rng = np.random.default_rng(seed)
    os.makedirs(d, exist_ok=True)
    big = seed % 4 == 0  # every fourth case spans several windows
    n_obs = int(rng.integers(3000, 4000) if big else rng.integers(1, 120))
    n_var = int(rng.integers(1500, 2000) if big else rng.integers(1, 60))

    # h5ad
    layout = rng.choice(["dense", "csr", "csc"])
    x = rand_matrix(rng, n_obs, n_var, rng.choice([np.float32, np.float64]))
    X = x.toarray() if layout == "dense" else (x.tocsc() if layout == "csc" else x)
    cats = np.array(["a", "b", "c é"])
    obs = pd.DataFrame(
        {
            "f": rng.normal(size=n_obs),
            "i": rng.integers(-5, 5, size=n_obs),
            "b": rng.random(n_obs) < 0.5,
            "cat": pd.Categorical(cats[rng.integers(0, 3, size=n_obs)]),
            "s": [f"s{k}" for k in rng.integers(0, 1000, size=n_obs)],
        },
        index=[f"cell{k}" for k in range(n_obs)],
    )
    var = pd.DataFrame({"g": [f"g{k % 7}" for k in range(n_var)]},
                       index=[f"gene{k}" for k in range(n_var)])
    a = ad.AnnData(X=X, obs=obs, var=var)
    a.layers["counts"] = rand_matrix(rng, n_obs, n_var, np.int32)
    a.obsm["X_pca"] = rng.normal(size=(n_obs, 3))
    a.varm["PCs"] = rng.normal(size=(n_var, 2))
    g = rand_matrix(rng, n_obs, n_obs, np.float64)
    a.obsp["connectivities"] = g.tocsc() if rng.random() < 0.5 else g
    a.uns["answer"] = 42
    a.uns["title"] = "random case"
    comp = rng.choice([None, "gzip", "lzf"])
    a.write_h5ad(os.path.join(d, "in.h5ad"), compression=comp)

    # loom
    main = rand_matrix(rng, n_var, n_obs, np.float32)
    layers = {"": main.tocoo(), "spliced": main.tocoo(),
              "unspliced": rand_matrix(rng, n_var, n_obs, np.float32).tocoo()}
    ra = {"Gene": np.array([f"G{k}" for k in range(n_var)]),
          "Chromosome": np.array([f"chr{k % 3}" for k in range(n_var)])}
    ca = {"CellID": np.array([f"c{k}" for k in range(n_obs)]),
          "Total": rng.normal(size=n_obs),
          "Embedding": rng.normal(size=(n_obs, 2))}
    loompy.create(os.path.join(d, "in.loom"), layers, ra, ca)
    with loompy.connect(os.path.join(d, "in.loom")) as ds:
        ds.col_graphs["knn"] = rand_matrix(rng, n_obs, n_obs, np.float64).tocoo()

    # 10x .h5 (CSC features x barcodes) and folder
    m = rand_matrix(rng, n_var, n_obs, np.int32).tocsc()
    ids = np.array([f"ENSG{k:05d}" for k in range(n_var)])
    names = np.array([f"Gene{k % 50}" for k in range(n_var)])  # repeats, as real data
    bcs = np.array([f"{''.join(rng.choice(list('ACGT'), 8))}-{k}" for k in range(n_obs)])
    with h5py.File(os.path.join(d, "in_10x.h5"), "w") as f:
        grp = f.create_group("matrix")
        grp["data"], grp["indices"], grp["indptr"] = m.data, m.indices.astype(np.int64), m.indptr.astype(np.int64)
        grp["shape"] = np.array([n_var, n_obs], dtype=np.int32)
        grp["barcodes"] = bcs.astype("S")
        fe = grp.create_group("features")
        fe["id"], fe["name"] = ids.astype("S"), names.astype("S")
        types = np.where(np.arange(n_var) % 9 == 8, "Antibody Capture", "Gene Expression")
        fe["feature_type"], fe["genome"] = types.astype("S"), np.array([b"GRCh38"] * n_var)
    t = os.path.join(d, "tenx")
    os.makedirs(t, exist_ok=True)
    with gzip.open(os.path.join(t, "matrix.mtx.gz"), "wb") as f:
        scipy.io.mmwrite(f, m.tocoo())
    with gzip.open(os.path.join(t, "features.tsv.gz"), "wt") as f:
        for i, nm, ty in zip(ids, names, types):
            f.write(f"{i}\t{nm}\t{ty}\n")
    with gzip.open(os.path.join(t, "barcodes.tsv.gz"), "wt") as f:
        f.write("".join(b + "\n" for b in bcs))

    # mtx with shuffled entries
    md = os.path.join(d, "mtx")
    os.makedirs(md, exist_ok=True)
    coo = rand_matrix(rng, n_var, n_obs, np.int64).tocoo()
    order = rng.permutation(coo.nnz)
    with open(os.path.join(md, "m.mtx"), "w") as f:
        f.write(f"%%MatrixMarket matrix coordinate integer general\n{n_var} {n_obs} {coo.nnz}\n")
        for k in order:
            f.write(f"{coo.row[k] + 1} {coo.col[k] + 1} {coo.data[k]}\n")
    with open(os.path.join(md, "genes.tsv"), "w") as f:
        f.write("".join(f"{i}\t{nm}\n" for i, nm in zip(ids, names)))
    with open(os.path.join(md, "barcodes.tsv"), "w") as f:
        f.write("".join(b + "\n" for b in bcs))
    loompy.create_from_matrix_market(
        os.path.join(d, "expected_mtx.loom"), "s", {"": os.path.join(md, "m.mtx")},
        os.path.join(md, "genes.tsv"), os.path.join(md, "barcodes.tsv"))


def dense(x):
    return x.toarray() if sp.issparse(x) else np.asarray(x)


def same(x, y):
    x, y = dense(x), dense(y)
    return x.shape == y.shape and np.allclose(x, y, rtol=1e-6, atol=0, equal_nan=True)


def check(d):
    import anndata as ad
    import loompy
    import scanpy as sc

    results = []

    def case(name, fn):
        try:
            fn()
            results.append(f"OK {name}")
        except Exception as e:  # noqa: BLE001 (report every failure, keep going)
            results.append(f"FAIL {name}: {type(e).__name__}: {e}")

    def from_h5ad():
        src = ad.read_h5ad(os.path.join(d, "in.h5ad"))
        ours = os.path.join(d, "from_h5ad.loom")
        assert loompy.LoomValidator().validate(ours), "loompy's validator rejects it"
        with loompy.connect(ours, "r") as ds:
            assert same(ds[:, :], src.X.T), "X"
            assert same(ds.layers["counts"][:, :], src.layers["counts"].T), "counts"
            assert list(ds.ca["CellID"]) == list(src.obs_names), "obs names"
            assert list(ds.ra["Gene"]) == list(src.var_names), "var names"
            for c in src.obs.columns:
                want = np.asarray(src.obs[c])
                got = ds.ca[c]
                if want.dtype == bool:
                    want = want.astype(int)
                if want.dtype.kind in "OU":
                    # loompy 3.0.8 drops non-ASCII characters when it reads; h5py shows
                    # the UTF-8 strings as stored.
                    import h5py

                    with h5py.File(ours, "r") as f:
                        got = f["col_attrs"][c].asstr()[:]
                    want = want.astype(str)
                assert np.array_equal(got, want), f"obs {c}"
            assert np.array_equal(ds.ra["g"].astype(str), np.asarray(src.var["g"]).astype(str)), "var g"
            assert same(ds.ca["X_pca"], src.obsm["X_pca"]), "obsm"
            assert same(ds.ra["PCs"], src.varm["PCs"]), "varm"
            assert same(ds.col_graphs["connectivities"].tocsr(), src.obsp["connectivities"]), "obsp"
            assert int(ds.attrs["answer"]) == 42 and ds.attrs["title"] == "random case", "uns"

    def to_h5ad():
        src = ad.read_loom(os.path.join(d, "in.loom"))
        ours = ad.read_h5ad(os.path.join(d, "to.h5ad"))
        assert ours.X.dtype == src.X.dtype, (ours.X.dtype, src.X.dtype)
        assert same(ours.X, src.X), "X"
        for k in src.layers:
            assert same(ours.layers[k], src.layers[k]), f"layer {k}"
        assert list(ours.obs_names) == list(src.obs_names), "obs names"
        assert list(ours.var_names) == list(src.var_names), "var names"
        for a, b in ((ours.obs, src.obs), (ours.var, src.var)):
            for c in b.columns:
                assert np.array_equal(np.asarray(a[c]), np.asarray(b[c])), c
        for k in src.obsm:
            assert same(ours.obsm[k], src.obsm[k]), f"obsm {k}"
        with loompy.connect(os.path.join(d, "in.loom"), "r") as ds:
            assert same(ours.obsp["knn"], ds.col_graphs["knn"].tocsr()), "obsp"
        if ours.n_obs > 1 and ours.n_vars > 1 and ours.X.nnz > 0:
            sc.pp.normalize_total(ours)
            sc.pp.log1p(ours)

    def to_mtx():
        got = sc.read_10x_mtx(os.path.join(d, "to_mtx"))
        with loompy.connect(os.path.join(d, "in.loom"), "r") as ds:
            assert same(got.X.T, ds[:, :]), "X"
            assert list(got.obs_names) == list(ds.ca["CellID"]), "barcodes"

    def from_10x_h5():
        want = sc.read_10x_h5(os.path.join(d, "in_10x.h5"), gex_only=False)
        with loompy.connect(os.path.join(d, "from_10x_h5.loom"), "r") as ds:
            assert same(ds[:, :], want.X.T), "X"
            assert list(ds.ra["Accession"]) == list(want.var["gene_ids"]), "ids"
            assert list(ds.ra["Gene"]) == list(want.var_names), "names"
            assert list(ds.ra["FeatureType"]) == list(want.var["feature_types"]), "types"
            assert [c.split(":", 1)[1] for c in ds.ca["CellID"]] == list(want.obs_names), "cells"

    def from_tenx():
        want = sc.read_10x_mtx(os.path.join(d, "tenx"), var_names="gene_ids", gex_only=False)
        with loompy.connect(os.path.join(d, "from_tenx.loom"), "r") as ds:
            assert same(ds[:, :], want.X.T), "X"
            assert list(ds.ra["Accession"]) == list(want.var_names), "ids"
            assert list(ds.ra["Gene"]) == list(want.var["gene_symbols"]), "names"
            assert [c.split(":", 1)[1] for c in ds.ca["CellID"]] == list(want.obs_names), "cells"

    def from_mtx():
        with loompy.connect(os.path.join(d, "expected_mtx.loom"), "r") as e, \
                loompy.connect(os.path.join(d, "from_mtx.loom"), "r") as ds:
            assert same(ds[:, :], e[:, :]), "matrix"
            assert ds.layers[""].dtype == e.layers[""].dtype, (ds.layers[""].dtype, e.layers[""].dtype)
            for k in e.ra.keys():
                assert list(ds.ra[k]) == [s.strip() for s in e.ra[k]], k
            assert list(ds.ca["CellID"]) == list(e.ca["CellID"]), "CellID"

    for name, fn in [("h5ad->loom", from_h5ad), ("loom->h5ad", to_h5ad), ("loom->mtx", to_mtx),
                     ("10x.h5->loom", from_10x_h5), ("10x folder->loom", from_tenx),
                     ("shuffled mtx->loom", from_mtx)]:
        case(name, fn)
    print("\n".join(results))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2])
