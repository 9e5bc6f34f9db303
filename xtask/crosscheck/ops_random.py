#!/usr/bin/env python
"""Random inputs for loom-core's operations and loompy's results on them, for
`cargo xtask crosscheck-ops`.

    python ops_random.py gen DIR SEED    write one seeded case into DIR
    python ops_random.py check DIR       compare loom-core's outputs in DIR with loompy's

`gen` writes (shapes, dtypes, attributes and arguments drawn from SEED; some seeds give
one row or one column):
  a.loom       loompy.create: main layer + 1-3 layers of random dtypes, 1-D numeric and
               string row/column attributes, a 2-D attribute on each axis, a row and a
               column graph, global attributes
  b.loom       the same genes in shuffled order (a key is needed), other columns, some
               column attributes missing or extra, other global attribute values
  c.loom       a.loom's rows in shuffled order with other columns (combine_faster)
  plan.json    the operations and their arguments; for each one loompy's output
               exp_<name>.loom / .tab and, for in-place operations, ours_<name>.loom: a
               copy of the input that the harness edits with loom-core
The harness writes ours_<name>.* following plan.json; `check` compares every pair value
by value (export: byte for byte) and prints `OK name` or `FAIL name: reason` lines.

loompy 3.0.8 calls `np.in1d`, which numpy >= 2.4 removed, when it slices a graph
(permute, aggregate): as in fixtures/ops.py it is patched to `np.isin` before loompy is
imported. add_loom's `other` file is opened r+ by loompy and edited when convert_attrs
is set, so loompy gets its own copy of it for every operation.
"""
import json
import logging
import os
import shutil
import sys
import warnings

import numpy as np
import scipy.sparse as sp

if not hasattr(np, "in1d"):
    np.in1d = np.isin  # loompy 3.0.8 on numpy >= 2.4 (see the module doc)

import loompy  # noqa: E402

warnings.simplefilter("ignore")
logging.disable(logging.WARNING)  # loompy logs every deprecated call it makes itself

SKIP_GLOBALS = {"LOOM_SPEC_VERSION", "CreationDate", "last_modified"}
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.uint16]


def values(rng, shape, dtype):
    v = rng.integers(0, 40, shape)
    v[rng.random(shape) < 0.4] = 0
    if np.dtype(dtype).kind == "f":
        return (v / 4).astype(dtype)
    return v.astype(dtype)


def graph(rng, n):
    k = int(rng.integers(0, 2 * n + 1))
    r, c = rng.integers(0, n, k), rng.integers(0, n, k)
    return sp.coo_matrix((rng.integers(1, 8, k) / 8, (r, c)), shape=(n, n))


def make(path, rng, genes, m, layers, missing=(), extra=False, title="a"):
    n = len(genes)
    data = {name: values(rng, (n, m), dt) for name, dt in layers.items()}
    ra = {
        "Gene": genes,
        "Score": (rng.integers(-8, 8, n) / 4).astype(np.float64),
        "Rank": rng.permutation(n).astype(np.int64),
        "Emb": (rng.integers(-8, 8, (n, 2)) / 4).astype(np.float32),
    }
    tissues = np.array(["brain/x", "gut.y", "skin", "lung"])
    ca = {
        "CellID": np.array([f"{title}_C{i:03d}" for i in range(m)]),
        "Clusters": rng.integers(0, 3, m).astype(np.int64),
        "Tissue": tissues[rng.integers(0, 4, m)],
        "Batch": rng.integers(0, 2, m).astype(np.int32),
        "Depth": (rng.permutation(m) / 4 + 0.5).astype(np.float64),
        "PCA": (rng.integers(-8, 8, (m, 3)) / 4).astype(np.float64),
    }
    for k in missing:
        del ca[k]
    if extra:
        ca["Extra"] = rng.integers(0, 5, m).astype(np.int64)
    fa = {"title": title, "shared": "same", "Species": "mouse" if title == "a" else "human"}
    loompy.create(path, data, ra, ca, file_attrs=fa)
    with loompy.connect(path) as ds:
        ds.row_graphs["KNN"] = graph(rng, n)
        ds.col_graphs["MKNN"] = graph(rng, m)


