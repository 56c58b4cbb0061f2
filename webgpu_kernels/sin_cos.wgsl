// sin and cos of f32 to about 1 ulp on |x| < 6e4 (Cephes sinf/cosf). WGSL promises only an
// absolute error of 2^-11 on [-pi, pi] for its builtins, and Chrome's CPU adapter (SwiftShader)
// is off by 1.9e-4 there; lavapipe is off by 7e-8. Added to a kernel by Kernel when it calls them.
fn webgrad_sin_cos(x: f32, quarters: i32) -> f32 {
    // x = j * pi/2 + r with |r| <= pi/4; pi/2 in three parts so that j * part is exact (Cody-Waite)
    let j = round(x * 0.636619772367581343);
    let r = ((x - j * 1.5703125) - j * 4.837512969970703125e-4) - j * 7.54978995489188216e-8;
    let q = (i32(j) + quarters) & 3;
    let z = r * r;
    let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
    let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
    let v = select(s, c, (q & 1) == 1);
    return select(v, -v, (q & 2) == 2);
}

fn webgrad_sin(x: f32) -> f32 { return webgrad_sin_cos(x, 0); }

fn webgrad_cos(x: f32) -> f32 { return webgrad_sin_cos(x, 1); }

// Four lanes at a time (single-kernel expressions over vec4s).
fn webgrad_sin4(x: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(webgrad_sin(x.x), webgrad_sin(x.y), webgrad_sin(x.z), webgrad_sin(x.w));
}

fn webgrad_cos4(x: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(webgrad_cos(x.x), webgrad_cos(x.y), webgrad_cos(x.z), webgrad_cos(x.w));
}
