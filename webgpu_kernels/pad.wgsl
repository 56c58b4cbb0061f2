// Constant padding: each output element reads its input element, or VALUE outside the input.
${HEADER}
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read_write> out: array<${T}>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${N}) { return; }
    ${COORDS}
    if (${INSIDE}) {
        out[t] = x[${SOURCE}];
    } else {
        out[t] = ${VALUE};
    }
}
