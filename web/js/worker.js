// webgrad's Python worker: Pyodide, the core and the page's WebGPU, off the page's main thread.
// The messages it takes and sends are in protocol.js; the console's runner is Python in the core
// (webgrad/console.py), where pytest tests it too.
import { loadPyodide } from "/pyodide/pyodide.mjs";
import { MSG } from "./protocol.js";
import { NoWebGPUError, WEBGPU_HELP, openGPU } from "./webgpu_helper.js";

const post = (msg, moved = []) => self.postMessage(msg, moved);

// Output as Python writes it (a line without its newline too, once flushed), as UTF-8 text.
function stream(type) {
  const decoder = new TextDecoder();
  return (bytes) => {
    post({ type, text: decoder.decode(bytes, { stream: true }) });
    return bytes.length;
  };
}

let runner = null;
let app = null;      // the page's Python object that CALL messages reach (?app=playground)
const APP = new URL(self.location.href).searchParams.get("app");
let queue = Promise.resolve();   // runs one at a time, in the order sent

async function start() {
  const timings = {};
  let t = performance.now();
  const phase = (name) => { const now = performance.now(); timings[name] = Math.round(now - t); t = now; };

  post({ type: MSG.STATUS, text: "Opening WebGPU…" });
  let gpu;
  try {
    gpu = await openGPU();
  } catch (e) {
    post(e instanceof NoWebGPUError ? { type: MSG.NOGPU, reason: e.message, help: WEBGPU_HELP }
                                    : { type: MSG.FAILED, error: `opening WebGPU failed: ${e.message}` });
    return;
  }
  if (typeof WebAssembly.Suspending !== "function") {
    post({ type: MSG.NOGPU, help: WEBGPU_HELP,
           reason: "This browser has WebGPU but not JavaScript Promise Integration, which webgrad needs " +
                   "to read results back." });
    return;
  }
  self.webgradGPU = gpu;
  phase("webgpu");

  post({ type: MSG.STATUS, text: "Downloading and starting Python (Pyodide)…" });
  const pyodide = await loadPyodide({ indexURL: new URL("/pyodide/", location.href).href });
  pyodide.setStdout({ write: stream(MSG.STDOUT) });
  pyodide.setStderr({ write: stream(MSG.STDERR) });
  phase("pyodide");

  post({ type: MSG.STATUS, text: "Installing webgrad…" });
  const core = await (await fetch("/core.json", { cache: "no-store" })).json();
  await pyodide.loadPackage(new URL(core.wheel, location.href).href,
                            { messageCallback: () => {}, errorCallback: (m) => post({ type: MSG.STDERR, text: m + "\n" }) });
  phase("install");

  post({ type: MSG.STATUS, text: "Opening the device…" });
  const console_ = pyodide.runPython("from webgrad.console import Console\nConsole()");
  runner = console_.run;
  if (APP === "playground") app = pyodide.runPython("from webgrad.playground import Playground\nPlayground()");
  const device = pyodide.runPython("import webgrad\nwebgrad.default_device().name");
  phase("import");
  post({ type: MSG.READY, device, adapter: gpu.info, timings });
}

const started = start().catch((e) => post({ type: MSG.FAILED, error: String(e && e.stack || e) }));

// A CALL's result as the page gets it: dicts as objects, bytes as ArrayBuffers (moved, not copied).
function toPage(value) {
  const js = value && value.toJs ? value.toJs({ dict_converter: Object.fromEntries }) : value;
  if (value && value.destroy) value.destroy();
  const moved = [];
  for (const v of Object.values(js || {})) if (ArrayBuffer.isView(v)) moved.push(v.buffer);
  return { js, moved };
}

async function call(msg) {
  await started;
  try {
    if (!app || typeof app[msg.method] !== "function") throw new Error(`no method ${msg.method} here`);
    const method = app[msg.method];
    const { js, moved } = toPage(await (msg.args === undefined ? method() : method(msg.args)));
    post({ type: MSG.RESULT, id: msg.id, ok: true, value: js }, moved);
  } catch (e) {
    post({ type: MSG.RESULT, id: msg.id, ok: false, error: String(e && e.message || e) });
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === MSG.CALL) {
    queue = queue.then(() => call(msg));
    return;
  }
  if (msg.type !== MSG.RUN) return;
  queue = queue.then(async () => {
    await started;
    if (!runner) {
      post({ type: MSG.DONE, id: msg.id, ok: false, ms: 0 });
      return;
    }
    const t0 = performance.now();
    let ok = false;
    try {
      ok = await runner(msg.code);
    } catch (e) {          // an error of the runner itself, not of the user's code
      post({ type: MSG.STDERR, text: String(e && e.message || e) + "\n" });
    }
    post({ type: MSG.DONE, id: msg.id, ok, ms: performance.now() - t0 });
  });
};
