/**
 * What a bench says about the WebGPU adapter it ran on: the adapter info,
 * its features and every limit, as data (for the JSON) and as lines (for
 * the log and the markdown).
 *
 * @module
 */

/** The adapter's identity, features and limits. */
export interface AdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly features: readonly string[];
  /** Every numeric limit the adapter reports, by WebGPU name. */
  readonly limits: Readonly<Record<string, number>>;
}

/**
 * Reads an adapter's info, features and limits.
 *
 * @param adapter The adapter.
 * @returns The report.
 */
export function adapterReport(adapter: GPUAdapter): AdapterReport {
  const limits: Record<string, number> = {};
  const source = adapter.limits as unknown as Record<string, unknown>;
  for (const key in adapter.limits) {
    const value = source[key];
    if (typeof value === "number") limits[key] = value;
  }
  const info = adapter.info;
  return {
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
    device: String(info.device ?? ""),
    description: String(info.description ?? ""),
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/** The limits worth a line of their own in the report. */
const KEY_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
] as const;

/**
 * Formats a report as lines of text.
 *
 * @param r The report.
 * @returns Lines: identity, key limits, features.
 * @example
 * ```ts
 * import { adapterLines } from "./adapter_report.ts";
 * const lines = adapterLines({
 *   vendor: "v", architecture: "", device: "d", description: "GPU X", features: ["f16"],
 *   limits: { maxBufferSize: 1024 },
 * });
 * if (!lines[0]!.includes("GPU X") || !lines[1]!.includes("maxBufferSize 1024")) {
 *   throw new Error(lines.join("\n"));
 * }
 * ```
 */
export function adapterLines(r: AdapterReport): string[] {
  const identity = [
    r.description && `"${r.description}"`,
    r.vendor && `vendor ${r.vendor}`,
    r.architecture && `architecture ${r.architecture}`,
    r.device && `device ${r.device}`,
  ].filter(Boolean).join(", ");
  const limits = KEY_LIMITS.filter((k) => k in r.limits).map((k) => `${k} ${r.limits[k]}`);
  return [
    `adapter: ${identity || "(no info)"}`,
    `limits: ${limits.join(", ")}`,
    `features: ${r.features.join(", ") || "none"}`,
  ];
}
