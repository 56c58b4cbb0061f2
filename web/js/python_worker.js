// The page's side of the worker protocol (protocol.js): start the worker, run code, get output.
//
//   const py = new PythonWorker({ onStatus, onReady, onUnavailable, onOutput });
//   const { ok, ms } = await py.run("print(1 + 1)");
import { MSG } from "./protocol.js";

export class PythonWorker {
  constructor({ onStatus = () => {}, onReady = () => {}, onUnavailable = () => {}, onOutput = () => {} } = {}) {
    this.pending = new Map();   // run id -> resolve
    this.nextId = 1;
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.worker.onerror = (e) => onUnavailable({ kind: "failed", reason: `the Python worker failed: ${e.message}` });
    this.worker.onmessage = ({ data: msg }) => {
      switch (msg.type) {
        case MSG.STATUS: onStatus(msg.text); break;
        case MSG.READY: onReady(msg); break;
        case MSG.NOGPU: onUnavailable({ kind: "nogpu", reason: msg.reason, help: msg.help }); break;
        case MSG.FAILED: onUnavailable({ kind: "failed", reason: msg.error }); break;
        case MSG.STDOUT: case MSG.STDERR: onOutput(msg.type, msg.text); break;
        case MSG.DONE: {
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
      this.worker.postMessage({ type: MSG.RUN, id, code });
    });
  }
}
