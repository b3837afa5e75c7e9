// conv2d_filter_grad: the filter gradient of an NHWC conv2d as a
// register-tiled implicit GEMM with split-K.
//
// dW[k, n] = sum_m A[m, k] * dy[m, n] with k = (ky, kx, ci) over kh*kw*Cin,
// n over Cout, and the reduction over the M = N*Ho*Wo output pixels
// m = (b, oy, ox), A[m, k] = x[b, oy*sh + ky - pad_top, ox*sw + kx - pad_left, ci]
// (0 outside). The reduction is long (M) and the output small (K x Cout), so
// the M range is cut into `splits` parts (workgroup z), each writing a partial
// dW to part[z]; conv2d_sum_splits adds them (with one split, part is dW).
//
// Workgroup: 64 invocations as a WY x WX grid (WX = override, WY = 64 / WX);
// invocation (ty, tx) owns the TM x TN block rows ty + WY*i, columns
// tx + WX*j (i < TM, j < TN; TM, TN = 4, or 1 for tiny filters such as the
// 3x3x1 first layer or a 1-channel head): tile BK = TM * WY filter rows by
// BN = TN * WX output channels. Per step, BR output pixels: their decode goes
// into a table, then A (BR x BK, each invocation one fixed k column) and dy
// (BR x BN) are staged in workgroup memory. This scalar kernel serves Cin or
// Cout not a multiple of 4 (conv2d_filter_grad_vec4 the others).
//
// Bindings:   0 params (uniform)   1 x: array<f32> [N*H*W*Cin] (read)
//             2 dy: array<f32> [N*Ho*Wo*Cout] (read)
//             3 part: array<f32> [splits*K*Cout] (write)
// Dispatch:   (ceil(K / BK), ceil(Cout / BN), splits) workgroups of 64

override WX : u32 = 8u; // invocations along Cout (a power of 2, TM * 64 / WX <= 64, TN * WX <= 64)
override TM : u32 = 4u; // filter rows per invocation: 1 or 4
override TN : u32 = 4u; // output channels per invocation: 1 or 4

const BR = 16u; // output pixels per step
const OUTSIDE = -1073741824; // row marker: never inside the image

struct Params {
  in_h : u32,
  in_w : u32,
  in_c : u32,
  out_h : u32,
  out_w : u32,
  out_c : u32,
  k_w : u32,
  stride_h : u32,
  stride_w : u32,
  pad_top : i32,
  pad_left : i32,
  rows : u32, // M = N * Ho * Wo
  inner : u32, // K = kh * kw * Cin
  rows_per_split : u32, // a multiple of BR
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> dy : array<f32>;
@group(0) @binding(3) var<storage, read_write> part : array<f32>;

// sized to the tile (override expressions), not to the largest tile: smaller
// tiles take less workgroup memory, and WebGPU's zero-initialisation of it is
// cheaper (on OpenGL, wgpu writes it element by element, and llvmpipe's
// compile time grows faster than linearly with those writes)
var<workgroup> a_tile : array<f32, BR * TM * (64u / WX)>; // [BR][BK]
var<workgroup> d_tile : array<f32, BR * TN * WX>; // [BR][BN]
var<workgroup> row_base : array<i32, BR>; // x index of (b, iy0, ix0, 0)
var<workgroup> row_iy : array<i32, BR>; // iy0, OUTSIDE past the split's end
var<workgroup> row_ix : array<i32, BR>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(local_invocation_index) t : u32) {
  let wy = 64u / WX;
  let bk = TM * wy;
  let bn = TN * WX;
  let k0 = wg.x * bk;
  let n0 = wg.y * bn;
  let m_begin = wg.z * params.rows_per_split;
  let m_end = min(params.rows, m_begin + params.rows_per_split);
  let in_h = i32(params.in_h);
  let in_w = i32(params.in_w);
  let in_c = i32(params.in_c);

  // this invocation's A column: k = k0 + kc, fixed for the whole reduction
  let kc = t % bk;
  let k = k0 + kc;
  let ci = k % params.in_c;
  let tap = k / params.in_c;
  let kx = i32(tap % params.k_w);
  let ky = i32(tap / params.k_w);
  let k_ok = k < params.inner;
  let koff = (ky * in_w + kx) * in_c + i32(ci);
  // this invocation's dy column
  let dc = t % bn;
  let n_ok = n0 + dc < params.out_c;

  let tx = t % WX;
  let ty = t / WX;
  var acc : array<vec4f, 4>; // acc[i][j]: row ty + wy*i, column tx + WX*j (i < TM, j < TN)

  for (var mb = m_begin; mb < m_end; mb += BR) {
    // 1) decode the step's output pixels
    if (t < BR) {
      let m = mb + t;
      let ox = m % params.out_w;
      let rest = m / params.out_w;
      let oy = rest % params.out_h;
      let b = rest / params.out_h;
      let iy0 = i32(oy * params.stride_h) - params.pad_top;
      let ix0 = i32(ox * params.stride_w) - params.pad_left;
      row_iy[t] = select(OUTSIDE, iy0, m < m_end);
      row_ix[t] = ix0;
      row_base[t] = ((i32(b) * in_h + iy0) * in_w + ix0) * in_c;
    }
    workgroupBarrier();
    // 2) A rows t/bk, t/bk + 64/bk, ... at column kc
    for (var r = t / bk; r < BR; r += 64u / bk) {
      let iy = row_iy[r] + ky;
      let ix = row_ix[r] + kx;
      var v = 0.0;
      if (k_ok && iy >= 0 && iy < in_h && ix >= 0 && ix < in_w) {
        v = x[u32(row_base[r] + koff)];
      }
      a_tile[r * bk + kc] = v;
    }
    // 3) dy rows t/bn, t/bn + 64/bn, ... at column dc
    for (var r = t / bn; r < BR; r += 64u / bn) {
      let m = mb + r;
      var v = 0.0;
      if (m < m_end && n_ok) { v = dy[m * params.out_c + n0 + dc]; }
      d_tile[r * bn + dc] = v;
    }
    workgroupBarrier();
    // 4) the TM x TN outer products
    for (var q = 0u; q < BR; q++) {
      var dv = vec4f(0.0);
      for (var j = 0u; j < TN; j++) { dv[j] = d_tile[q * bn + tx + WX * j]; }
      for (var i = 0u; i < TM; i++) { acc[i] += a_tile[q * bk + ty + wy * i] * dv; }
    }
    workgroupBarrier();
  }

  // 5) store this split's partial dW
  let base = wg.z * params.inner * params.out_c;
  for (var i = 0u; i < TM; i++) {
    let kr = k0 + ty + wy * i;
    if (kr >= params.inner) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + tx + WX * j;
      if (n < params.out_c) { part[base + kr * params.out_c + n] = acc[i][j]; }
    }
  }
}
