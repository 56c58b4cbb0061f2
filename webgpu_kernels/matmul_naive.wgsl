// One thread per output element, threads in a flat row-major order over (batch, M, N): the
// baseline the other variants are measured against, and what small matmuls run (no idle lanes
// when N is small, as a 2-D 8x8 grid of threads would have).
${HEADER}
@group(0) @binding(0) var<storage, read> a: array<${T}>;
@group(0) @binding(1) var<storage, read> b: array<${T}>;
${STORE}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = ${LINEAR_ID};
    if (i >= ${THREADS}) { return; }
    let z = i / (${M} * ${N});
    let row = (i / ${N}) % ${M};
    let col = i % ${N};
    ${BATCH}
    var acc = 0.0;
    for (var k = 0; k < ${K}; k++) {
        acc += f32(a[a_base + row * ${SAM} + k * ${SAK}]) * f32(b[b_base + k * ${SBK} + col * ${SBN}]);
    }
    store(i, ${T}(acc));
}
