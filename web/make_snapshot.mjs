// Makes Pyodide's memory snapshot with webgrad imported, for the page to start from (server/snapshot.py
// runs this with Node; the page's worker.js restores it). Node runs the very pyodide.asm.wasm the page
// loads, so the memory it saves is the page's, minus what the page sets up after the restore.
//
//   node web/make_snapshot.mjs WHEEL OUT       # OUT: the snapshot's raw bytes
import { loadPyodide } from "./node_modules/pyodide/pyodide.mjs";
import { readFileSync, writeFileSync } from "node:fs";

// What the worker imports before it opens the device: everything else is imported later, from the
// wheel's files, which the worker writes into the restored file system.
const IMPORTS = "import webgrad, webgrad.console, webgrad.playground";

const [wheel, out] = process.argv.slice(2);
if (!wheel || !out) {
  console.error("usage: node make_snapshot.mjs WHEEL OUT");
  process.exit(2);
}
// The environment a page's Pyodide has, so Python sees the same one whichever way it started.
const pyodide = await loadPyodide({
  _makeSnapshot: true,
  env: { LANG: "en_US.UTF-8", _: "./this.program" },
  _sysExecutable: "/home/pyodide/this.program",
});
const site = pyodide.runPython("import site; site.getsitepackages()[0]");
pyodide.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel", { extractDir: site });
pyodide.runPython(IMPORTS);
writeFileSync(out, pyodide.makeMemorySnapshot());
