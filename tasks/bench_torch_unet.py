"""PyTorch reference for `deno task bench` (CPU) and the GPU bench pack (CUDA): the medmim U-Net
pretraining step.

Same network as lib/model/unet.ts (AMLP sec. 4.5: four levels of two 3x3 conv + ReLU, 2x2 max
pooling, 2x2 stride-2 transposed conv + ReLU up, skip concatenation [skip, up], 1x1 head), the
same initialisation scheme (He-normal kernels, std sqrt(2 / fan_in), zero biases), the same step
(half of the 16x16 patches zero-filled at random, squared error averaged per patch and over the
removed patches, AdamW lr 1e-3, betas 0.9/0.95, weight decay 0.05 on kernels only), on the same
phantom batch (a float32 NHWC file written by the bench).

Run by the bench with Debian's /usr/bin/python3 (python3-torch), and by the bench pack's
`tasks/bench_gpu.ts` with the GPU machine's python3 (`--device cuda`); a benchmark reference only,
never a medmim dependency. Prints one JSON object on stdout. A case is `size:base` (batch from
`--batch`) or `size:base:batch`; the data file `batch_<size>.f32` holds at least `batch` images.
`--modes` picks eager fp32 (`eager`), eager with TF32 convolutions (`tf32`, CUDA only) and
`torch.compile` (`compile`, cases in reverse order); a mode that fails is reported in `skipped`,
not fatal, and cases are skipped once `--budget-s` has passed.

    /usr/bin/python3 tasks/bench_torch_unet.py --cases 128:16,128:32 --batch 8 --steps 4 \
        --threads 2 --data /tmp/dir
    python3 tasks/bench_torch_unet.py --device cuda --modes eager,compile \
        --cases 256:32:32 --steps 6 --data /tmp/dir
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

DEPTH = 4
PATCH = 16


class UNet(nn.Module):
    def __init__(self, base, in_ch=1, out_ch=1):
        super().__init__()
        w = [base * 2**k for k in range(DEPTH + 1)]
        self.down = nn.ModuleList()
        cin = in_ch
        for k in range(DEPTH):
            self.down.append(self._block(cin, w[k]))
            cin = w[k]
        self.bottom = self._block(cin, w[DEPTH])
        self.tconv = nn.ModuleList()
        self.up = nn.ModuleList()
        for k in reversed(range(DEPTH)):
            self.tconv.append(nn.ConvTranspose2d(w[k + 1], w[k], 2, stride=2))
            self.up.append(self._block(2 * w[k], w[k]))
        self.head = nn.Conv2d(w[0], out_ch, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_in))
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.ConvTranspose2d):
                # medmim: fan_in = 2 * 2 * input channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / (4 * m.in_channels)))
                nn.init.zeros_(m.bias)

    @staticmethod
    def _block(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

    def forward(self, x):
        skips = []
        h = x
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = F.max_pool2d(h, 2)
        h = self.bottom(h)
        for tconv, block, skip in zip(self.tconv, self.up, reversed(skips)):
            h = F.relu(tconv(h))
            h = block(torch.cat([skip, h], 1))
        return self.head(h)


def patch_mask(batch, size, gen):
    """[N, 1, H, W] float, 1 on the removed half of the 16x16 patches (random per sample)."""
    g = size // PATCH
    keep = g * g - (g * g) // 2
    noise = torch.rand(batch, g * g, generator=gen)
    ranks = noise.argsort(1).argsort(1)
    removed = (ranks >= keep).float().reshape(batch, 1, g, g)
    return removed.repeat_interleave(PATCH, 2).repeat_interleave(PATCH, 3), removed.reshape(batch, -1)


def masked_loss(pred, x, patch_removed):
    n, c, h, w = x.shape
    err = (pred - x) ** 2
    per_patch = err.reshape(n, c, h // PATCH, PATCH, w // PATCH, PATCH).mean(dim=(1, 3, 5))
    per_patch = per_patch.reshape(n, -1)
    return (per_patch * patch_removed).sum() / patch_removed.sum()


def bench(size, base, batch, steps, data_dir, device="cpu", mode="eager"):
    torch.manual_seed(1)
    net = UNet(base).to(device)
    params = sum(p.numel() for p in net.parameters())
    decay = [p for n, p in net.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in net.named_parameters() if n.endswith("bias")]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.95))
    raw = np.fromfile(f"{data_dir}/batch_{size}.f32", dtype=np.float32)
    images = raw.reshape(-1, size, size, 1)[:batch]
    if images.shape[0] < batch:
        raise ValueError(f"bench_torch_unet.py: batch_{size}.f32 holds {images.shape[0]} images, "
                         f"case needs {batch}")
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    gen = torch.Generator().manual_seed(0)
    cuda = device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    model = torch.compile(net) if mode == "compile" else net
    times, cpu_times, losses = [], [], []
    # the loss is recorded for the first `steps` steps (as medmim's); the time is the median
    # of at least 10 steps after two warm-up steps, since PyTorch's steps are short and vary
    # (compile: the first step compiles, the second may recompile for the optimizer state)
    for i in range(max(steps, 12)):
        pixel_mask, removed = patch_mask(batch, size, gen)
        pixel_mask, removed = pixel_mask.to(device), removed.to(device)
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        pred = model(x * (1 - pixel_mask))
        value = masked_loss(pred, x, removed)
        value.backward()
        opt.step()
        if i < steps:
            losses.append(value.item())
        else:
            value.item()
        sync()
        if i > 1:  # two warm-up steps (the first is up to 2x slower)
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
    fwd = []
    with torch.no_grad():
        for i in range(6 if not cuda else 11):
            sync()
            t0 = time.perf_counter()
            model(x)
            sync()
            if i > 0:
                fwd.append(time.perf_counter() - t0)
    row = {
        "size": size, "batch": batch, "baseWidth": base, "params": params, "steps": steps,
        "mode": mode, "stepMs": 1000 * float(np.median(times)),
        "stepCpuMs": 1000 * float(np.median(cpu_times)),
        "forwardMs": 1000 * float(np.median(fwd)), "losses": losses,
    }
    del model, net, opt, x
    if cuda:
        torch.cuda.empty_cache()
    return row


def set_mode(mode, cuda):
    """fp32 convolutions and matmuls unless the mode is `tf32` (PyTorch's CUDA default is TF32
    for convolutions, which is not the f32 arithmetic medmim's kernels do)."""
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = mode == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", required=True, help="size:base[:batch],...")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", required=True)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--modes", default="eager", help="eager,tf32,compile")
    parser.add_argument("--budget-s", type=float, default=0,
                        help="start no further case after this many seconds (0: no limit)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    cuda = args.device.startswith("cuda")
    rows, skipped = [], []
    if cuda and not torch.cuda.is_available():
        skipped.append({"reason": f"torch {torch.__version__} has no CUDA device"})
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                          "device": args.device, "rows": rows, "skipped": skipped}))
        return
    cases = []
    for case in args.cases.split(","):
        parts = [int(v) for v in case.split(":")]
        cases.append((parts[0], parts[1], parts[2] if len(parts) > 2 else args.batch))
    for mode in args.modes.split(","):
        set_mode(mode, cuda)
        failed = None  # a mode that failed once (e.g. no compiler) is not tried again
        # compile: the largest case first, since compiling is what runs over the budget
        for size, base, batch in (reversed(cases) if mode == "compile" else cases):
            what = f"{mode} {size} px, base {base}, batch {batch}"
            late = args.budget_s and time.perf_counter() - started > args.budget_s
            if late or failed:
                reason = failed or f"over the {args.budget_s:.0f} s budget"
                skipped.append({"mode": mode, "size": size, "baseWidth": base, "batch": batch,
                                "reason": reason})
                continue
            print(f"bench_torch_unet: {what}", file=sys.stderr, flush=True)
            try:
                rows.append(bench(size, base, batch, args.steps, args.data, args.device, mode))
            except Exception as error:  # a mode that does not work here (e.g. no compiler)
                reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
                print(f"bench_torch_unet: {what} failed: {reason}", file=sys.stderr, flush=True)
                skipped.append({"mode": mode, "size": size, "baseWidth": base, "batch": batch,
                                "reason": reason[:300]})
                failed = f"{mode} failed on an earlier case"
                if cuda:
                    torch.cuda.empty_cache()
    device_name = torch.cuda.get_device_name() if cuda else "cpu"
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "device": args.device, "deviceName": device_name, "rows": rows,
                      "skipped": skipped}))


if __name__ == "__main__":
    main()
