/**
 * Loads `shaders/<name>.wgsl`, compiles it into a compute pipeline and reports
 * compile and validation errors as a `ShaderValidationError` naming the shader
 * and the line. Pipelines are cached per device, name and constants.
 *
 * @module
 */

import { type ShaderMessage, ShaderValidationError } from "../errors.ts";
import { readEnv } from "../env.ts";

/** Options of {@linkcode loadShader}. */
export interface LoadShaderOptions {
  /** The workgroup size the TS side dispatches with; must equal `@workgroup_size`. */
  readonly workgroupSize: number;
  /** Pipeline-overridable constants (`override` declarations in the WGSL). */
  readonly constants?: Readonly<Record<string, number>>;
}

const SHADER_DIR = new URL("../../shaders/", import.meta.url);
const sources = new Map<string, Promise<string>>();
const pipelines = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
// Error scopes are a per-device stack: two compiles in flight would see each
// other's errors, so compiles on one device run one after another.
const lastCompile = new WeakMap<GPUDevice, Promise<unknown>>();

/**
 * Reads the WGSL source of a shader.
 *
 * @param name The stem of `shaders/<name>.wgsl`.
 * @returns The source text.
 */
export function readShaderSource(name: string): Promise<string> {
  let source = sources.get(name);
  if (!source) {
    source = Deno.readTextFile(new URL(`${name}.wgsl`, SHADER_DIR));
    sources.set(name, source);
    source.catch(() => sources.delete(name));
  }
  return source;
}

/**
 * Compiles `shaders/<name>.wgsl` into a compute pipeline with entry point `main`.
 *
 * @param device The device.
 * @param name The shader's stem.
 * @param options The dispatch workgroup size and override constants.
 * @returns The (cached) pipeline.
 * @throws {ShaderValidationError} If the shader does not compile or validate, or
 *   its `@workgroup_size` differs from `options.workgroupSize`.
 */
export function loadShader(
  device: GPUDevice,
  name: string,
  options: LoadShaderOptions,
): Promise<GPUComputePipeline> {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, cache = new Map());
  const key = `${name}|${options.workgroupSize}|${JSON.stringify(options.constants ?? {})}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    const previous = lastCompile.get(device) ?? Promise.resolve();
    pipeline = previous.catch(() => {}).then(() => compile(device, name, options));
    lastCompile.set(device, pipeline);
    cache.set(key, pipeline);
    pipeline.catch(() => cache.delete(key));
  }
  return pipeline;
}

async function compile(
  device: GPUDevice,
  name: string,
  options: LoadShaderOptions,
): Promise<GPUComputePipeline> {
  const source = await readShaderSource(name);
  checkSource(name, source, options.workgroupSize);
  if (readEnv("MIM_PRINT_SHADER")) console.error(`// ${name}.wgsl\n${source}`);

  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label: name, code: source });
  const messages: ShaderMessage[] = [];
  if ("getCompilationInfo" in module) {
    const info = await module.getCompilationInfo();
    for (const m of info.messages) {
      if (m.type === "error") {
        messages.push({
          type: m.type,
          lineNum: m.lineNum,
          linePos: m.linePos,
          message: m.message,
        });
      }
    }
  }
  const pipeline = device.createComputePipeline({
    label: name,
    layout: "auto",
    compute: { module, entryPoint: "main", constants: { ...options.constants } },
  });
  const error = await device.popErrorScope();
  if (messages.length > 0 || error) {
    if (messages.length === 0 && error) {
      messages.push({ type: "error", ...lineOf(error.message), message: error.message });
    }
    throw new ShaderValidationError(name, messages);
  }
  return pipeline;
}

/** Static checks that catch a mismatch between a shader and its dispatch code. */
export function checkSource(name: string, source: string, workgroupSize: number): void {
  if (!/\bfn\s+main\s*\(/.test(source)) {
    throw new ShaderValidationError(name, [], "the source has no `fn main`");
  }
  const match = /@workgroup_size\s*\(\s*(\d+)/.exec(source);
  if (!match) throw new ShaderValidationError(name, [], "the source has no @workgroup_size");
  if (Number(match[1]) !== workgroupSize) {
    throw new ShaderValidationError(
      name,
      [],
      `@workgroup_size is ${match[1]} but the TS side dispatches with ${workgroupSize}`,
    );
  }
}

/** Extracts `line:col` from a wgpu/naga error text when it has one. */
function lineOf(message: string): { lineNum: number; linePos: number } {
  const match = /:(\d+):(\d+)/.exec(message);
  return match
    ? { lineNum: Number(match[1]), linePos: Number(match[2]) }
    : { lineNum: 0, linePos: 0 };
}
