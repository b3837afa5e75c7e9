// token_loss: the reconstruction error of every token of a ViT decoder,
// pred [N, L, P*P*C] against the image [N, H, W, C] -> loss [N, L].
//
// Token l of an H x W image is patch l (row l / (W/P), column l % (W/P)), and
// element k of its vector is pixel (k / C) / P, (k / C) % P of the patch,
// channel k % C (MAE's patchify order: row, column, channel).
// loss[n, l] = mean over the P*P*C elements of |pred - t|^q, q = 2 (MAE) or 1,
// t the target pixel or, with normPix, the target normalised by its patch's
// mean and unbiased variance (MAE's norm_pix_loss: (t - mean) / sqrt(var + 1e-6)).
// One invocation per token; the masked mean over removed tokens happens on
// the [N, L] result, as MAE's forward_loss.
//
// Bindings:   0 params (uniform)   1 pred: array<f32> [N*L*P*P*C] (read)
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

// index in the image of element k of token l of sample n
fn pixel(n : u32, l : u32, k : u32) -> u32 {
  let gw = params.width / params.patch_size;
  let c = k % params.channels;
  let q = k / params.channels;
  let y = (l / gw) * params.patch_size + q / params.patch_size;
  let x = (l % gw) * params.patch_size + q % params.patch_size;
  return ((n * params.height + y) * params.width + x) * params.channels + c;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  let patches = (params.width / params.patch_size) * (params.height / params.patch_size);
  if (gid.x >= params.batch * patches) { return; }
  let n = gid.x / patches;
  let l = gid.x % patches;
  let size = params.patch_size * params.patch_size * params.channels;

  // 1) target statistics, only needed for normPix
  var mean = 0.0;
  var scale = 1.0;
  if (params.norm_pix == 1u) {
    var sum = 0.0;
    for (var k = 0u; k < size; k++) { sum += orig[pixel(n, l, k)]; }
    mean = sum / f32(size);
    var sq = 0.0;
    for (var k = 0u; k < size; k++) {
      let d = orig[pixel(n, l, k)] - mean;
      sq += d * d;
    }
    let variance = sq / f32(max(size, 2u) - 1u);
    scale = 1.0 / sqrt(variance + 1e-6);
  }

  // 2) the error
  var total = 0.0;
  let base = gid.x * size;
  for (var k = 0u; k < size; k++) {
    let d = pred[base + k] - (orig[pixel(n, l, k)] - mean) * scale;
    total += select(d * d, abs(d), params.power == 1u);
  }
  loss[gid.x] = total / f32(size);
  stats[gid.x] = vec2f(mean, scale);
}
