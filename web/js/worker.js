// webgrad's Python worker: Pyodide, the core and the page's WebGPU, off the page's main thread.
// The messages it takes and sends are in protocol.js; the console's runner is Python in the core
// (webgrad/console.py), where pytest tests it too.
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
// Background compiles (tiered compiling: core/devices/gpu.py) start one at a time when Python polls,
// so once the worker has had nothing to run for IDLE_MS it polls, and again every IDLE_MS until none
// is left: a playground left idle after loading has its single kernels ready when play is pressed.
// Only when idle: a compile started between two calls the page sent together (configure, then warm)
// took the cores from the second's own compiles (its warm-up 0.5 s -> 1.4 s).
const IDLE_MS = 250;
let compilesPending = null, polling = false, busy = 0;   // busy: messages queued or running
function run(task) {
  busy++;
  queue = queue.then(task).finally(() => { busy--; pollWhenIdle(); });
}
function pollWhenIdle() {
  if (polling || !compilesPending) return;
  polling = true;
  setTimeout(() => {
    polling = false;
    if (busy === 0 && compilesPending() > 0) pollWhenIdle();   // busy: that message polls when it is done
  }, IDLE_MS);
}

// Python with the core installed: from the server's memory snapshot of it when there is one (about a
// second), else booted and imported the plain way (about five); the wheel's files go into the file
// system either way, for the modules imported later.
async function startPython(core) {
  const { loadPyodide } = await import(new URL(core.pyodide + "pyodide.mjs", location.href).href);
  const indexURL = new URL(core.pyodide, location.href).href;
  const wheel = fetch(core.wheel).then((r) => r.arrayBuffer());
  const install = async (pyodide) => {
    const site = pyodide.runPython("import site; site.getsitepackages()[0]");
    pyodide.unpackArchive(new Uint8Array(await wheel), "wheel", { extractDir: site });
  };
  if (core.snapshot) {
    try {
      const saved = fetch(core.snapshot).then((r) => {
        if (!r.ok) throw new Error(`${core.snapshot}: HTTP ${r.status}`);
        return r.arrayBuffer();
      });
      const pyodide = await loadPyodide({ indexURL, _loadSnapshot: saved });
      await install(pyodide);
      pyodide.runPython("import random; random.seed()");   // not the snapshot's sequence in every page
      return { pyodide, from: "snapshot" };
    } catch (e) {
      post({ type: MSG.STDERR, text: `webgrad: the Python snapshot did not load (${e.message}); ` +
                                     "starting Python without it\n" });
    }
  }
  const pyodide = await loadPyodide({ indexURL });
  await install(pyodide);
  return { pyodide, from: "boot" };
}

async function start() {
  const timings = {};
  let t = performance.now();
  const phase = (name) => { const now = performance.now(); timings[name] = Math.round(now - t); t = now; };

  if (typeof WebAssembly.Suspending !== "function") {
    const reason = typeof navigator.gpu === "undefined"
      ? "This browser has no WebGPU."
      : "This browser has WebGPU but not JavaScript Promise Integration, which webgrad needs to read results back.";
    post({ type: MSG.NOGPU, help: WEBGPU_HELP, reason });
    return;
  }
  post({ type: MSG.STATUS, text: "Opening WebGPU and starting Python…" });
  // WebGPU and Python start side by side; Python needs the device only once it opens it.
  const gpu = openGPU();
  const python = fetch("/core.json", { cache: "no-store" }).then((r) => r.json()).then(startPython);
  python.catch(() => {});   // awaited below once WebGPU is open; a page without WebGPU never needs it
  try {
    self.webgradGPU = await gpu;
  } catch (e) {
    post(e instanceof NoWebGPUError ? { type: MSG.NOGPU, reason: e.message, help: WEBGPU_HELP }
                                    : { type: MSG.FAILED, error: `opening WebGPU failed: ${e.message}` });
    return;
  }
  phase("webgpu");
  const { pyodide, from } = await python;
  pyodide.setStdout({ write: stream(MSG.STDOUT) });
  pyodide.setStderr({ write: stream(MSG.STDERR) });
  phase("python");
  self.webgradGPU.compileAhead();

  post({ type: MSG.STATUS, text: "Opening the device…" });
  const console_ = pyodide.runPython("from webgrad.console import Console\nConsole()");
  runner = console_.run;
  if (APP === "playground") app = pyodide.runPython("from webgrad.playground import Playground\nPlayground(log_runs=True)");
  const device = pyodide.runPython("import webgrad\nwebgrad.default_device().name");
  const core = pyodide.runPython("webgrad.default_device()");
  if (typeof core.compiles_pending === "function") compilesPending = () => core.compiles_pending();
  phase("import");
  post({ type: MSG.READY, device, adapter: self.webgradGPU.info, timings, python: from });
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
    run(() => call(msg));
    return;
  }
  if (msg.type !== MSG.RUN) return;
  run(async () => {
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
