import assert from "node:assert/strict";
import { DEFAULT_CONFIG, loadConfig, validateConfig } from "../lib/config/pretrain_config.ts";
import { applyOverride } from "../lib/config/load_config.ts";
import { ConfigError } from "../lib/errors.ts";
import { openDataset } from "../lib/data/open_dataset.ts";
import { writeSliceCache } from "../lib/data/slice_cache.ts";

async function withYaml(text: string, fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

function rejectsKey(key: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.key, key);
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("validateConfig() accepts the defaults", () => {
  assert.deepEqual(validateConfig(structuredClone(DEFAULT_CONFIG)), DEFAULT_CONFIG);
});

Deno.test("loadConfig() merges a YAML file and overrides onto the defaults", async () => {
  await withYaml("train:\n  epochs: 3 # short\nmask:\n  maskRatio: 0.25\n", async (path) => {
    const config = await loadConfig(path, ["--optim.lr=0.01", "run.name=abc"]);
    assert.equal(config.train.epochs, 3);
    assert.equal(config.mask.maskRatio, 0.25);
    assert.equal(config.optim.lr, 0.01);
    assert.equal(config.run.name, "abc");
    assert.equal(config.train.batchSize, DEFAULT_CONFIG.train.batchSize);
  });
});

Deno.test("loadConfig() names the key of an unknown key, a wrong type and an out-of-range value", async () => {
  await withYaml("train:\n  epoch: 3\n", async (path) => {
    await assert.rejects(loadConfig(path), rejectsKey("train.epoch", /unknown key/));
  });
  await withYaml("train:\n  epochs: three\n", async (path) => {
    await assert.rejects(
      loadConfig(path),
      rejectsKey("train.epochs", /expected a number, got string/),
    );
  });
  await withYaml("mask:\n  maskRatio: 1.5\n", async (path) => {
    await assert.rejects(
      loadConfig(path),
      rejectsKey("mask.maskRatio", /not a number in \[0, 1\)/),
    );
  });
  await withYaml("bogus: 1\n", async (path) => {
    await assert.rejects(loadConfig(path), rejectsKey("bogus", /unknown key/));
  });
  await assert.rejects(
    loadConfig(undefined, ["train.epochs=2.5"]),
    rejectsKey("train.epochs", /integer/),
  );
  await assert.rejects(
    loadConfig(undefined, ["mask.method=magic"]),
    rejectsKey("mask.method", /not one of/),
  );
  await assert.rejects(
    loadConfig(undefined, ["train=5"]),
    rejectsKey("train", /expected a mapping/),
  );
  await assert.rejects(
    loadConfig(undefined, ["mask.patchSize=6"]),
    rejectsKey("mask.patchSize", /does not divide data.size 64/),
  );
});

Deno.test("loadConfig() reports YAML syntax errors with the file and line", async () => {
  await withYaml("train:\n  epochs: [1, 2\n", async (path) => {
    await assert.rejects(loadConfig(path), (e: unknown) => {
      assert.ok(e instanceof SyntaxError);
      assert.ok(e.message.includes(path));
      assert.match(e.message, /line \d+/);
      return true;
    });
  });
});

Deno.test("applyOverride() parses scalars as YAML", () => {
  const out = applyOverride({ a: { b: 1, c: "x", d: false } }, "a.d=true") as { a: { d: unknown } };
  assert.equal(out.a.d, true);
  assert.throws(() => applyOverride({}, "novalue"), ConfigError);
});

Deno.test("every configs/*.yaml for pretraining loads", async () => {
  for await (const entry of Deno.readDir(new URL("../configs/", import.meta.url))) {
    if (!entry.name.startsWith("pretrain_")) continue;
    const path = new URL(`../configs/${entry.name}`, import.meta.url).pathname;
    await loadConfig(path); // throws on a bad file
  }
});

Deno.test("loadConfig() refuses a masking ratio that removes no patch", async () => {
  // 64 px, patch 8: L = 64; floor(64 * 0.01) = 0, floor(64 * 0.999) = 63
  await assert.rejects(
    loadConfig(undefined, ["mask.maskRatio=0.01"]),
    rejectsKey("mask.maskRatio", /removes 0 of the 64 patches/),
  );
  await assert.rejects(
    loadConfig(undefined, ["mask.maskRatio=0"]),
    rejectsKey("mask.maskRatio", /removes 0 of the 64 patches/),
  );
  assert.equal((await loadConfig(undefined, ["mask.maskRatio=0.999"])).mask.maskRatio, 0.999);
  // the same ratio is refused where the grid is too coarse: 16 px, patch 8, L = 4
  await assert.rejects(
    loadConfig(undefined, ["data.size=16", "mask.maskRatio=0.2"]),
    rejectsKey("mask.maskRatio", /removes 0 of the 4 patches/),
  );
  await assert.rejects(
    loadConfig(undefined, ["mask.amr.enabled=true", "mask.amr.sigma0=0"]),
    rejectsKey("mask.amr.sigma0", /removes 0 of the 64 patches/),
  );
  assert.ok(await loadConfig(undefined, ["mask.ablation=AMR", "mask.amr.maxRatio=0.98"]));
});

Deno.test("openDataset() refuses a data.size that differs from the slice cache's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const size = 16;
    await writeSliceCache(dir, { size, settings: {}, settingsHash: "x" }, [{
      entry: {
        caseId: "a",
        channels: 1,
        sources: [],
        sliceIndices: [0],
        selected: [true],
        totalSlices: 1,
        grid: {
          kind: "image",
          sourceDims: [size, size, 1],
          sourceSpacing: [1, 1, 1],
          affine: [],
          resizedFrom: [size, size],
        },
        intensity: [{ clip: [0, 1], mean: 0, std: 1 }],
      },
      images: new Float32Array(size * size).fill(1),
      labels: null,
    }]);
    const config = (s: number) =>
      loadConfig(undefined, ["data.source=cache", `data.cacheDir=${dir}`, `data.size=${s}`]);
    assert.equal((await openDataset(await config(16))).size, 16);
    await assert.rejects(
      openDataset(await config(32)),
      rejectsKey(
        "data.size",
        /is 32 but the slice cache .* holds 16 x 16 slices; set data.size: 16/,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
