// The JS half of webgrad's browser device (core/devices/browser.py).
//
// openGPU() requests the adapter and device before Python starts; the worker exposes the result
// as globalThis.webgradGPU, which Python reaches as `js.webgradGPU`. Buffers and pipelines live
// here in tables keyed by small ints, so Python holds only ints and crosses the FFI rarely:
//   createBuffer(nbytes) -> id            destroyBuffer(id)
//   writeBuffer(id, offset, bytes)        bytes: a Uint8Array or a PyProxy of a Python buffer
//   compile(source, name) -> Promise<id | "error text">     messages as "wgsl:LINE:COL error: ..."
//   compileLater(source, name) -> ticket                   the same compile, in the background:
//   compiled(ticket) -> id | "error text" | -1 (not yet)  settled(ticket) -> Promise of it; forget(ticket)
//   submit(commands)                      commands: Int32Array of [pipeline, n, id*n, x, y, z]*
//   read(id, offset, nbytes) -> Promise<Uint8Array>         copy + mapAsync
//   wait() -> Promise                     all submitted work done
//   choices / saveChoices(json)           measured kernel choices, kept in IndexedDB
//   compileAhead()                        start compiling what a former load used (below)
//   ahead                                 {started, used}: pipelines compiled ahead
// Validation errors of a submit are raised by the next read() or wait().
//
// Compiling ahead: browsers keep no WebGPU pipelines between page loads, and SwiftShader spends
// 20-40 ms on each small kernel (seconds on a single-kernel step). So the WGSL this page compiles
// is kept in IndexedDB, in the order it was first needed, and the next load of the page starts
// compiling it (createComputePipelineAsync, off the queue) once Python has started, before the
// core opens its device; compile() then takes the pipeline made ahead instead of making it again.

// Limits webgrad asks for at the adapter's maximum (the defaults are smaller), as wgpu_native does.
const WANTED_LIMITS = ["maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup", "maxStorageBuffersPerShaderStage"];
const WANTED_FEATURES = ["shader-f16"];
const BIND_GROUP_CACHE_SIZE = 4096;
// WGSL compiled ahead on a page load, at most: about 3 s of SwiftShader compiling in the background,
// which goes on in the GPU process even if the page is closed. Only small kernels: the big ones (a
// blocked matmul's unrolled loads, a single-kernel step) take seconds each, and compiled ahead they
// held up the small ones a page needed first (a playground's second visit trained slower than its
// first); tiered compiling makes them when they are asked for.
const AHEAD_CHARS = 120_000;
const AHEAD_MAX_SOURCE = 4_000;
const AHEAD_AT_ONCE = 2;

export class NoWebGPUError extends Error {}

// Which browsers have WebGPU, for the message shown when this one has none.
export const WEBGPU_HELP =
  "webgrad runs on WebGPU. Use Chrome or Edge 113 or newer (Windows, macOS, ChromeOS, Android); " +
  "on Linux start Chrome/Chromium with --enable-unsafe-webgpu (and --enable-features=Vulkan for a GPU). " +
  "Safari 26 and Firefox 141 on Windows also have it; elsewhere Firefox needs dom.webgpu.enabled in about:config. " +
  "Reading results back also needs JavaScript Promise Integration (Chrome/Edge 137 or newer).";

const snake = (s) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

export async function openGPU() {
  if (!("gpu" in navigator) || !navigator.gpu) {
    throw new NoWebGPUError("This browser has no WebGPU (navigator.gpu is missing).");
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) {
    throw new NoWebGPUError("This browser has WebGPU but found no adapter (requestAdapter returned null: " +
      "WebGPU may be disabled, blocklisted for this GPU, or off in this context).");
  }
  const requiredLimits = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const [choices, sources] = await Promise.all([load("kernel_choices"), load("kernel_sources")]);
  return new WebGPUHelper(adapter, device, choices, sources);
}

export class WebGPUHelper {
  constructor(adapter, device, choices, sources = {}) {
    const info = adapter.info || {};
    this.info = { vendor: info.vendor || "", architecture: info.architecture || "",
                  device: info.device || "", description: info.description || "" };
    const what = this.info.description || [this.info.vendor, this.info.architecture, this.info.device]
      .filter(Boolean).join(" ") || "unknown adapter";
    this.name = `${what} (browser WebGPU)`;
    this.features = [...device.features];
    this.limits = {};
    for (const k in device.limits) {
      if (typeof device.limits[k] === "number") this.limits[snake(k)] = device.limits[k];
    }
    this.choices = JSON.stringify(choices[this.name] || {});
    this._allChoices = choices;
    this.device = device;
    this.buffers = [];          // id -> GPUBuffer
    this.freeIds = [];
    this.pipelines = [];        // id -> {pipeline, layout}
    this.bindGroups = new Map();   // "pipeline:id,id,..." -> GPUBindGroup
    this.staging = null;        // MAP_READ buffer reused by read()
    this.error = null;          // first validation error since the last read/wait
    this.lost = null;
    device.lost.then((e) => { this.lost = `the WebGPU device was lost (${e.reason}): ${e.message}`; });
    // Closures, not methods: Python calls them through the FFI without a `this`.
    this.tickets = new Map();   // ticket -> {promise, result} of a background compile
    this.nextTicket = 0;
    this._allSources = sources;
    this.used = new Map();      // source -> name, of every kernel this page compiled, in order
    this.ahead = { started: 0, used: 0 };
    this.aheadOf = new Map();   // source -> Promise<pipeline | null>, of those compileAhead() started
    this.aheadQueue = [];       // the rest, last first
    for (const m of ["createBuffer", "destroyBuffer", "writeBuffer", "compile", "compileLater", "compiled",
                     "settled", "forget", "submit", "read", "wait", "saveChoices"]) {
      this[m] = this[m].bind(this);
    }
  }

