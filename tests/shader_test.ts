import assert from "node:assert/strict";
import { device, noGpu } from "./_gpu.ts";
import { checkSource, loadShader } from "../lib/gpu/shader.ts";
import { ShaderValidationError } from "../lib/errors.ts";

Deno.test("checkSource() rejects a workgroup size that differs from the dispatch", () => {
  const source = "@compute @workgroup_size(128) fn main() {}";
  assert.throws(() => checkSource("x", source, 64), (e: unknown) => {
    assert.ok(e instanceof ShaderValidationError);
    assert.match(e.message, /"x".*@workgroup_size is 128 but the TS side dispatches with 64/);
    return true;
  });
  assert.throws(() => checkSource("x", "fn other() {}", 64), ShaderValidationError);
});

Deno.test({
  name: "loadShader() reports a WGSL error with the shader name and line",
  ignore: noGpu,
  async fn() {
    const dir = new URL("../shaders/", import.meta.url);
    const path = new URL("_broken_for_test.wgsl", dir);
    await Deno.writeTextFile(
      path,
      "@group(0) @binding(0) var<storage, read_write> x : array<f32>;\n" +
        "@compute @workgroup_size(64)\nfn main() {\n  x[0] = undefined_name;\n}\n",
    );
    try {
      await assert.rejects(
        loadShader(device(), "_broken_for_test", { workgroupSize: 64 }),
        (e: unknown) => {
          assert.ok(e instanceof ShaderValidationError, String(e));
          assert.equal(e.shader, "_broken_for_test");
          assert.match(e.message, /_broken_for_test/);
          assert.ok(e.messages.some((m) => m.lineNum === 4), JSON.stringify(e.messages));
          return true;
        },
      );
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test({
  name: "loadShader() caches pipelines per device and name",
  ignore: noGpu,
  async fn() {
    const a = await loadShader(device(), "rank_mask", { workgroupSize: 64 });
    const b = await loadShader(device(), "rank_mask", { workgroupSize: 64 });
    assert.equal(a, b);
  },
});
