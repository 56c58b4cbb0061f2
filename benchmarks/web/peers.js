// The peers page's glue: starts jax-js (webgpu, wasm) and TensorFlow.js (webgpu, wasm), then
// exposes window.peers for benchmarks/train_step_browser.py to call with page.evaluate.
import * as jax from "@jax-js/jax";
import { jaxChain, jaxTrainer, tfChain, tfTrainer, trainCell } from "./mlp.js";

const tf = globalThis.tf;   // the UMD bundles of peers.html: tfjs, then its webgpu and wasm backends
const log = (text) => { document.getElementById("log").textContent += text + "\n"; };

async function start() {
  // TF.js's wasm backend: its .wasm files from node_modules, one thread (also where the page is
  // cross-origin isolated and could start threads), SIMD where the browser has it.
  tf.wasm.setWasmPaths("/npm/@tensorflow/tfjs-backend-wasm/dist/");
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  const jaxDevices = await jax.init("webgpu", "wasm");
  const adapter = await navigator.gpu.requestAdapter();
  const info = adapter ? adapter.info : {};
  return {
    jaxDevices,
    tfVersion: tf.version.tfjs,
    tfBackends: Object.keys(tf.engine().registryFactory),
    adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" "),
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  };
}

const ready = start();

window.peers = {
  ready,
  // system: "jax-webgpu" | "jax-wasm" | "tf-webgpu" | "tf-wasm" (a suffix such as "-iso" is ignored)
  async train(system, data, lr, options) {
    await ready;
    const [lib, device] = system.split("-");
    const { optimizer = "sgd", adam } = options;
    const trainer = lib === "jax" ? jaxTrainer(jax, device, data, lr, optimizer, adam)
                                  : await tfTrainer(tf, device, data, lr, optimizer, adam);
    const result = await trainCell(trainer, options);
    if (system === "tf-wasm") result.threads = tf.wasm.getThreadsCount();
    log(`${system}: ${JSON.stringify(result)}`);
    return result;
  },
  // A fresh trainer's first step: from nothing to its first loss read back, compiles included
  // (benchmarks/startup.py, next to webgrad's first steps).
  async firstStep(system, data, lr) {
    await ready;
    const [lib, device] = system.split("-");
    const t0 = performance.now();
    const trainer = lib === "jax" ? jaxTrainer(jax, device, data, lr) : await tfTrainer(tf, device, data, lr);
    const loss = await trainer.step(true);
    const ms = performance.now() - t0;
    trainer.dispose();
    return { ms, loss };
  },
  async chain(lib, trials) {
    await ready;
    return lib === "jax" ? jaxChain(jax, trials) : tfChain(tf, trials);
  },
};

ready.then((info) => { log(JSON.stringify(info)); document.body.dataset.state = "ready"; },
           (e) => { log(String(e && e.stack || e)); document.body.dataset.state = "failed"; });
