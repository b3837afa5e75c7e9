// patch_vectors: patchify on the GPU, [N, H, W, C] images -> [N, L, P*P*C] patch vectors.
//
// The features k-means clusters for MPS (AMLP sec. 3.1: "each patch undergoes
// vectorization"). Patch l covers rows (l / gw) * P .. and columns (l % gw) * P ..;
// within a patch the order is row, column, channel (MAE's patchify, the same
// as `patchify()` in lib/patchify.ts). One invocation per output value.
//
// Bindings:   0 params (uniform)   1 images: array<f32> [N*H*W*C] (read)
//             2 features: array<f32> [N * L * P*P*C] (write)
// Dispatch:   ceil(N * L * P*P*C / 64) workgroups of 64

struct Params {
  count : u32, // N * L * P*P*C = N*H*W*C
  height : u32,
  width : u32,
  channels : u32,
  patch_size : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> images : array<f32>;
@group(0) @binding(2) var<storage, read_write> features : array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.count) { return; }
  let p = params.patch_size;
  let dim = p * p * params.channels;
  let gw = params.width / p;
  let patches = gw * (params.height / p);
  let row = gid.x / dim; // n * L + l
  let k = gid.x % dim;
  let n = row / patches;
  let l = row % patches;
  let dy = k / (p * params.channels);
  let rest = k % (p * params.channels); // dx * C + c
  let y = (l / gw) * p + dy;
  let x0 = (l % gw) * p;
  features[gid.x] = images[((n * params.height + y) * params.width + x0) * params.channels + rest];
}
