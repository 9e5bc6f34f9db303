#!/usr/bin/env python
"""Synthetic single-cell .loom files for `cargo xtask bench` (deterministic).

    python make_data.py SIZE OUT.loom [--seed N]
    python make_data.py SIZE OUT.loom --indices-only   (rewrite OUT.loom.indices only)

SIZE is `small` (2,000 genes x 5,000 cells, layers "", spliced, unspliced) or
`medium` (20,000 x 50,000, main matrix only). Written next to OUT.loom:
  OUT.loom.indices   one "op value" line per read op: the row/column index, the
                     slice start or the comma-separated sorted index list it uses,
                     drawn from np.random.default_rng(12345)
  OUT.loom.info      "key value" lines: shape, nnz, density, value stats, matrix sum

The recipe follows the loompy performance baseline (perf-baseline.md, section 1):
  * gene detection probability p_g: log-normal (sigma 1.2), scaled (with clipping
    at 0.98) so that its mean is 0.08;
  * cell size factor s_c: log-normal (sigma 0.4), normalised to mean 1;
  * entry (g, c) is nonzero with probability min(0.98, p_g * s_c);
  * a nonzero value is 1 + NegBin(r = 0.6, mean mu_g), with
    mu_g = min(0.1 + 0.5 * p_g / mean(p), 30); stored as float32;
  * small only: spliced ~ Binomial(value, 0.8), unspliced = value - spliced;
  * row attrs Gene (unique), Accession (ENSG...), Chromosome; col attrs CellID
    (unique barcode), Cluster (int64, 30 values), Total (float64 column sum).
The file is written by loompy.create() from scipy CSC matrices, so /matrix gets
loompy's default layout: chunks (64, 64), gzip level 2, no shuffle.

All randomness comes from one SeedSequence (default seed 0), so the same
command always writes the same matrix (loompy adds timestamps, so the bytes
differ slightly).
"""
import argparse
import os
import sys

import numpy as np
import scipy.sparse as sp

SHAPES = {"small": (2000, 5000), "medium": (20000, 50000), "tiny": (300, 1200)}
WITH_LAYERS = {"small": True, "medium": False, "tiny": True}
MEAN_DETECTION = 0.08
CLIP = 0.98
NB_R = 0.6
CELLS_PER_BLOCK = 1000
INDEX_SEED = 12345


def detection_probabilities(rng, n_genes):
    """Log-normal weights scaled so that mean(min(scale * w, CLIP)) == MEAN_DETECTION."""
    w = rng.lognormal(0.0, 1.2, n_genes)
    lo, hi = 0.0, CLIP / w.min()
    for _ in range(100):  # bisection on the scale; the clipped mean is monotone in it
        mid = 0.5 * (lo + hi)
        if np.minimum(mid * w, CLIP).mean() < MEAN_DETECTION:
            lo = mid
        else:
            hi = mid
    return np.minimum(0.5 * (lo + hi) * w, CLIP)


def gene_names(rng, n):
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    out = []
    for i in range(n):
        k = int(rng.integers(3, 6))
        out.append("".join(rng.choice(letters, k)) + str(int(rng.integers(1, 20))) + f"_{i}")
    return np.array(out)


def barcodes(rng, n):
    bases = np.array(list("ACGT"))
    codes = rng.choice(bases, size=(n, 16))
    return np.array(["".join(row) + f"-1_{i}" for i, row in enumerate(codes)])


