// webgrad's Python worker: Pyodide, the core and the page's WebGPU, off the page's main thread.
//
// The protocol, both directions (python_worker.js is the page's side of it):
//   page -> worker  {type: "run", id, code}          run Python in the console's namespace
//   worker -> page  {type: "status", text}           loading progress
//                   {type: "nogpu", reason, help}     no WebGPU here; the worker stops
//                   {type: "failed", error}           loading failed otherwise
//                   {type: "ready", device, adapter, timings}   timings: ms per loading phase
//                   {type: "stdout" | "stderr", text} output of a run, as it is printed
//                   {type: "done", id, ok, ms}        a run ended (ok: no exception)
import { loadPyodide } from "/pyodide/pyodide.mjs";
import { NoWebGPUError, WEBGPU_HELP, openGPU } from "./webgpu_helper.js";

const post = (msg) => self.postMessage(msg);

// Runs console input like a script named console.py (tracebacks show its lines), with top-level
// await, printing the value of a last bare expression as the REPL does. The traceback starts at
// the user's code: the frames of the runner and of Pyodide's eval are left out.
const RUNNER = `
import sys, traceback
from pyodide.code import eval_code_async

_console_ns = {"__name__": "__main__"}

async def _console_run(code):
    try:
        result = await eval_code_async(code, _console_ns, filename="console.py")
        if result is not None:
            print(repr(result))
        return True
    except BaseException as e:
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != "console.py":
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb or e.__traceback__)
        return False
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
`;

// Output as Python writes it (a line without its newline too, once flushed), as UTF-8 text.
function stream(type) {
  const decoder = new TextDecoder();
  return (bytes) => {
    post({ type, text: decoder.decode(bytes, { stream: true }) });
    return bytes.length;
  };
}

let runner = null;
let queue = Promise.resolve();   // runs one at a time, in the order sent

async function start() {
  const timings = {};
  let t = performance.now();
  const phase = (name) => { const now = performance.now(); timings[name] = Math.round(now - t); t = now; };

  post({ type: "status", text: "Opening WebGPU…" });
  let gpu;
  try {
    gpu = await openGPU();
  } catch (e) {
    post(e instanceof NoWebGPUError ? { type: "nogpu", reason: e.message, help: WEBGPU_HELP }
                                    : { type: "failed", error: `opening WebGPU failed: ${e.message}` });
    return;
  }
  if (typeof WebAssembly.Suspending !== "function") {
    post({ type: "nogpu", help: WEBGPU_HELP,
           reason: "This browser has WebGPU but not JavaScript Promise Integration, which webgrad needs " +
                   "to read results back." });
    return;
  }
  self.webgradGPU = gpu;
  phase("webgpu");

  post({ type: "status", text: "Downloading and starting Python (Pyodide)…" });
  const pyodide = await loadPyodide({ indexURL: new URL("/pyodide/", location.href).href });
  pyodide.setStdout({ write: stream("stdout") });
  pyodide.setStderr({ write: stream("stderr") });
  phase("pyodide");

  post({ type: "status", text: "Installing webgrad…" });
  const core = await (await fetch("/core.json", { cache: "no-store" })).json();
  await pyodide.loadPackage(new URL(core.wheel, location.href).href,
                            { messageCallback: () => {}, errorCallback: (m) => post({ type: "stderr", text: m + "\n" }) });
  phase("install");

  post({ type: "status", text: "Opening the device…" });
  pyodide.runPython(RUNNER);
  runner = pyodide.globals.get("_console_run");
  const device = pyodide.runPython("import webgrad\nwebgrad.default_device().name");
  phase("import");
  post({ type: "ready", device, adapter: gpu.info, timings });
}

const started = start().catch((e) => post({ type: "failed", error: String(e && e.stack || e) }));

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type !== "run") return;
  queue = queue.then(async () => {
    await started;
    if (!runner) {
      post({ type: "done", id: msg.id, ok: false, ms: 0 });
      return;
    }
    const t0 = performance.now();
    let ok = false;
    try {
      ok = await runner(msg.code);
    } catch (e) {          // an error of the runner itself, not of the user's code
      post({ type: "stderr", text: String(e && e.message || e) + "\n" });
    }
    post({ type: "done", id: msg.id, ok, ms: performance.now() - t0 });
  });
};
