/**
 * The custom error classes of medmim, for conditions a caller may want to catch.
 * Everything else uses the built-ins: `TypeError` (wrong type or shape),
 * `RangeError` (a value out of range) and `SyntaxError` (unparseable text).
 *
 * @module
 */

/** One compiler message about a WGSL shader. */
export interface ShaderMessage {
  readonly type: string;
  readonly lineNum: number;
  readonly linePos: number;
  readonly message: string;
}

/** A WGSL shader failed to compile or its pipeline failed to validate. */
export class ShaderValidationError extends Error {
  /** The shader's name (the stem of `shaders/<name>.wgsl`). */
  readonly shader: string;
  /** What the compiler said, with line numbers where it gave them. */
  readonly messages: readonly ShaderMessage[];

  constructor(shader: string, messages: readonly ShaderMessage[], detail = "") {
    const first = messages[0];
    const where = first && first.lineNum > 0 ? ` at line ${first.lineNum}:${first.linePos}` : "";
    const what = first?.message ?? detail;
    super(`Cannot compile shader "${shader}"${where}: ${what}`);
    this.name = "ShaderValidationError";
    this.shader = shader;
    this.messages = messages;
  }
}

/** No WebGPU adapter could be had on this machine. */
export class NoGpuAdapterError extends Error {
  constructor(detail: string) {
    super(`No WebGPU adapter is available: ${detail}`);
    this.name = "NoGpuAdapterError";
  }
}

/** The GPU device was lost while medmim was using it. */
export class GpuDeviceLostError extends Error {
  constructor(reason: string, message: string) {
    super(`The WebGPU device was lost (${reason}): ${message}`);
    this.name = "GpuDeviceLostError";
  }
}

/** A config file or override has an unknown key, a wrong type or a bad value. */
export class ConfigError extends Error {
  /** Dotted path of the offending key, e.g. `train.epochs`. */
  readonly key: string;

  constructor(key: string, message: string) {
    super(`Invalid config key "${key}": ${message}`);
    this.name = "ConfigError";
    this.key = key;
  }
}

/**
 * An input file (scan, mask, image folder) cannot be used: it is not the format
 * it claims to be, it is truncated, a companion file is missing, or its content
 * is inconsistent (shape mismatch, NaN voxels). Preprocessing catches this to
 * skip the case and list it in its report.
 */
export class InputFileError extends Error {
  /** The offending file or folder, as given. */
  readonly path: string;
  /** What is wrong, without the path, e.g. `gzip data is truncated or corrupt`. */
  readonly reason: string;

  constructor(what: string, path: string, reason: string) {
    super(`Cannot read ${what} "${path}": ${reason}`);
    this.name = "InputFileError";
    this.path = path;
    this.reason = reason;
  }
}

/**
 * A pretrained tensor cannot initialise a layer: its shape differs from the
 * layer's (e.g. another `baseWidth` or input channel count).
 */
export class WeightShapeError extends Error {
  /** The layer parameter, e.g. `down0.conv0.w`. */
  readonly layer: string;
  /** Shape in the checkpoint. */
  readonly checkpointShape: readonly number[];
  /** Shape of the model's parameter. */
  readonly modelShape: readonly number[];

  constructor(
    path: string,
    layer: string,
    checkpointShape: readonly number[],
    modelShape: readonly number[],
  ) {
    const had = checkpointShape.join(", ");
    const want = modelShape.join(", ");
    super(
      `Cannot load "${layer}" from checkpoint "${path}": its shape [${had}] ` +
        `differs from the model's [${want}]`,
    );
    this.name = "WeightShapeError";
    this.layer = layer;
    this.checkpointShape = checkpointShape;
    this.modelShape = modelShape;
  }
}

/**
 * A task's command line is wrong: an unknown flag, a flag without its value,
 * an unexpected argument. The message lists what the task accepts.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
