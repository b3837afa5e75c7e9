// conv2d_filter_grad_vec4: conv2d_filter_grad (the filter gradient of an NHWC
// conv2d as a register-tiled implicit GEMM with split-K) for Cin and Cout
// multiples of 4, reading and writing vec4s.
//
// dW[k, n] = sum_m A[m, k] * dy[m, n], k = (ky, kx, ci) over kh*kw*Cin, n over
// Cout, m = (b, oy, ox) over the output pixels of this split (workgroup z),
// A[m, k] = x[b, oy*sh + ky - pad_top, ox*sw + kx - pad_left, ci] (0 outside).
// Each split writes its partial dW to part[z]; conv2d_sum_splits adds them.
//
// Workgroup: 64 invocations as a WY x WX grid (WX = override, WY = 64 / WX);
// tile BK = 4 * WY filter rows by BN = 4 * WX output channels. Invocation
// (ty, tx) owns rows ty + WY*i (i < 4) and the four adjacent channels 4*tx..,
// one vec4 accumulator per row. Per step of BR = 16 output pixels: A is
// staged transposed as [BK][4] vec4s (four consecutive pixels of one k; each
// invocation loads one fixed group of 4 k as a vec4 of x and scatters it),
// dy as [16][WX] vec4s.
//
// A file of its own, not an `override` of conv2d_filter_grad: its buffers are
// array<vec4f> (one 128-bit load per 4 channels) and its tiles hold vec4s in
// another layout, so the inner loop reads 8 vec4s of workgroup memory per 64
// multiply-adds where conv2d_filter_grad (TM = TN = 4) reads 32 scalars. A
// pipeline constant cannot change a binding's type or a tile's layout, and
// the scalar form would cost a real GPU those wide loads.
//
// Bindings:   0 params (uniform)   1 x: array<vec4f> [N*H*W*Cin/4] (read)
//             2 dy: array<vec4f> [N*Ho*Wo*Cout/4] (read)
//             3 part: array<vec4f> [splits*K*Cout/4] (write)
// Dispatch:   (ceil(K / BK), ceil(Cout / BN), splits) workgroups of 64

override WX : u32 = 8u; // invocations along Cout: 4, 8 or 16

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
@group(0) @binding(1) var<storage, read> x : array<vec4f>;
@group(0) @binding(2) var<storage, read> dy : array<vec4f>;
@group(0) @binding(3) var<storage, read_write> part : array<vec4f>;

// sized to the tile (override expressions): see conv2d_filter_grad.wgsl
var<workgroup> a_tile : array<vec4f, 4u * (64u / WX) * (BR / 4u)>; // [BK][BR / 4]
var<workgroup> d_tile : array<vec4f, BR * WX>; // [BR][BN / 4]
var<workgroup> row_base : array<i32, BR>; // x index (floats) of (b, iy0, ix0, 0)
var<workgroup> row_iy : array<i32, BR>; // iy0, OUTSIDE past the split's end
var<workgroup> row_ix : array<i32, BR>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg : vec3u, @builtin(local_invocation_index) t : u32) {
  let wy = 64u / WX;
  let bk = 4u * wy;
  let k0 = wg.x * bk;
  let n4 = params.out_c / 4u; // dy and dW row length in vec4s
  let c0 = wg.y * WX; // first vec4 column of the tile
  let m_begin = wg.z * params.rows_per_split;
  let m_end = min(params.rows, m_begin + params.rows_per_split);
  let in_h = i32(params.in_h);
  let in_w = i32(params.in_w);
  let in_c = i32(params.in_c);

  // this invocation's group of 4 k in A (fixed for the whole reduction)
  let g = t % wy;
  let k = k0 + 4u * g;
  let ci = k % params.in_c;
  let tap = k / params.in_c;
  let kx = i32(tap % params.k_w);
  let ky = i32(tap / params.k_w);
  let k_ok = k < params.inner;
  let koff = (ky * in_w + kx) * in_c + i32(ci);
  // this invocation's vec4 column of dy
  let dc = t % WX;
  let n_ok = c0 + dc < n4;

  let tx = t % WX;
  let ty = t / WX;
  var acc : array<vec4f, 4>; // acc[i]: row ty + wy*i, channels 4*(c0 + tx) ..

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
    // 2) A: k group g of pixels t/wy, t/wy + 64/wy, ..., scattered to 4 rows of a_tile
    for (var r = t / wy; r < BR; r += 64u / wy) {
      let iy = row_iy[r] + ky;
      let ix = row_ix[r] + kx;
      var v = vec4f(0.0);
      if (k_ok && iy >= 0 && iy < in_h && ix >= 0 && ix < in_w) {
        v = x[u32(row_base[r] + koff) / 4u];
      }
      let col = r / 4u;
      let lane = r % 4u;
      a_tile[(4u * g) * 4u + col][lane] = v.x;
      a_tile[(4u * g + 1u) * 4u + col][lane] = v.y;
      a_tile[(4u * g + 2u) * 4u + col][lane] = v.z;
      a_tile[(4u * g + 3u) * 4u + col][lane] = v.w;
    }
    // 3) dy: vec4 column dc of pixels t/WX, t/WX + 64/WX, ...
    for (var r = t / WX; r < BR; r += 64u / WX) {
      let m = mb + r;
      var v = vec4f(0.0);
      if (m < m_end && n_ok) { v = dy[m * n4 + c0 + dc]; }
      d_tile[r * WX + dc] = v;
    }
    workgroupBarrier();
    // 4) per group of 4 pixels: 4 rows x 4 channels x 4 pixels
    for (var q = 0u; q < 4u; q++) {
      let d0 = d_tile[(4u * q) * WX + tx];
      let d1 = d_tile[(4u * q + 1u) * WX + tx];
      let d2 = d_tile[(4u * q + 2u) * WX + tx];
      let d3 = d_tile[(4u * q + 3u) * WX + tx];
      for (var i = 0u; i < 4u; i++) {
        let a = a_tile[(ty + wy * i) * 4u + q];
        acc[i] += a.x * d0 + a.y * d1 + a.z * d2 + a.w * d3;
      }
    }
    workgroupBarrier();
  }

  // 5) store this split's partial dW
  if (c0 + tx >= n4) { return; }
  let base = wg.z * params.inner * n4;
  for (var i = 0u; i < 4u; i++) {
    let kr = k0 + ty + wy * i;
    if (kr < params.inner) { part[base + kr * n4 + c0 + tx] = acc[i]; }
  }
}