  createBuffer(nbytes) {
    // UNIFORM too: a shape-generic kernel reads its sizes from a pooled buffer bound as a uniform.
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffer = this.device.createBuffer({ size: nbytes, usage });
    const id = this.freeIds.length ? this.freeIds.pop() : this.buffers.length;
    this.buffers[id] = buffer;
    return id;
  }

  destroyBuffer(id) {
    this.buffers[id].destroy();
    this.buffers[id] = null;
    this.freeIds.push(id);
    this.bindGroups.clear();   // some may name this id; destroying is rare
  }

  writeBuffer(id, offset, data) {
    if (data.getBuffer) {     // a PyProxy of a Python buffer: copy straight out of the wasm heap
      const view = data.getBuffer("u8");
      try {
        this.device.queue.writeBuffer(this.buffers[id], offset, view.data);
      } finally {
        view.release();
      }
    } else {
      this.device.queue.writeBuffer(this.buffers[id], offset, data);
    }
  }

  // A pipeline needed now is created with createComputePipeline, which the GPU process compiles in
  // order with the work it is sent; createComputePipelineAsync's compiles (compileLater) go to a
  // pool of their own, behind which a kernel needed now would wait.
  async compile(source, name) {
    const made = await this._madeAhead(source, name);
    if (made !== null) return made;
    const module = this.device.createShaderModule({ code: source, label: name });
    const errors = await this._errors(module);
    this.device.pushErrorScope("validation");
    const pipeline = errors ? null : this.device.createComputePipeline({ label: name, layout: "auto", compute: { module, entryPoint: "main" } });
    const error = await this.device.popErrorScope();
    if (!errors && !error) return this._keep(pipeline);
    this.used.delete(source);    // not one to compile ahead next time
    return errors || `error: ${error.message}`;
  }