def gen(d, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(d, exist_ok=True)
    edge = seed % 5
    n = 1 if edge == 1 else int(rng.integers(2, 40))
    ma = 1 if edge == 2 else int(rng.integers(1, 30))
    mb = 1 if edge == 3 else int(rng.integers(1, 30))
    mc = int(rng.integers(1, 30))
    layers = {"": DTYPES[int(rng.integers(0, 2))]}
    for i in range(int(rng.integers(1, 4))):
        layers[f"L{i}"] = DTYPES[int(rng.integers(0, len(DTYPES)))]
    genes = np.array([f"G{i:03d}" for i in rng.permutation(n)])
    p = lambda name: os.path.join(d, name)  # noqa: E731
    make(p("a.loom"), rng, genes, ma, layers)
    missing = [k for k in ["Batch", "Depth"] if rng.random() < 0.5]
    make(p("b.loom"), rng, genes[rng.permutation(n)], mb, layers, missing, rng.random() < 0.5,
         "b")
    make(p("c.loom"), rng, genes[rng.permutation(n)], mc, layers, (), False, "c")

    plan = []

    def fresh(src, name):
        dst = p(name)
        shutil.copyfile(p(src), dst)
        return dst

    # add_loom: key alignment, fill values, convert_attrs
    for i, (fill, conv) in enumerate([(None, False), ("auto", True), ("auto", False),
                                      (None, True)]):
        bs = int(rng.integers(1, 12))
        name = f"add_loom_{i}"
        exp, other = fresh("a.loom", f"exp_{name}.loom"), fresh("b.loom", f"other_{name}.loom")
        shutil.copyfile(p("a.loom"), p(f"ours_{name}.loom"))
        args = {"op": "add_loom", "name": name, "key": "Gene", "fill": fill,
                "convert_attrs": conv, "batch_size": bs}
        try:
            with loompy.connect(exp) as ds:
                ds.add_loom(other, key="Gene", fill_values=fill, batch_size=bs,
                            convert_attrs=conv)
        except Exception as e:  # loompy refuses: ours must refuse too
            args["loompy_error"] = f"{type(e).__name__}: {e}"
        plan.append(args)

    # combine (a, b) with a key and file attrs
    for i, conv in enumerate([False, True]):
        name = f"combine_{i}"
        bs = int(rng.integers(1, 12))
        other = fresh("b.loom", f"other_{name}.loom")
        args = {"op": "combine", "name": name, "files": ["a.loom", "b.loom"], "key": "Gene",
                "file_attrs": {"combined": f"yes{i}"}, "batch_size": bs,
                "convert_attrs": conv}
        try:
            loompy.combine([p("a.loom"), other], p(f"exp_{name}.loom"), key="Gene",
                           file_attrs=args["file_attrs"], batch_size=bs, convert_attrs=conv)
        except Exception as e:
            args["loompy_error"] = f"{type(e).__name__}: {e}"
        plan.append(args)

    # combine_faster (a, c): key, selections, skip_attrs
    sel_a = [bool(x) for x in rng.random(ma) < 0.7]
    sel_a[0] = True
    sel = [sel_a, None] if rng.random() < 0.7 else None
    skip = ["Depth"] if rng.random() < 0.5 else []
    args = {"op": "combine_faster", "name": "combine_faster", "files": ["a.loom", "c.loom"],
            "key": "Gene", "file_attrs": {"combined": "fast"}, "selections": sel,
            "skip_attrs": skip}
    loompy.combine_faster([p("a.loom"), p("c.loom")], p("exp_combine_faster.loom"),
                          file_attrs=args["file_attrs"],
                          selections=None if sel is None else
                          [np.array(sel_a), None], key="Gene", skip_attrs=skip)
    plan.append(args)

    # permute both axes
    for axis, length in [(0, n), (1, ma)]:
        name = f"permute_{axis}"
        order = [int(x) for x in rng.permutation(length)]
        exp = fresh("a.loom", f"exp_{name}.loom")
        shutil.copyfile(p("a.loom"), p(f"ours_{name}.loom"))
        with loompy.connect(exp) as ds:
            ds.permute(np.array(order), axis=axis)
        plan.append({"op": "permute", "name": name, "axis": axis, "ordering": order})

    # aggregate: several aggr_by / aggr_ca_by
    # numpy-groupies has no "mode" (ours has); loompy's aggr_ca_by "mode" crashes on
    # scipy >= 1.11 (strings refused, numbers: IndexError), so neither is drawn.
    funcs = ["sum", "mean", "max", "min", "median", "first", "last", "var", "std",
             "nunique", "prod", "sumofsquares", "any", "all", "nansum", "nanmean"]
    for i in range(3):
        name = f"aggregate_{i}"
        func = funcs[int(rng.integers(0, len(funcs)))]
        group = ["Clusters", "Batch"][int(rng.integers(0, 2))]
        layer = list(layers)[int(rng.integers(0, len(layers)))]
        if np.dtype(layers[layer]).kind != "f" and func in ("prod", "sumofsquares"):
            func = "sum"  # numpy-groupies wraps integer products around (uint32)
        ca_by = {"Depth": "mean", "CellID": "first", "Tissue": "tally"}
        if_equal = bool(rng.random() < 0.5)
        args = {"op": "aggregate", "name": name, "aggr_by": func, "group_by": group,
                "layer": layer, "aggr_ca_by": ca_by, "aggr_ca_if_equal": if_equal}
        try:
            with loompy.connect(p("a.loom"), "r") as ds:
                ds.aggregate(p(f"exp_{name}.loom"), group_by=group, aggr_by=func,
                             aggr_ca_by=ca_by, layer=layer, aggr_ca_if_equal=if_equal)
        except Exception as e:
            args["loompy_error"] = f"{type(e).__name__}: {e}"
        plan.append(args)

    # export every layer of a copy without the 2-D attributes; loompy writes numpy's
    # repr of a 2-D attribute's row ("[0.25 0.5]") into one cell, ours refuses them
    # (documented in ops/export.rs): checked as a refusal on a.loom.
    flat = fresh("a.loom", "flat.loom")
    with loompy.connect(flat) as ds:
        del ds.ra["Emb"]
        del ds.ca["PCA"]
    with loompy.connect(flat, "r") as ds:
        for i, layer in enumerate(layers):
            name = f"export_{i}"
            ds.export(p(f"exp_{name}.tab"), layer=layer or None)
            plan.append({"op": "export", "name": name, "input": "flat.loom", "layer": layer})
    plan.append({"op": "export", "name": "export_2d", "input": "a.loom", "layer": "",
                 "loompy_error": "(loompy writes the repr of each 2-D row)"})

    # map: sums, maxima, nonzero counts on both axes
    with loompy.connect(p("a.loom"), "r") as ds:
        for axis in [0, 1]:
            cs = int(rng.integers(1, 10))
            res = ds.map([np.sum, np.max, np.count_nonzero], axis=axis, chunksize=cs)
            with open(p(f"exp_map_{axis}.json"), "w") as f:
                json.dump([[float(x) for x in r] for r in res], f)
            plan.append({"op": "map", "name": f"map_{axis}", "axis": axis, "chunksize": cs})

    with open(p("plan.json"), "w") as f:
        json.dump(plan, f, indent=1)


def as_np(v):
    v = np.asarray(v)
    if v.dtype == object or v.dtype.kind in "SU":
        return np.array([str(x) for x in v.ravel()], dtype=object).reshape(v.shape)
    return v


def same(a, b, what):
    a, b = as_np(a), as_np(b)
    if a.shape != b.shape:
        return f"{what}: shape {a.shape} (loompy) vs {b.shape} (ours)"
    if a.dtype == object or b.dtype == object:
        if a.dtype != b.dtype:
            return f"{what}: dtype {a.dtype} vs {b.dtype}"
        if not (a == b).all():
            return f"{what}: values differ (loompy {a.ravel()[:6]} vs ours {b.ravel()[:6]})"
        return None
    if a.dtype != b.dtype:
        return f"{what}: dtype {a.dtype} (loompy) vs {b.dtype} (ours)"
    if not np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True):
        return f"{what}: values differ (loompy {a.ravel()[:6]} vs ours {b.ravel()[:6]})"
    return None


