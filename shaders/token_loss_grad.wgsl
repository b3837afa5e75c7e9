// token_loss_grad: the gradient of token_loss with respect to pred [N, L, P*P*C].
//
// d loss[n, l] / d pred[n, l, k] = q * |d|^(q-1) * sign(d) / (P*P*C), with
// d = pred[n, l, k] - t (t normalised as in token_loss when normPix is on),
// scaled by the upstream gradient dy[n, l]. One invocation per pred value.
//
// Bindings:   0 params (uniform)   1 pred (read)   2 target: array<f32> [N*H*W*C] (read)
//             3 stats: array<vec2f> [N*L] (read: per-token mean and 1/std, or (0, 1))
//             4 dy: array<f32> [N*L] (read)   5 grad: array<f32> [N*L*P*P*C] (write)
// Dispatch:   ceil(N*L*P*P*C / 64) workgroups of 64, as (x, y) with x <= 65535;
//             the flat index is gid.x + gid.y * 64 * num_workgroups.x

struct Params {
  count : u32, // N * L * P * P * C
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
fn main(
  @builtin(global_invocation_id) gid : vec3u,
  @builtin(num_workgroups) groups : vec3u,
) {
  let i = gid.x + gid.y * 64u * groups.x;
  if (i >= params.count) { return; }
  let size = params.patch_size * params.patch_size * params.channels;
  let gw = params.width / params.patch_size;
  let patches = gw * (params.height / params.patch_size);
  let token = i / size; // n * L + l
  let k = i % size;
  let n = token / patches;
  let l = token % patches;
  let c = k % params.channels;
  let q = k / params.channels;
  let y = (l / gw) * params.patch_size + q / params.patch_size;
  let x = (l % gw) * params.patch_size + q % params.patch_size;
  let s = stats[token];
  let d = pred[i] - (orig[((n * params.height + y) * params.width + x) * params.channels + c] - s.x) * s.y;
  let slope = select(2.0 * d, sign(d), params.power == 1u);
  grad[i] = dy[token] * slope / f32(size);
}
