// The peers' side of benchmarks/train_step_browser.py: the MLP 2-H-H-1 training step written as a
// user of each library writes it, the timing loops, and the eager chain of adds.
//
// No imports: the page (peers.js) passes the libraries in, so this file also runs under Node
// (jax-js wasm, TF.js cpu) for a quick check of the losses.
//
// data: {x: {data, shape}, y: {data, shape}, params: [{data, shape} x 6]} (w1 b1 w2 b2 w3 b3), made
// by the Python script so that every system starts from the same numbers and sees the same batch.

const now = () => performance.now();

// jax-js: jit(valueAndGrad(loss)) with the update inside the jit; arrays are reference counted
// (an argument is consumed, `.ref` keeps a second reference). jax-js has no optimizer library, so
// Adam is written by hand as TF.js keeps it: moments m and v, and beta_1^t, beta_2^t as state.
export function jaxTrainer(jax, device, data, lr, optimizer = "sgd", adam = [0.9, 0.999, 1e-7]) {
  const { numpy: np, jit, valueAndGrad } = jax;
  jax.defaultDevice(device);
  const put = (a) => np.array(new Float32Array(a.data), { shape: a.shape, device });
  let params = data.params.map(put);
  const x = put(data.x), y = put(data.y);

  function loss(p, x, y) {
    const [w1, b1, w2, b2, w3, b3] = p;
    const h1 = np.tanh(np.matmul(x, w1).add(b1));
    const h2 = np.tanh(np.matmul(h1, w2).add(b2));
    const z = np.matmul(h2, w3).add(b3);
    // max(z, 0) - z*y + log(1 + exp(-|z|)): webgrad's binary_cross_entropy_with_logits
    const per = np.maximum(z.ref, 0).sub(z.ref.mul(y)).add(np.log1p(np.exp(np.negative(np.abs(z)))));
    return np.mean(per);
  }
  const sgd = jit((p, x, y) => {
    const [value, grads] = valueAndGrad(loss)(p.map((a) => a.ref), x, y);
    return [value, p.map((a, i) => a.sub(grads[i].mul(lr)))];
  });
  const [b1, b2, eps] = adam;
  const adamStep = jit((p, m, v, b1t, b2t, x, y) => {
    const [value, g] = valueAndGrad(loss)(p.map((a) => a.ref), x, y);
    const b1t1 = b1t.mul(b1), b2t1 = b2t.mul(b2);
    // lr * sqrt(1 - b2^t) / (1 - b1^t)
    const alpha = np.sqrt(b2t1.ref.mul(-1).add(1)).mul(lr).div(b1t1.ref.mul(-1).add(1));
    const m1 = m.map((a, i) => a.mul(b1).add(g[i].ref.mul(1 - b1)));
    const v1 = v.map((a, i) => a.mul(b2).add(g[i].ref.mul(g[i]).mul(1 - b2)));
    const last = p.length - 1;
    const p1 = p.map((a, i) => a.sub(m1[i].ref.mul(i < last ? alpha.ref : alpha).div(np.sqrt(v1[i].ref).add(eps))));
    return [value, p1, m1, v1, b1t1, b2t1];
  });
  const zeros = () => data.params.map((a) => put({ data: a.data.map(() => 0), shape: a.shape }));
  let m = zeros(), v = zeros();
  let b1t = put({ data: [1], shape: [] }), b2t = put({ data: [1], shape: [] });
  return {
    step(read) {
      let value;
      if (optimizer === "adam") {
        [value, params, m, v, b1t, b2t] = adamStep(params, m, v, b1t, b2t, x.ref, y.ref);
      } else {
        [value, params] = sgd(params, x.ref, y.ref);
      }
      if (read) return value.data().then((d) => d[0]);
      value.dispose();
      return null;
    },
    dispose() {
      for (const a of [...params, ...m, ...v, b1t, b2t, x, y]) a.dispose();
      sgd.dispose();
      adamStep.dispose();
    },
  };
}

