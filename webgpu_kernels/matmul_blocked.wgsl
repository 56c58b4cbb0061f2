// Each thread computes an 8x16 block of outputs in registers, with no workgroup memory and no
// barriers: the variant for CPU adapters. On lavapipe every invocation is one lane of a SIMD
// vector and each storage load becomes a loop over the lanes, so loads, not multiply-adds, set
// the speed: a thread reads 4x4 blocks of a and b (as vec4s where the strides allow, see
// matmul.py), and each value it reads feeds 8 (b) or 16 (a) multiply-adds.
//
// The blocks are held transposed so that one matrix product accumulates them: with
// a_block(ra, k)[i] = a[row i][k .. k+3] and b_block(cb, k)[j] = b[k+j][4 columns],
// (b_block * a_block)[i] = sum over j of a[row i][k+j] * b[k+j][4 columns], part of output row i.
${HEADER}
@group(0) @binding(0) var<storage, read> a: array<${A_ELEM}>;
@group(0) @binding(1) var<storage, read> b: array<${B_ELEM}>;
${STORE}

// o holds the offsets of four rows of a, or of four columns of b, at k = 0.
fn a_block(o: vec4<i32>, k: i32) -> mat4x4<f32> { ${A_BLOCK} }
fn b_block(o: vec4<i32>, k: i32) -> mat4x4<f32> { ${B_BLOCK} }
// a[o[0 .. 3]][k] and b[k][o[0 .. 3]], for the last K % 4 steps.
fn a_col(o: vec4<i32>, k: i32) -> vec4<f32> { ${A_COL} }
fn b_row(o: vec4<i32>, k: i32) -> vec4<f32> { ${B_ROW} }

// The 4x4 block whose column i is u * v[i].
fn outer(u: vec4<f32>, v: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(u * v.x, u * v.y, u * v.z, u * v.w);
}

// Output columns c .. c+3 (those below N) at element offset i.
fn put4(i: i32, c: i32, v: vec4<f32>) { ${PUT4} }

fn store_row(r: i32, c: i32, i: i32, v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>) {
    if (r < ${M}) { put4(i, c, v0); put4(i + 4, c + 4, v1); put4(i + 8, c + 8, v2); put4(i + 12, c + 12, v3); }
}

@compute @workgroup_size(${WG}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = i32(gid.x);
    if (t >= ${THREADS}) { return; }
    let row0 = t / ${COL_BLOCKS} * 8;
    let col0 = t % ${COL_BLOCKS} * 16;
    let z = i32(gid.z);
    ${BATCH}
    // Rows and columns past the edge are clamped (see matmul.py for the vec4 reads that are not)
    // and their results not written.
    let r4 = vec4<i32>(0, 1, 2, 3);
    let ra0 = a_base + min(row0 + r4, vec4<i32>(${A_LAST})) * ${SAM};
    let ra1 = a_base + min(row0 + 4 + r4, vec4<i32>(${A_LAST})) * ${SAM};
    let cb0 = b_base + min(col0 + r4, vec4<i32>(${B_LAST})) * ${SBN};
    let cb1 = b_base + min(col0 + 4 + r4, vec4<i32>(${B_LAST})) * ${SBN};
    let cb2 = b_base + min(col0 + 8 + r4, vec4<i32>(${B_LAST})) * ${SBN};
    let cb3 = b_base + min(col0 + 12 + r4, vec4<i32>(${B_LAST})) * ${SBN};
    // c<h><g>[i] is output row row0 + 4h + i, columns col0 + 4g .. col0 + 4g + 3.
    var c00 = mat4x4<f32>(); var c01 = mat4x4<f32>(); var c02 = mat4x4<f32>(); var c03 = mat4x4<f32>();
    var c10 = mat4x4<f32>(); var c11 = mat4x4<f32>(); var c12 = mat4x4<f32>(); var c13 = mat4x4<f32>();
    for (var k = 0; k < ${K4}; k += 4) {
        let a0 = a_block(ra0, k);
        let a1 = a_block(ra1, k);
        let b0 = b_block(cb0, k);
        let b1 = b_block(cb1, k);
        let b2 = b_block(cb2, k);
        let b3 = b_block(cb3, k);
        c00 += b0 * a0; c01 += b1 * a0; c02 += b2 * a0; c03 += b3 * a0;
        c10 += b0 * a1; c11 += b1 * a1; c12 += b2 * a1; c13 += b3 * a1;
    }
    for (var k = ${K4}; k < ${K}; k++) {
        let a0 = a_col(ra0, k);
        let a1 = a_col(ra1, k);
        let b0 = b_row(cb0, k);
        let b1 = b_row(cb1, k);
        let b2 = b_row(cb2, k);
        let b3 = b_row(cb3, k);
        c00 += outer(b0, a0); c01 += outer(b1, a0); c02 += outer(b2, a0); c03 += outer(b3, a0);
        c10 += outer(b0, a1); c11 += outer(b1, a1); c12 += outer(b2, a1); c13 += outer(b3, a1);
    }
    let o = z * ${M} * ${N} + row0 * ${N} + col0;
    store_row(row0, col0, o, c00[0], c01[0], c02[0], c03[0]);
    store_row(row0 + 1, col0, o + ${N}, c00[1], c01[1], c02[1], c03[1]);
    store_row(row0 + 2, col0, o + 2 * ${N}, c00[2], c01[2], c02[2], c03[2]);
    store_row(row0 + 3, col0, o + 3 * ${N}, c00[3], c01[3], c02[3], c03[3]);
    store_row(row0 + 4, col0, o + 4 * ${N}, c10[0], c11[0], c12[0], c13[0]);
    store_row(row0 + 5, col0, o + 5 * ${N}, c10[1], c11[1], c12[1], c13[1]);
    store_row(row0 + 6, col0, o + 6 * ${N}, c10[2], c11[2], c12[2], c13[2]);
    store_row(row0 + 7, col0, o + 7 * ${N}, c10[3], c11[3], c12[3], c13[3]);
}