def edges(g):
    g = g.tocoo()
    return sorted((int(r), int(c), float(w)) for r, c, w in zip(g.row, g.col, g.data))


def compare_looms(exp, ours, graphs):
    errs = []
    with loompy.connect(exp, "r", validate=False) as a, \
            loompy.connect(ours, "r", validate=False) as b:
        if a.shape != b.shape:
            return [f"shape {a.shape} (loompy) vs {b.shape} (ours)"]
        for side, x, y in [("layers", a.layers, b.layers), ("ra", a.ra, b.ra),
                           ("ca", a.ca, b.ca)]:
            if sorted(x.keys()) != sorted(y.keys()):
                errs.append(f"{side} {sorted(x.keys())} (loompy) vs {sorted(y.keys())} (ours)")
            for k in sorted(set(x.keys()) & set(y.keys())):
                va = x[k][:, :] if side == "layers" else x[k]
                vb = y[k][:, :] if side == "layers" else y[k]
                e = same(va, vb, f"{side}[{k!r}]")
                if e:
                    errs.append(e)
        ga = {k: a.attrs[k] for k in a.attrs.keys() if k not in SKIP_GLOBALS}
        gb = {k: b.attrs[k] for k in b.attrs.keys() if k not in SKIP_GLOBALS}
        if sorted(ga) != sorted(gb):
            errs.append(f"globals {sorted(ga)} (loompy) vs {sorted(gb)} (ours)")
        for k in sorted(set(ga) & set(gb)):
            e = same(ga[k], gb[k], f"attrs[{k!r}]")
            if e:
                errs.append(e)
        if graphs:
            for side in ["row_graphs", "col_graphs"]:
                x, y = getattr(a, side), getattr(b, side)
                if sorted(x.keys()) != sorted(y.keys()):
                    errs.append(f"{side} {sorted(x.keys())} vs {sorted(y.keys())}")
                for k in sorted(set(x.keys()) & set(y.keys())):
                    if edges(x[k]) != edges(y[k]):
                        errs.append(f"{side}[{k!r}]: edges differ")
    return errs


