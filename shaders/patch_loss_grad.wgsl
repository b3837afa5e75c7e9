// patch_loss_grad: the gradient of patch_loss with respect to pred.
//
// d loss[n, l] / d pred[v] = q * |d|^(q-1) * sign(d) / (P*P*C) for v in patch l,
// with d = pred[v] - t[v] (t normalised as in patch_loss when normPix is on).
// The upstream gradient dy[n, l] scales it. One invocation per pixel value.
//
// Bindings:   0 params (uniform)   1 pred (read)   2 target (read)
//             3 stats: array<vec2f> [N*L] (read: per-patch mean and 1/std, or (0, 1))
//             4 dy: array<f32> [N*L] (read)   5 grad: array<f32> [N*H*W*C] (write)
// Dispatch:   ceil(N*H*W*C / 64) workgroups of 64

struct Params {
  count : u32, // N * H * W * C
  height : u32,
  width : u32,
  channels : u32,
  patch_size : u32,
  power : u32, // 1 = L1, 2 = L2
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> pred : array<f32>;
@group(0) @binding(2) var<storage, read> orig : array<f32>;
@group(0) @binding(3) var<storage, read> stats : array<vec2f>;
@group(0) @binding(4) var<storage, read> dy : array<f32>;
@group(0) @binding(5) var<storage, read_write> grad : array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.count) { return; }
  let pixel = gid.x / params.channels;
  let x = pixel % params.width;
  let y = (pixel / params.width) % params.height;
  let n = pixel / (params.width * params.height);
  let gw = params.width / params.patch_size;
  let patches = gw * (params.height / params.patch_size);
  let l = n * patches + (y / params.patch_size) * gw + x / params.patch_size;
  let s = stats[l];
  let d = pred[gid.x] - (orig[gid.x] - s.x) * s.y;
  let size = f32(params.patch_size * params.patch_size * params.channels);
  let slope = select(2.0 * d, sign(d), params.power == 1u);
  grad[gid.x] = dy[l] * slope / size;
}