  async _errors(module) {
    const info = await module.getCompilationInfo();
    if (!info.messages.some((m) => m.type === "error")) return null;
    return info.messages.map((m) => `wgsl:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join("\n");
  }

  _keep(pipeline) {
    this.pipelines.push({ pipeline, layout: pipeline.getBindGroupLayout(0) });
    return this.pipelines.length - 1;
  }

  // Tiered compiling: Python keeps running on kernels it has while these compile (Dawn compiles
  // pipelines made with createComputePipelineAsync off the queue), and asks for them later.
  compileLater(source, name) {
    // Sent to the GPU process now, in this call: Python runs on, and the promise's result is
    // picked up when the worker's event loop next turns (during any readback).
    const ticket = this.nextTicket++;
    const entry = { result: -1 };   // -1: not compiled yet
    entry.promise = this._madeAhead(source, name).then((made) => {
      if (made !== null) return made;
      const module = this.device.createShaderModule({ code: source, label: name });
      return this.device.createComputePipelineAsync({ label: name, layout: "auto", compute: { module, entryPoint: "main" } })
        .then((pipeline) => this._keep(pipeline), async (e) => {
          this.used.delete(source);
          return (await this._errors(module)) || `error: ${e.message}`;
        });
    }).then((result) => { entry.result = result; return result; });
    this.tickets.set(ticket, entry);
    return ticket;
  }

  compiled(ticket) { return this.tickets.get(ticket).result; }

  settled(ticket) { return this.tickets.get(ticket).promise; }

  forget(ticket) { this.tickets.delete(ticket); }

  // Start compiling the kernels a former load of the page used, first-needed first, AHEAD_AT_ONCE
  // at a time (all at once, the first needed would finish last). The worker calls it once Python
  // has started: compiling sooner would slow that down on a small machine.
  compileAhead() {
    this.aheadQueue = (this._allSources[this.name] || []).filter(({ source }) => !this.used.has(source));
    this.aheadQueue.reverse();   // popped from the end
    for (let i = 0; i < AHEAD_AT_ONCE; i++) this._nextAhead();
  }

  _nextAhead() {
    const next = this.aheadQueue.pop();
    if (next === undefined) return;
    const module = this.device.createShaderModule({ code: next.source, label: next.name });
    this.aheadOf.set(next.source, this.device.createComputePipelineAsync({
      label: next.name, layout: "auto", compute: { module, entryPoint: "main" } })
      .catch(() => null)      // WGSL this build no longer accepts: compiled (and reported) when asked
      .finally(() => this._nextAhead()));
    this.ahead.started++;
  }

  // The pipeline id of `source` if it was compiled ahead (waiting for it if it still compiles), else
  // null (not started yet: it is compiled now instead); either way `source` is remembered for the
  // next load.
  async _madeAhead(source, name) {
    if (!this.used.has(source)) {
      this.used.set(source, name);
      this._rememberSoon();
    }
    const ahead = this.aheadOf.get(source);
    if (ahead === undefined) {
      const queued = this.aheadQueue.findIndex((k) => k.source === source);
      if (queued >= 0) this.aheadQueue.splice(queued, 1);
      return null;
    }
    this.aheadOf.delete(source);
    const pipeline = await ahead;
    if (pipeline === null) return null;
    this.ahead.used++;
    return this._keep(pipeline);
  }

  // The kernels to compile ahead next time: this page's in the order it needed them, then those of
  // former loads it did not need (yet), up to AHEAD_CHARS of WGSL. Saved a moment after the last new one.
  _rememberSoon() {
    clearTimeout(this._saveTimer);
    this._saveTimer = setTimeout(() => {
      const list = [...this.used].map(([source, name]) => ({ source, name }));
      for (const k of this._allSources[this.name] || []) if (!this.used.has(k.source)) list.push(k);
      let chars = 0;
      const kept = list.filter((k) => k.source.length <= AHEAD_MAX_SOURCE && (chars += k.source.length) <= AHEAD_CHARS);
      this._allSources[this.name] = kept;
      store("kernel_sources", this._allSources);
    }, 1000);
  }

  _bindGroup(pid, commands, start, n) {
    let key = String(pid);
    for (let i = start; i < start + n; i++) key += "," + commands[i];
    let group = this.bindGroups.get(key);
    if (group === undefined) {
      const entries = [];
      for (let i = 0; i < n; i++) entries.push({ binding: i, resource: { buffer: this.buffers[commands[start + i]] } });
      group = this.device.createBindGroup({ layout: this.pipelines[pid].layout, entries });
      if (this.bindGroups.size >= BIND_GROUP_CACHE_SIZE) this.bindGroups.clear();
      this.bindGroups.set(key, group);
    }
    return group;
  }

  submit(commands) {
    if (commands.getBuffer) {   // a PyProxy of an array('i'): read it in place
      const view = commands.getBuffer("i32");
      try {
        return this.submit(view.data);
      } finally {
        view.release();
      }
    }
    const device = this.device;
    device.pushErrorScope("validation");
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < commands.length;) {
      const pid = commands[i], n = commands[i + 1];
      pass.setPipeline(this.pipelines[pid].pipeline);
      pass.setBindGroup(0, this._bindGroup(pid, commands, i + 2, n));
      i += 2 + n;
      pass.dispatchWorkgroups(commands[i], commands[i + 1], commands[i + 2]);
      i += 3;
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    device.popErrorScope().then((e) => { if (e && !this.error) this.error = e.message; });
  }

  _check() {
    const error = this.lost || this.error;
    this.error = null;
    if (error) throw new Error(`WebGPU: ${error}`);
  }

  async read(id, offset, nbytes) {
    if (!this.staging || this.staging.size < nbytes) {
      if (this.staging) this.staging.destroy();
      let size = 256;
      while (size < nbytes) size *= 2;
      this.staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const staging = this.staging;
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.buffers[id], offset, staging, 0, nbytes);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, nbytes);
    const out = new Uint8Array(staging.getMappedRange(0, nbytes).slice(0));
    staging.unmap();
    this._check();
    return out;
  }

  async wait() {
    await this.device.queue.onSubmittedWorkDone();
    this._check();
  }

  saveChoices(json) {
    this.choices = json;
    this._allChoices[this.name] = JSON.parse(json);
    store("kernel_choices", this._allChoices);
  }
}

// ---- measured kernel choices and compiled kernels' WGSL, kept across page loads (IndexedDB works
// in workers) ----------------------------------------------------------------------------------

function openStore() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("webgrad", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("kv");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function load(key) {
  try {
    const db = await openStore();
    return await new Promise((resolve) => {
      const req = db.transaction("kv").objectStore("kv").get(key);
      req.onsuccess = () => resolve(req.result || {});
      req.onerror = () => resolve({});
    });
  } catch {
    return {};   // no IndexedDB (private mode): measure and compile again next time
  }
}

async function store(key, value) {
  try {
    const db = await openStore();
    db.transaction("kv", "readwrite").objectStore("kv").put(value, key);
  } catch {
    // as above
  }
}