def build(size, seed):
    n_genes, n_cells = SHAPES[size]
    root = np.random.SeedSequence(seed)
    gene_ss, cell_ss, attr_ss, block_ss = root.spawn(4)
    p = detection_probabilities(np.random.default_rng(gene_ss), n_genes)
    s = np.random.default_rng(cell_ss).lognormal(0.0, 0.4, n_cells)
    s /= s.mean()
    mu = np.minimum(0.1 + 0.5 * p / p.mean(), 30.0)
    nb_success = NB_R / (NB_R + mu)  # numpy's NegBin(n, q) has mean n (1 - q) / q

    starts = list(range(0, n_cells, CELLS_PER_BLOCK))
    seeds = block_ss.spawn(len(starts))
    parts = []  # (cell index, gene index, value, spliced) per block, CSC order
    for c0, bss in zip(starts, seeds):
        c1 = min(n_cells, c0 + CELLS_PER_BLOCK)
        rng = np.random.default_rng(bss)
        # cells x genes, so np.nonzero walks column by column of the genes x cells matrix
        prob = np.minimum(np.outer(s[c0:c1], p), CLIP).astype(np.float32)
        hit = rng.random(prob.shape, dtype=np.float32) < prob
        del prob
        cell, gene = np.nonzero(hit)
        del hit
        value = (1 + rng.negative_binomial(NB_R, nb_success[gene])).astype(np.float32)
        spliced = None
        if WITH_LAYERS[size]:
            spliced = rng.binomial(value.astype(np.int64), 0.8).astype(np.float32)
        parts.append((cell + c0, gene.astype(np.int32), value, spliced))

    cell = np.concatenate([x[0] for x in parts])
    gene = np.concatenate([x[1] for x in parts])
    value = np.concatenate([x[2] for x in parts])

    def csc(vals):
        keep = vals != 0
        indptr = np.zeros(n_cells + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(np.bincount(cell[keep], minlength=n_cells))
        return sp.csc_matrix((vals[keep], gene[keep], indptr), shape=(n_genes, n_cells))

    layers = {"": csc(value)}
    if WITH_LAYERS[size]:
        spliced = np.concatenate([x[3] for x in parts])
        layers["spliced"] = csc(spliced)
        layers["unspliced"] = csc(value - spliced)
    del parts

    rng = np.random.default_rng(attr_ss)
    chromosomes = np.array([f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrMT"])
    ra = {
        "Gene": gene_names(rng, n_genes),
        "Accession": np.array(
            [f"ENSG{a:011d}" for a in rng.choice(10**8, n_genes, replace=False)]
        ),
        "Chromosome": chromosomes[rng.integers(0, len(chromosomes), n_genes)],
    }
    totals = np.bincount(cell, weights=value.astype(np.float64), minlength=n_cells)
    ca = {
        "CellID": barcodes(rng, n_cells),
        "Cluster": rng.integers(0, 30, n_cells).astype(np.int64),
        "Total": totals.astype(np.float64),
    }
    return layers, ra, ca


def indices(n_genes, n_cells):
    """The selections of the read ops; the same generator the baseline names."""
    rng = np.random.default_rng(INDEX_SEED)
    return {
        "row_1": int(rng.integers(0, n_genes)),
        "rows_slice_100": int(rng.integers(0, n_genes - 100 + 1)),
        "col_1": int(rng.integers(0, n_cells)),
        "cols_slice_1000": int(rng.integers(0, n_cells - 1000 + 1)),
        # Fancy-index lists, drawn after the scalars from the same generator (so the
        # scalars above keep their values): k distinct indices, sorted ascending as
        # h5py requires, written comma-separated.
        "rows_100": sorted_choice(rng, n_genes, 100),
        "cols_10": sorted_choice(rng, n_cells, 10),
        "cols_100": sorted_choice(rng, n_cells, 100),
        "cols_1000": sorted_choice(rng, n_cells, 1000),
    }


def sorted_choice(rng, n, k):
    """k distinct indices below n, sorted, as "i,j,..." text."""
    return ",".join(str(int(i)) for i in np.sort(rng.choice(n, k, replace=False)))


def write_lines(path, pairs):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for k, v in pairs.items():
            f.write(f"{k} {v}\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("size", choices=sorted(SHAPES))
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--indices-only",
        action="store_true",
        help="only (re)write OUT.indices (for a file made before an op was added)",
    )
    a = ap.parse_args()
    if a.indices_only:
        write_lines(a.out + ".indices", indices(*SHAPES[a.size]))
        return

    import loompy

    layers, ra, ca = build(a.size, a.seed)
    m = layers[""]
    n_genes, n_cells = m.shape
    tmp = a.out + ".partial.loom"
    if os.path.exists(tmp):
        os.remove(tmp)
    loompy.create(tmp, layers, ra, ca)
    info = {
        "size": a.size,
        "seed": a.seed,
        "shape": f"{n_genes}x{n_cells}",
        "nnz": int(m.nnz),
        "density": f"{m.nnz / (n_genes * n_cells):.4f}",
        "share_of_ones": f"{float((m.data == 1).mean()):.3f}",
        "mean_nonzero": f"{float(m.data.mean()):.3f}",
        "max": repr(float(m.data.max())),
        "layers": ",".join(repr(k) for k in layers),
        "matrix_sum": repr(float(m.data.sum(dtype=np.float64))),
        "file_bytes": os.path.getsize(tmp),
    }
    write_lines(a.out + ".indices", indices(n_genes, n_cells))
    write_lines(a.out + ".info", info)
    os.replace(tmp, a.out)  # last, so an existing OUT.loom means a complete set
    print(" ".join(f"{k}={v}" for k, v in info.items()))


if __name__ == "__main__":
    sys.exit(main())
