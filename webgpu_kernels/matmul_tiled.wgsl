// A 16x16 workgroup computes a 64x64 tile of outputs, 4x4 per thread, staging 64x16 of a and
// 16x64 of b in workgroup memory per step of k. The variant for real GPUs, where shared tiles
// save memory bandwidth; its barriers are slow on CPU adapters.
${HEADER}
@group(0) @binding(0) var<storage, read> a: array<${T}>;
@group(0) @binding(1) var<storage, read> b: array<${T}>;
${STORE}

var<workgroup> a_tile: array<f32, 1024>;   // [64 rows][16 k]
var<workgroup> b_tile: array<f32, 1024>;   // [16 k][64 cols]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tile_row = i32(wid.y) * 64;
    let tile_col = i32(wid.x) * 64;
    let tid = i32(lid.y) * 16 + i32(lid.x);
    let z = i32(wid.z);
    ${BATCH}
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k0 = 0; k0 < ${K}; k0 += 16) {
        for (var i = 0; i < 4; i++) {
            let e = tid + i * 256;
            let ar = tile_row + e / 16;
            let ak = k0 + e % 16;
            let a_in = ar < ${M} && ak < ${K};
            a_tile[e] = select(0.0, f32(a[a_base + min(ar, ${M} - 1) * ${SAM} + min(ak, ${K} - 1) * ${SAK}]), a_in);
            let bk = k0 + e / 64;
            let bc = tile_col + e % 64;
            let b_in = bk < ${K} && bc < ${N};
            b_tile[e] = select(0.0, f32(b[b_base + min(bk, ${K} - 1) * ${SBK} + min(bc, ${N} - 1) * ${SBN}]), b_in);
        }
        workgroupBarrier();
        for (var kk = 0; kk < 16; kk++) {
            let c = kk * 64 + i32(lid.x) * 4;
            let bv = vec4<f32>(b_tile[c], b_tile[c + 1], b_tile[c + 2], b_tile[c + 3]);
            for (var i = 0; i < 4; i++) {
                acc[i] += a_tile[(i32(lid.y) * 4 + i) * 16 + kk] * bv;
            }
        }
        workgroupBarrier();
    }
    let o = z * ${M} * ${N};
    for (var i = 0; i < 4; i++) {
        let r = tile_row + i32(lid.y) * 4 + i;
        for (var j = 0; j < 4; j++) {
            let c = tile_col + i32(lid.x) * 4 + j;
            if (r < ${M} && c < ${N}) { store(o + r * ${N} + c, ${T}(acc[i][j])); }
        }
    }
}
