// The page's side of the worker protocol (protocol.js): start the worker, run code, get output.
//
//   const py = new PythonWorker({ onStatus, onReady, onUnavailable, onOutput });
//   const { ok, ms } = await py.run("print(1 + 1)");
//   const frame = await py.call("train", 10);     // with { app: "playground" }: its Python object's method
import { MSG } from "./protocol.js";

export class PythonWorker {
  constructor({ onStatus = () => {}, onReady = () => {}, onUnavailable = () => {}, onOutput = () => {},
                app = null } = {}) {
    this.pending = new Map();   // run or call id -> resolve (and reject, for calls)
    this.nextId = 1;
    const url = new URL("./worker.js", import.meta.url);
    if (app) url.searchParams.set("app", app);
    this.worker = new Worker(url, { type: "module" });
    this.worker.onerror = (e) => onUnavailable({ kind: "failed", reason: `the Python worker failed: ${e.message}` });
    this.worker.onmessage = ({ data: msg }) => {
      switch (msg.type) {
        case MSG.STATUS: onStatus(msg.text); break;
        case MSG.READY: onReady(msg); break;
        case MSG.NOGPU: onUnavailable({ kind: "nogpu", reason: msg.reason, help: msg.help }); break;
        case MSG.FAILED: onUnavailable({ kind: "failed", reason: msg.error }); break;
        case MSG.STDOUT: case MSG.STDERR: onOutput(msg.type, msg.text); break;
        case MSG.RESULT: {
          const { resolve, reject } = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.ok) resolve(msg.value); else reject(new Error(msg.error));
          break;
        }
        case MSG.DONE: {
          const resolve = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (resolve) resolve({ ok: msg.ok, ms: msg.ms });
          break;
        }
      }
    };
  }

  call(method, args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: MSG.CALL, id, method, args });
    });
  }

  run(code) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ type: MSG.RUN, id, code });
    });
  }
}
