// Runs a WASI (preview 1) command under node's `wasi` module:
//   node .ci/wasi-run.mjs loom.wasm ARG...
// The current directory is the guest's current directory (relative paths work), and the
// process exits with the guest's exit status.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";

const [wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: "preview1",
  args: ["loom", ...args],
  env: {},
  preopens: { ".": process.cwd() },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
