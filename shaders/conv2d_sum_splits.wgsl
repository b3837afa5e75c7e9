// conv2d_sum_splits: adds the split-K partials of conv2d_filter_grad.
//
// out[i] = sum over s < splits of part[s * size + i], i < size.
//
// Bindings:   0 params (uniform)   1 part: array<f32> [splits*size] (read)
//             2 out: array<f32> [size] (write)
// Dispatch:   ceil(size / 64) workgroups of 64, as (min(count, 65535), ceil(count / 65535))

struct Params {
  size : u32,
  splits : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> part : array<f32>;
@group(0) @binding(2) var<storage, read_write> out : array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid : vec3u,
  @builtin(num_workgroups) groups : vec3u,
) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.size) { return; }
  var total = 0.0;
  for (var s = 0u; s < params.splits; s++) { total += part[s * params.size + i]; }
  out[i] = total;
}
