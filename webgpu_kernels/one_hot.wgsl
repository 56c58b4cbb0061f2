// out[i, c] = 1 where index[i] == c, else 0.
@group(0) @binding(0) var<storage, read> index: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
${SIZES}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${I} * ${C}) { return; }
    out[t] = select(0.0, 1.0, index[t / ${C}] == t % ${C});
}
