// patch_loss: the mean reconstruction error of every patch, [N, H, W, C] -> [N, L].
//
// loss[n, l] = mean over the P*P*C values v of the patch of |pred - t|^q, where
// q = 2 (MAE, AMLP L_pred) or q = 1 (SimMIM), and t is the target, or with
// normPix the target normalised by its patch's mean and unbiased variance
// (MAE's norm_pix_loss: (t - mean) / sqrt(var + 1e-6)).
// One invocation per patch walks its P*P*C values; the reduction over patches
// (masked mean, ARL weights) happens on the [N, L] result.
//
// Bindings:   0 params (uniform)   1 pred: array<f32> [N*H*W*C] (read)
//             2 target: array<f32> [N*H*W*C] (read)   3 loss: array<f32> [N*L] (write)
//             4 stats: array<vec2f> [N*L] (write: target mean and 1/std used, for the gradient)
// Dispatch:   ceil(N * L / 64) workgroups of 64

struct Params {
  batch : u32,
  height : u32,
  width : u32,
  channels : u32,
  patch_size : u32,
  power : u32, // 1 = L1, 2 = L2
  norm_pix : u32, // 1 = normalise the target per patch
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> pred : array<f32>;
@group(0) @binding(2) var<storage, read> orig : array<f32>;
@group(0) @binding(3) var<storage, read_write> loss : array<f32>;
@group(0) @binding(4) var<storage, read_write> stats : array<vec2f>;

fn index(n : u32, y : u32, x : u32, c : u32) -> u32 {
  return ((n * params.height + y) * params.width + x) * params.channels + c;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  let gw = params.width / params.patch_size;
  let patches = gw * (params.height / params.patch_size);
  if (gid.x >= params.batch * patches) { return; }
  let n = gid.x / patches;
  let l = gid.x % patches;
  let y0 = (l / gw) * params.patch_size;
  let x0 = (l % gw) * params.patch_size;
  let size = params.patch_size * params.patch_size * params.channels;

  // 1) target statistics, only needed for normPix
  var mean = 0.0;
  var scale = 1.0;
  if (params.norm_pix == 1u) {
    var sum = 0.0;
    for (var dy = 0u; dy < params.patch_size; dy++) {
      for (var dx = 0u; dx < params.patch_size; dx++) {
        for (var c = 0u; c < params.channels; c++) { sum += orig[index(n, y0 + dy, x0 + dx, c)]; }
      }
    }
    mean = sum / f32(size);
    var sq = 0.0;
    for (var dy = 0u; dy < params.patch_size; dy++) {
      for (var dx = 0u; dx < params.patch_size; dx++) {
        for (var c = 0u; c < params.channels; c++) {
          let d = orig[index(n, y0 + dy, x0 + dx, c)] - mean;
          sq += d * d;
        }
      }
    }
    let variance = sq / f32(max(size, 2u) - 1u);
    scale = 1.0 / sqrt(variance + 1e-6);
  }

  // 2) the error
  var total = 0.0;
  for (var dy = 0u; dy < params.patch_size; dy++) {
    for (var dx = 0u; dx < params.patch_size; dx++) {
      for (var c = 0u; c < params.channels; c++) {
        let i = index(n, y0 + dy, x0 + dx, c);
        let d = pred[i] - (orig[i] - mean) * scale;
        total += select(d * d, abs(d), params.power == 1u);
      }
    }
  }
  loss[gid.x] = total / f32(size);
  stats[gid.x] = vec2f(mean, scale);
}
