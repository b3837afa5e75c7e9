// augment_views: the augmented views of a batch of NHWC images, one output value per invocation.
//
// View v (of V = views * N) is made from image n = v % N with its row of 12 parameters:
//   a00 a01 a02 a10 a11 a12   affine map from an output pixel centre (x + 0.5, y + 0.5) to a
//                             source position in pixel units (crop, flips and rotation folded in)
//   gamma contrast brightness blur_sigma noise_std (unused)
// For every output value (nnU-Net's order: geometry, blur, intensity, then noise):
//   1. the source, bilinear-sampled at the mapped position (edge pixels repeat outside the
//      image); with blur (sigma > 0) the weighted mean of such samples at the output position
//      + (dx, dy), (dx, dy) in [-r, r]^2, r = min(ceil(2 sigma), 4), weights
//      exp(-(dx^2 + dy^2) / (2 sigma^2))
//   2. gamma on the image's [min, max] range (skipped at gamma 1), then contrast around the
//      image mean, then brightness (additive): with gamma 1, contrast 1 and brightness 0 the
//      value passes unchanged
//   3. plus noise_std * N(0, 1), the normal from a PCG hash of (seed, 2e) and (seed, 2e + 1)
//      by Box-Muller, e the output index
//
// Bindings:   0 params (uniform)   1 images: array<f32> [N*H*W*C] (read)
//             2 views: array<f32> [V * 12] (read)   3 stats: array<f32> [N*C*3] (read: min, max, mean)
//             4 out: array<f32> [V*H*W*C] (write)
// Dispatch:   (min(g, 32768), ceil(g / 32768)) workgroups of 64, g = ceil(V*H*W*C / 64)

struct Params {
  count : u32, // V * H * W * C
  batch : u32, // N (source images)
  height : u32,
  width : u32,
  channels : u32,
  seed : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> images : array<f32>;
@group(0) @binding(2) var<storage, read> views : array<f32>;
@group(0) @binding(3) var<storage, read> stats : array<f32>;
@group(0) @binding(4) var<storage, read_write> out : array<f32>;

const MAX_RADIUS : i32 = 4;
const TWO_PI : f32 = 6.283185307179586;

// PCG hash (Jarzynski and Olano, JCGT 2020), as random_scores.wgsl.
fn pcg(v : u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn uniform01(i : u32) -> f32 {
  return f32(pcg(params.seed ^ pcg(i)) >> 8u) / 16777216.0;
}

fn pixel(n : u32, y : i32, x : i32, c : u32) -> f32 {
  let yc = u32(clamp(y, 0, i32(params.height) - 1));
  let xc = u32(clamp(x, 0, i32(params.width) - 1));
  return images[((n * params.height + yc) * params.width + xc) * params.channels + c];
}

// bilinear sample at source position (sx, sy), pixel centres at k + 0.5
fn bilinear(n : u32, c : u32, sx : f32, sy : f32) -> f32 {
  let fx = sx - 0.5;
  let fy = sy - 0.5;
  let x0 = floor(fx);
  let y0 = floor(fy);
  let tx = fx - x0;
  let ty = fy - y0;
  let ix = i32(x0);
  let iy = i32(y0);
  let top = mix(pixel(n, iy, ix, c), pixel(n, iy, ix + 1, c), tx);
  let bottom = mix(pixel(n, iy + 1, ix, c), pixel(n, iy + 1, ix + 1, c), tx);
  return mix(top, bottom, ty);
}

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid : vec3u,
  @builtin(num_workgroups) groups : vec3u,
) {
  let e = gid.x + gid.y * groups.x * 64u;
  if (e >= params.count) { return; }
  let c = e % params.channels;
  let pix = e / params.channels;
  let x = pix % params.width;
  let y = (pix / params.width) % params.height;
  let v = pix / (params.width * params.height);
  let n = v % params.batch;
  let p = v * 12u;
  let a00 = views[p];
  let a01 = views[p + 1u];
  let a02 = views[p + 2u];
  let a10 = views[p + 3u];
  let a11 = views[p + 4u];
  let a12 = views[p + 5u];
  let gamma = views[p + 6u];
  let contrast = views[p + 7u];
  let brightness = views[p + 8u];
  let sigma = views[p + 9u];
  let noise_std = views[p + 10u];
  let s = (n * params.channels + c) * 3u;
  let lo = stats[s];
  let range = max(stats[s + 1u] - lo, 1e-6);
  let mean = stats[s + 2u];

  // the source position of the output pixel centre; a blur tap (dx, dy) adds A (dx, dy)
  let sx = a00 * (f32(x) + 0.5) + a01 * (f32(y) + 0.5) + a02;
  let sy = a10 * (f32(x) + 0.5) + a11 * (f32(y) + 0.5) + a12;
  var value : f32;
  if (sigma > 0.0) {
    let radius = min(i32(ceil(2.0 * sigma)), MAX_RADIUS);
    var total = 0.0;
    var weights = 0.0;
    for (var dy = -radius; dy <= radius; dy++) {
      for (var dx = -radius; dx <= radius; dx++) {
        let w = exp(-f32(dx * dx + dy * dy) / (2.0 * sigma * sigma));
        let ex = a00 * f32(dx) + a01 * f32(dy);
        let ey = a10 * f32(dx) + a11 * f32(dy);
        total += w * bilinear(n, c, sx + ex, sy + ey);
        weights += w;
      }
    }
    value = total / weights;
  } else {
    value = bilinear(n, c, sx, sy);
  }
  if (gamma != 1.0) {
    let u = clamp((value - lo) / range, 0.0, 1.0);
    value = select(lo + range * pow(u, gamma), lo, u <= 0.0);
  }
  value = value + (contrast - 1.0) * (value - mean) + brightness;
  var noise = 0.0;
  if (noise_std > 0.0) {
    let u1 = 1.0 - uniform01(2u * e); // (0, 1]: the log is finite
    let u2 = uniform01(2u * e + 1u);
    noise = noise_std * sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
  }
  out[e] = value + noise;
}