// TensorFlow.js: tf.variable parameters, tf.train.sgd(lr) or tf.train.adam(lr, ...).minimize,
// tf.losses.sigmoidCrossEntropy.
export async function tfTrainer(tf, backend, data, lr, optimizer = "sgd", adam = [0.9, 0.999, 1e-7]) {
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not start its ${backend} backend`);
  await tf.ready();
  const vars = data.params.map((a) => tf.variable(tf.tensor(a.data, a.shape)));
  const x = tf.tensor(data.x.data, data.x.shape), y = tf.tensor(data.y.data, data.y.shape);
  const opt = optimizer === "adam" ? tf.train.adam(lr, ...adam) : tf.train.sgd(lr);
  const [w1, b1, w2, b2, w3, b3] = vars;
  const loss = () => {
    const h1 = tf.tanh(tf.add(tf.matMul(x, w1), b1));
    const h2 = tf.tanh(tf.add(tf.matMul(h1, w2), b2));
    return tf.losses.sigmoidCrossEntropy(y, tf.add(tf.matMul(h2, w3), b3));
  };
  return {
    step(read) {
      const value = opt.minimize(loss, read, vars);
      if (!read) return null;
      return value.data().then((d) => { value.dispose(); return d[0]; });
    },
    dispose() {
      tf.dispose([...vars, x, y]);
      opt.dispose();
    },
  };
}

// Steps per second over at least `seconds`, reading the loss after every `readEvery`-th step.
export async function rate(trainer, readEvery, seconds) {
  const t0 = now();
  let n = 0, last;
  do {
    for (let i = 1; i < readEvery; i++) trainer.step(false);
    last = await trainer.step(true);
    n += readEvery;
  } while (now() - t0 < seconds * 1000);
  return { rate: n / ((now() - t0) / 1000), loss: last };
}

// Counts WebGPU compute dispatches and queue submits made while `f` runs (null without WebGPU).
export async function countGPU(f) {
  if (typeof GPUComputePassEncoder === "undefined") { await f(); return null; }
  const pass = GPUComputePassEncoder.prototype, queue = GPUQueue.prototype;
  const dispatch = pass.dispatchWorkgroups, submit = queue.submit;
  const counts = { dispatches: 0, submits: 0 };
  pass.dispatchWorkgroups = function (...a) { counts.dispatches++; return dispatch.apply(this, a); };
  queue.submit = function (...a) { counts.submits++; return submit.apply(this, a); };
  try {
    await f();
  } finally {
    pass.dispatchWorkgroups = dispatch;
    queue.submit = submit;
  }
  return counts;
}

// One benchmark cell: the first losses from the shared initial parameters (to check that every
// system trains the same model), a warm-up, then best-of-`repeats` rates with the loss read every
// step and every `pipeline` steps, the two modes alternating. Where one pipelined chunk would take
// longer than `slowChunk` seconds (TF.js webgpu here), it is timed once, without its own warm-up.
export async function trainCell(trainer, { pipeline = 100, seconds = 0.6, repeats = 3, warmup = 0.4, firstLosses = 5,
                                          slowChunk = 3 }) {
  const first = [];
  for (let i = 0; i < firstLosses; i++) first.push(await trainer.step(true));
  const est = (await rate(trainer, 1, warmup)).rate;
  const slow = pipeline / est > slowChunk;
  if (!slow) await rate(trainer, pipeline, 0);
  const steps = 10;
  const gpu = await countGPU(async () => { for (let i = 0; i < steps; i++) await trainer.step(true); });
  const every = [], piped = [];
  for (let r = 0; r < repeats; r++) {
    every.push((await rate(trainer, 1, seconds)).rate);
    if (!slow || r === 0) piped.push((await rate(trainer, pipeline, seconds)).rate);
  }
  trainer.dispose();
  return {
    first, every, piped,
    dispatchesPerStep: gpu && gpu.dispatches / steps, submitsPerStep: gpu && gpu.submits / steps,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// The eager per-op cost: a chain of n adds on 32x64 then one wait for the device, median of
// `trials`; per op for n = 50, and the marginal cost per op between n = 50 and n = 250.
async function chainTimes(chain, trials) {
  for (let i = 0; i < 3; i++) { await chain(50); await chain(250); }   // warm-up: kernels compiled
  const per = {};
  for (const n of [50, 250]) {
    const times = [];
    for (let i = 0; i < trials; i++) {
      const t0 = now();
      await chain(n);
      times.push(now() - t0);
    }
    per[n] = median(times);
  }
  const gpu = await countGPU(() => chain(50));
  return { usPerOp50: per[50] / 50 * 1e3, usMarginal: (per[250] - per[50]) / 200 * 1e3,
           dispatches50: gpu && gpu.dispatches };
}

export async function jaxChain(jax, trials = 15) {
  const { numpy: np } = jax;
  jax.defaultDevice("webgpu");
  const a = np.array(new Float32Array(32 * 64), { shape: [32, 64], device: "webgpu" });
  const one = np.array(new Float32Array(32 * 64).fill(1), { shape: [32, 64], device: "webgpu" });
  const chain = async (n) => {
    let s = a.ref;
    for (let i = 0; i < n; i++) s = s.add(one.ref);
    await s.blockUntilReady();
    s.dispose();
  };
  const out = await chainTimes(chain, trials);
  a.dispose();
  one.dispose();
  return out;
}

export async function tfChain(tf, trials = 15) {
  await tf.setBackend("webgpu");
  await tf.ready();
  const a = tf.zeros([32, 64]), one = tf.ones([32, 64]);
  const chain = async (n) => {
    let s = a;
    for (let i = 0; i < n; i++) {
      const t = tf.add(s, one);
      if (s !== a) s.dispose();
      s = t;
    }
    await s.data();        // TF.js has no wait without a read; the read is 8 KB
    s.dispose();
  };
  const out = await chainTimes(chain, trials);
  tf.dispose([a, one]);
  return out;
}
