// apply_mask: replace every pixel of a removed patch by a fill value.
//
// Images are NHWC; patch l of a sample covers rows (l / gw) * P .. + P and
// columns (l % gw) * P .. + P, where gw = W / P (row-major patch grid, as MAE's
// patchify).
//
// Bindings:   0 params (uniform)   1 images: array<f32> [N*H*W*C] (read)
//             2 mask: array<f32> [N * L] (read, 1 = remove)
//             3 out: array<f32> [N*H*W*C] (write)
// Dispatch:   ceil(N*H*W*C / 64) workgroups of 64

struct Params {
  count : u32, // N * H * W * C
  height : u32,
  width : u32,
  channels : u32,
  patch_size : u32, // P
  fill : f32, // value written into removed patches
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> images : array<f32>;
@group(0) @binding(2) var<storage, read> mask : array<f32>;
@group(0) @binding(3) var<storage, read_write> out : array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.count) { return; }
  let pixel = gid.x / params.channels;
  let x = pixel % params.width;
  let y = (pixel / params.width) % params.height;
  let n = pixel / (params.width * params.height);
  let gw = params.width / params.patch_size;
  let patches = gw * (params.height / params.patch_size);
  let l = (y / params.patch_size) * gw + x / params.patch_size;
  let removed = mask[n * patches + l] > 0.5;
  out[gid.x] = select(images[gid.x], params.fill, removed);
}
