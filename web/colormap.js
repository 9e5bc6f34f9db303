// The heatmap's colours: one pixel per value, on a sign-preserving log scale between the
// block's smallest and largest value, through a viridis-like ramp; NaN is grey.
// Shared by the page and its browser test, so the test checks the page's pixels against
// values read by the native loom.

const RAMP = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

const scale = (v) => Math.sign(v) * Math.log1p(Math.abs(v));

/** The [r, g, b] of `t` in 0..1 on the ramp. */
export function ramp(t) {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  return RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f));
}

/** RGBA pixels (row-major, `rows` x `cols`) for `values`. */
export function pixels(values, rows, cols) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, scale(v));
    hi = Math.max(hi, scale(v));
  }
  const out = new Uint8ClampedArray(rows * cols * 4);
  for (let i = 0; i < rows * cols; i++) {
    const v = values[i];
    const rgb = Number.isNaN(v) ? [128, 128, 128] : ramp(hi > lo ? (scale(v) - lo) / (hi - lo) : 0);
    out.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
  }
  return out;
}
