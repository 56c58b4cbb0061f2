// The page's side of the worker protocol (see worker.js): start the worker, run code, get output.
//
//   const py = new PythonWorker({ onStatus, onReady, onUnavailable, onOutput });
//   const { ok, ms } = await py.run("print(1 + 1)");
export class PythonWorker {
  constructor({ onStatus = () => {}, onReady = () => {}, onUnavailable = () => {}, onOutput = () => {} } = {}) {
    this.pending = new Map();   // run id -> resolve
    this.nextId = 1;
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.onerror = (e) => onUnavailable({ kind: "failed", reason: `the Python worker failed: ${e.message}` });
    this.worker.onmessage = ({ data: msg }) => {
      switch (msg.type) {
        case "status": onStatus(msg.text); break;
        case "ready": onReady(msg); break;
        case "nogpu": onUnavailable({ kind: "nogpu", reason: msg.reason, help: msg.help }); break;
        case "failed": onUnavailable({ kind: "failed", reason: msg.error }); break;
        case "stdout": case "stderr": onOutput(msg.type, msg.text); break;
        case "done": {
          const resolve = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (resolve) resolve({ ok: msg.ok, ms: msg.ms });
          break;
        }
      }
    };
  }

  run(code) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ type: "run", id, code });
    });
  }
}
