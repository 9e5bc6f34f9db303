// The Web Worker that owns the wasm module and the open file. Reads are synchronous
// here (FileReaderSync over Blob.slice for a local file, synchronous range requests for
// a URL), so hdf5-lite reads exactly the byte ranges it needs and nothing more.
import init, { Loom } from "./pkg/loom_wasm.js";

const sources = new Map();
let nextSource = 1;
let loom = null;
let bytesRead = 0;
let reads = 0;
let readMs = 0;
let size = 0;

function fileSource(file) {
  const reader = new FileReaderSync();
  return {
    size: file.size,
    read(offset, dst) {
      const buf = reader.readAsArrayBuffer(file.slice(offset, offset + dst.length));
      if (buf.byteLength !== dst.length) throw new Error(`short read at ${offset}`);
      dst.set(new Uint8Array(buf));
    },
  };
}

function urlSource(url) {
  const probe = new XMLHttpRequest();
  probe.open("GET", url, false);
  probe.setRequestHeader("Range", "bytes=0-0");
  try {
    probe.send();
  } catch {
    throw new Error(`${url}: no answer (is the server up, and does it allow this page's origin with CORS?)`);
  }
  const range = /\/(\d+)$/.exec(probe.getResponseHeader("Content-Range") || "");
  if (probe.status !== 206) {
    throw new Error(`${url}: the server does not answer range requests (HTTP ${probe.status})`);
  }
  if (!range) {
    throw new Error(`${url}: the server hides the file's size (Content-Range; CORS needs Access-Control-Expose-Headers)`);
  }
  return {
    size: Number(range[1]),
    read(offset, dst) {
      const xhr = new XMLHttpRequest();
      xhr.open("GET", url, false);
      xhr.responseType = "arraybuffer";
      xhr.setRequestHeader("Range", `bytes=${offset}-${offset + dst.length - 1}`);
      xhr.send();
      if (xhr.status !== 206 || xhr.response.byteLength !== dst.length) {
        throw new Error(`${url}: range ${offset}+${dst.length} answered HTTP ${xhr.status}`);
      }
      dst.set(new Uint8Array(xhr.response));
    },
  };
}

self.loomStorage = {
  read(source, offset, dst) {
    reads += 1;
    bytesRead += dst.length;
    const t0 = performance.now();
    sources.get(source).read(offset, dst);
    readMs += performance.now() - t0;
  },
};

const ready = init();

function open(msg) {
  const src = msg.file ? fileSource(msg.file) : urlSource(msg.url);
  const id = nextSource++;
  sources.set(id, src);
  if (loom) loom.free();
  loom = null;
  for (const old of sources.keys()) if (old !== id) sources.delete(old);
  size = src.size;
  // Local reads are cheap: small blocks. Each HTTP request costs a round trip: larger.
  const block = msg.file ? 8 * 1024 : 32 * 1024;
  const cacheBytes = 64 * 1024 * 1024;
  loom = Loom.open(msg.name, id, src.size, block, Math.ceil(cacheBytes / block));
  return { info: JSON.parse(loom.info()) };
}

const ops = {
  open,
  attrs: (m) => ({ table: JSON.parse(loom.attrs(m.axis, m.query, m.start, m.count)) }),
  heatmap: (m) => ({ heatmap: JSON.parse(loom.heatmap(m.layer, m.genes, m.top, m.cells)) }),
};

self.onmessage = async (e) => {
  const msg = e.data;
  await ready;
  if (msg.op === "open") {
    reads = 0;
    bytesRead = 0;
    readMs = 0;
  }
  const t0 = performance.now();
  const before = { reads, bytesRead, readMs };
  try {
    const result = ops[msg.op](msg);
    const stats = {
      ms: performance.now() - t0,
      reads: reads - before.reads,
      bytes: bytesRead - before.bytesRead,
      readMs: readMs - before.readMs,
      // Since the file was opened, and its size: how little of it was read.
      totalReads: reads,
      totalBytes: bytesRead,
      size,
    };
    self.postMessage({ id: msg.id, ok: true, stats, ...result });
  } catch (err) {
    self.postMessage({ id: msg.id, ok: false, error: String(err && err.message ? err.message : err) });
  }
};
