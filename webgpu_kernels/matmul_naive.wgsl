// One thread per output element: the baseline the other variants are measured against.
${HEADER}
@group(0) @binding(0) var<storage, read> a: array<${T}>;
@group(0) @binding(1) var<storage, read> b: array<${T}>;
${STORE}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = i32(gid.y);
    let col = i32(gid.x);
    if (row >= ${M} || col >= ${N}) { return; }
    let z = i32(gid.z);
    ${BATCH}
    var acc = 0.0;
    for (var k = 0; k < ${K}; k++) {
        acc += f32(a[a_base + row * ${SAM} + k * ${SAK}]) * f32(b[b_base + k * ${SBK} + col * ${SBN}]);
    }
    store(z * ${M} * ${N} + row * ${N} + col, ${T}(acc));
}
