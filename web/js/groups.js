// Runs drawn as groups (what TensorBoard's users asked for in tensorflow/tensorboard#376, #1450, #1503): runs
// grouped by a regular expression (its first capture group, or the whole match) or by a hyper-parameter's
// value, each group one line, the mean of its runs, over a band from their min to their max.

// The group of each run: Map(group name -> [run names]); `by` is "" (no groups), "hparam:<name>" or a regex.
// A run the regex does not match, or without the hyper-parameter, stays a group of its own.
export function groupRuns(runs, by, hparams = {}) {
  const groups = new Map();
  const add = (key, run) => { if (!groups.has(key)) groups.set(key, []); groups.get(key).push(run); };
  if (!by) { for (const r of runs) add(r, r); return groups; }
  if (by.startsWith("hparam:")) {
    const name = by.slice(7);
    for (const r of runs) {
      const v = hparams[r]?.[name];
      add(v === undefined ? r : `${name}=${v}`, r);
    }
    return groups;
  }
  let re;
  try { re = new RegExp(by); } catch { for (const r of runs) add(r, r); return groups; }
  for (const r of runs) {
    const m = re.exec(r);
    add(m ? (m[1] ?? m[0]) : r, r);
  }
  return groups;
}

// One group's line and band from its runs' points: at every x of any run (sorted), the mean, min and max of
// the runs that have a point there. `lines`: [{ xs, ys }] with xs ascending; returns { xs, mean, min, max, n }.
export function aggregate(lines) {
  const at = new Map();
  for (const { xs, ys } of lines) {
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y == null || !Number.isFinite(y)) continue;
      let a = at.get(xs[i]);
      if (!a) at.set(xs[i], (a = { sum: 0, n: 0, min: Infinity, max: -Infinity }));
      a.sum += y; a.n++; a.min = Math.min(a.min, y); a.max = Math.max(a.max, y);
    }
  }
  const xs = [...at.keys()].sort((p, q) => p - q);
  const out = { xs, mean: [], min: [], max: [], n: [] };
  for (const x of xs) {
    const a = at.get(x);
    out.mean.push(a.sum / a.n); out.min.push(a.min); out.max.push(a.max); out.n.push(a.n);
  }
  return out;
}
