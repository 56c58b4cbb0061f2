// out[p, i, q] = x[p, index[i], q]: x is (P, N, Q), the index holds I entries (negative counts
// from the end, out-of-range is clamped; the host checks indices it knows before upload). The value
// goes through store() (epilogue.py): plain, or with the elementwise ops graph mode fused after it.
${HEADER}
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
${STORE}
${SIZES}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${P} * ${I} * ${Q}) { return; }
    let q = t % ${Q};
    let i = (t / ${Q}) % ${I};
    let p = t / (${Q} * ${I});
    var j = index[i];
    j = clamp(select(j, j + ${N}, j < 0), 0, ${N} - 1);
    store(t, ${LOAD});
}
