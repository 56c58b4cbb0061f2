// The gradient of gather: out[p, j, q] = sum of g[p, i, q] over the i where index[i] == j.
// Each output sums its own matches, so no atomics (WebGPU has no float atomics) and the
// result is the same on every run. The value goes through store() (epilogue.py).
${HEADER}
@group(0) @binding(0) var<storage, read> g: array<${T}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
${STORE}
${SIZES}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${P} * ${N} * ${Q}) { return; }
    let q = t % ${Q};
    let j = (t / ${Q}) % ${N};
    let p = t / (${Q} * ${N});
    var acc = 0.0;
    for (var i = 0; i < ${I}; i++) {
        var k = index[i];
        k = clamp(select(k, k + ${N}, k < 0), 0, ${N} - 1);
        if (k == j) { acc += f32(g[(p * ${I} + i) * ${Q} + q]); }
    }
    store(t, ${T}(acc));
}