def check(d):
    p = lambda name: os.path.join(d, name)  # noqa: E731
    with open(p("plan.json")) as f:
        plan = json.load(f)
    for case in plan:
        name, op = case["name"], case["op"]
        ours_err = p(f"ours_{name}.error")
        try:
            if os.path.exists(ours_err) or "loompy_error" in case:
                lo = case.get("loompy_error")
                ou = open(ours_err).read().strip() if os.path.exists(ours_err) else None
                if lo and ou:
                    print(f"OK {name}: both refuse (loompy: {lo[:60]}; ours: {ou[:60]})")
                else:
                    print(f"FAIL {name}: loompy error {lo!r}, ours error {ou!r}")
                continue
            if op == "export":
                a = open(p(f"exp_{name}.tab"), "rb").read()
                b = open(p(f"ours_{name}.tab"), "rb").read()
                errs = [] if a == b else [f"text differs ({len(a)} vs {len(b)} bytes)"]
            elif op == "map":
                a = json.load(open(p(f"exp_{name}.json")))
                b = json.load(open(p(f"ours_{name}.json")))
                errs = [e for e in (same(x, y, f"function {i}")
                                    for i, (x, y) in enumerate(zip(a, b))) if e]
            else:
                # loompy's add_loom/combine drop graphs, aggregate writes none; permute
                # and combine_faster are compared with them.
                graphs = op == "permute"
                errs = compare_looms(p(f"exp_{name}.loom"), p(f"ours_{name}.loom"), graphs)
        except Exception as e:
            errs = [f"{type(e).__name__}: {e}"]
        if errs:
            print(f"FAIL {name}: " + "; ".join(errs[:4]))
        else:
            print(f"OK {name}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
