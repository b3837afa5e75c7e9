import assert from "node:assert/strict";
import { isSoftwareAdapter, selectBackend } from "../lib/backend/select_backend.ts";

function info(description: string, isFallbackAdapter = false): GPUAdapterInfo {
  return {
    vendor: "",
    architecture: "",
    device: "",
    description,
    isFallbackAdapter,
  } as unknown as GPUAdapterInfo;
}

Deno.test("isSoftwareAdapter() flags llvmpipe, lavapipe, SwiftShader and fallback adapters", () => {
  assert.equal(isSoftwareAdapter(info("llvmpipe (LLVM 15.0.6, 256 bits)")), true);
  assert.equal(isSoftwareAdapter(info("Intel Mesa lavapipe")), true);
  assert.equal(isSoftwareAdapter(info("Google SwiftShader")), true);
  assert.equal(isSoftwareAdapter(info("", true)), true);
  assert.equal(isSoftwareAdapter(info("NVIDIA GeForce RTX 3090")), false);
});

Deno.test("selectBackend() auto picks webgpu on hardware, wasm on software or no adapter", () => {
  assert.equal(selectBackend("auto", info("NVIDIA GeForce RTX 3090")).backend, "webgpu");
  assert.equal(selectBackend("auto", info("llvmpipe (LLVM 15.0.6, 256 bits)")).backend, "wasm");
  assert.equal(selectBackend("auto").backend, "wasm");
  assert.equal(selectBackend("cpu", info("NVIDIA")).backend, "cpu");
  assert.throws(() => selectBackend("webgpu"), RangeError);
});

Deno.test("selectBackend() reads the adapter info of this machine's device", async () => {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return;
  const device = await adapter.requestDevice();
  const choice = selectBackend("auto", device);
  assert.equal(choice.backend, isSoftwareAdapter(adapter.info) ? "wasm" : "webgpu");
  device.destroy();
});
