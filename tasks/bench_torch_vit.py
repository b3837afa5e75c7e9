"""PyTorch reference for `deno task bench` and the parameter-count test: medmim's ViT masked
autoencoder (lib/model/vit_mae.ts) and its pretraining step on the CPU.

Same network as medmim's (MAE, He et al. 2022): a linear patch embedding (a Conv2d with kernel =
stride = P, initialised Xavier-uniform over its flattened kernel), a fixed 2D sine-cosine position
embedding (a buffer, not a parameter), a class token, pre-norm transformer blocks (LayerNorm eps
1e-6, one qkv Linear, softmax attention, output projection, GELU MLP of mlp_ratio * D), a final
LayerNorm; a decoder (Linear to the decoder width, a mask token, its own sine-cosine embedding,
blocks, LayerNorm, Linear to P*P*C) and, with --loss-predictor, HPM's loss predictor (a second
stack of decoder blocks, LayerNorm and Linear). Xavier-uniform Linear weights, zero biases,
N(0, 0.02) class and mask tokens. The step: random masking by noise argsort (MAE), the encoder
on the kept tokens, squared error per token averaged over removed tokens, AdamW lr 1e-3, betas
0.9/0.95, weight decay 0.05 on Linear/Conv kernels only, on the same phantom batch as medmim
(a float32 NHWC file written by the bench).

Run by Debian's /usr/bin/python3 (python3-torch); a reference only, never a medmim dependency.
Prints one JSON object on stdout.

    /usr/bin/python3 tasks/bench_torch_vit.py --count 3:0,1:1 --size 224 --patch 16 \
        --width 768 --depth 12 --heads 12 --decoder 512:8:16
    /usr/bin/python3 tasks/bench_torch_vit.py --cases 64:8:128:4:4:64:2:4 --batch 8 --steps 4 \
        --ratio 0.75 --threads 2 --data /tmp/dir
    /usr/bin/python3 tasks/bench_torch_vit.py --check /tmp/dir --batch 2 --size 32 --patch 8 \
        --width 32 --depth 2 --heads 2 --decoder 16:1:2   # per-token loss of medmim's weights
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn


def sincos_2d(dim, grid, cls_token):
    """[(1) + grid*grid, dim]: column then row, each D/4 sines then D/4 cosines."""
    quarter = dim // 4
    omega = 1.0 / 10000 ** (np.arange(quarter, dtype=np.float64) / quarter)
    rows = []
    for y in range(grid):
        for x in range(grid):
            rows.append(np.concatenate([np.sin(x * omega), np.cos(x * omega),
                                        np.sin(y * omega), np.cos(y * omega)]))
    table = np.stack(rows)
    if cls_token:
        table = np.concatenate([np.zeros((1, dim)), table])
    return torch.from_numpy(table).float()


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.fc2 = nn.Linear(int(dim * mlp_ratio), dim)

    def attention(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        weights = ((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5).softmax(-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(n, t, d))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


class ViTMae(nn.Module):
    def __init__(self, size, patch, channels, width, depth, heads, dec_width, dec_depth,
                 dec_heads, mlp_ratio=4.0, loss_predictor=False, init=True):
        super().__init__()
        self.patch = patch
        grid = size // patch
        self.patch_embed = nn.Conv2d(channels, width, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.register_buffer("pos", sincos_2d(width, grid, True).unsqueeze(0))
        self.blocks = nn.ModuleList([Block(width, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.decoder_embed = nn.Linear(width, dec_width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec_width))
        self.register_buffer("dec_pos", sincos_2d(dec_width, grid, True).unsqueeze(0))
        self.decoder_blocks = nn.ModuleList(
            [Block(dec_width, dec_heads, mlp_ratio) for _ in range(dec_depth)])
        self.decoder_norm = nn.LayerNorm(dec_width, eps=1e-6)
        self.decoder_pred = nn.Linear(dec_width, patch * patch * channels)
        if loss_predictor:
            self.losspred_blocks = nn.ModuleList(
                [Block(dec_width, dec_heads, mlp_ratio) for _ in range(dec_depth)])
            self.losspred_norm = nn.LayerNorm(dec_width, eps=1e-6)
            self.losspred_pred = nn.Linear(dec_width, patch * patch * channels)
        if init:
            self.initialize()

    def initialize(self):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        w = self.patch_embed.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.patch_embed.bias)
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)

    def encoder_parameters(self):
        prefixes = ("patch_embed", "cls_token", "blocks", "norm.")
        return [p for n, p in self.named_parameters() if n.startswith(prefixes)]

    def patchify(self, images):
        """[N, C, H, W] -> [N, L, P*P*C] in row, column, channel order (MAE)."""
        n, c, h, w = images.shape
        p = self.patch
        x = images.reshape(n, c, h // p, p, w // p, p)
        return torch.einsum("nchpwq->nhwpqc", x).reshape(n, (h // p) * (w // p), p * p * c)

    def forward(self, images, ratio, gen):
        """The masked mean loss of a random mask: MAE's noise argsort, small noise kept."""
        n, length = images.shape[0], self.pos.shape[1] - 1
        keep = int(length * (1 - ratio))
        noise = torch.rand(n, length, generator=gen)
        per_token, mask = self.per_token_loss(images, noise.argsort(1), keep)
        return (per_token * mask).sum() / mask.sum()

    def per_token_loss(self, images, ids_shuffle, keep):
        """[N, L] squared error per token and the mask (1 = removed) of an order keeping its first K."""
        x = self.patch_embed(images).flatten(2).transpose(1, 2) + self.pos[:, 1:]
        n, length, d = x.shape
        ids_restore = ids_shuffle.argsort(1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep, None].expand(-1, -1, d))
        mask = torch.ones(n, length)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        cls = (self.cls_token + self.pos[:, :1]).expand(n, -1, -1)
        x = torch.cat([cls, x], 1)
        for block in self.blocks:
            x = block(x)
        x = self.decoder_embed(self.norm(x))
        dd = x.shape[-1]
        tokens = torch.cat([x[:, 1:], self.mask_token.expand(n, length - keep, -1)], 1)
        tokens = torch.gather(tokens, 1, ids_restore[:, :, None].expand(-1, -1, dd))
        x = torch.cat([x[:, :1], tokens], 1) + self.dec_pos
        for block in self.decoder_blocks:
            x = block(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:]
        return ((pred - self.patchify(images)) ** 2).mean(-1), mask


def count(args, channels, loss_predictor):
    dec_width, dec_depth, dec_heads = (int(v) for v in args.decoder.split(":"))
    # counting needs no initialisation (the slow part at ViT-B size)
    net = ViTMae(args.size, args.patch, channels, args.width, args.depth, args.heads,
                 dec_width, dec_depth, dec_heads, loss_predictor=loss_predictor, init=False)
    total = sum(p.numel() for p in net.parameters())
    encoder = sum(p.numel() for p in net.encoder_parameters())
    return {"channels": channels, "lossPredictor": loss_predictor, "total": total,
            "encoder": encoder}


def load_medmim(net, directory):
    """Copies medmim's parameters (weights.json names and shapes, weights.f32 values) into net."""
    with open(f"{directory}/weights.json") as f:
        entries = json.load(f)
    flat = np.fromfile(f"{directory}/weights.f32", dtype=np.float32)
    state = {}
    at = 0
    for entry in entries:
        size = int(np.prod(entry["shape"]))
        state[entry["name"]] = torch.from_numpy(flat[at:at + size].reshape(entry["shape"]))
        at += size
    p = net.patch
    with torch.no_grad():
        w = state.pop("encoder.patch_embed.w")  # [(dy, dx, c), D] -> [D, C, P, P]
        c = w.shape[0] // (p * p)
        net.patch_embed.weight.copy_(w.reshape(p, p, c, -1).permute(3, 2, 0, 1))
        net.patch_embed.bias.copy_(state.pop("encoder.patch_embed.b"))
        net.cls_token.copy_(state.pop("encoder.cls_token").reshape(1, 1, -1))
        net.mask_token.copy_(state.pop("decoder.mask_token").reshape(1, 1, -1))
        modules = {"encoder.norm": net.norm, "decoder.embed": net.decoder_embed,
                   "decoder.norm": net.decoder_norm, "decoder.pred": net.decoder_pred}
        for i, block in enumerate(net.blocks):
            modules.update(block_modules(f"encoder.block{i}", block))
        for i, block in enumerate(net.decoder_blocks):
            modules.update(block_modules(f"decoder.block{i}", block))
        for prefix, module in modules.items():
            if isinstance(module, nn.LayerNorm):
                module.weight.copy_(state.pop(f"{prefix}.g"))
            else:  # medmim's kernels are [in, out], PyTorch's [out, in]
                module.weight.copy_(state.pop(f"{prefix}.w").t())
            module.bias.copy_(state.pop(f"{prefix}.b"))
    if state:
        raise ValueError(f"medmim parameters without a PyTorch place: {sorted(state)}")


def block_modules(prefix, block):
    return {f"{prefix}.norm1": block.norm1, f"{prefix}.attn.qkv": block.qkv,
            f"{prefix}.attn.proj": block.proj, f"{prefix}.norm2": block.norm2,
            f"{prefix}.mlp.fc1": block.fc1, f"{prefix}.mlp.fc2": block.fc2}


def check(args):
    """The per-token loss of medmim's weights, images and mask (kept tokens in patch order)."""
    dec_width, dec_depth, dec_heads = (int(v) for v in args.decoder.split(":"))
    images = np.fromfile(f"{args.check}/images.f32", dtype=np.float32)
    mask = torch.from_numpy(np.fromfile(f"{args.check}/mask.f32", dtype=np.float32))
    grid = args.size // args.patch
    channels = images.size // (args.batch * args.size * args.size)
    net = ViTMae(args.size, args.patch, channels, args.width, args.depth, args.heads, dec_width,
                 dec_depth, dec_heads, init=False)
    load_medmim(net, args.check)
    x = torch.from_numpy(images.reshape(args.batch, args.size, args.size, channels))
    mask = mask.reshape(args.batch, grid * grid)
    keep = int((mask[0] == 0).sum())
    ids_shuffle = torch.sort(mask, dim=1, stable=True).indices
    with torch.no_grad():
        per_token, _ = net.per_token_loss(x.permute(0, 3, 1, 2).contiguous(), ids_shuffle, keep)
    return {"perToken": per_token.flatten().tolist()}


def bench(case, batch, steps, ratio, data_dir):
    size, patch, width, depth, heads, dec_width, dec_depth, dec_heads = case
    torch.manual_seed(1)
    net = ViTMae(size, patch, 1, width, depth, heads, dec_width, dec_depth, dec_heads)
    params = sum(p.numel() for p in net.parameters())
    decay = [p for n, p in net.named_parameters() if n.endswith("weight") and p.dim() > 1]
    no_decay = [p for n, p in net.named_parameters() if not (n.endswith("weight") and p.dim() > 1)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.95))
    raw = np.fromfile(f"{data_dir}/batch_{size}.f32", dtype=np.float32)
    x = torch.from_numpy(raw.reshape(batch, size, size, 1)).permute(0, 3, 1, 2).contiguous()
    gen = torch.Generator().manual_seed(0)
    times, losses = [], []
    for i in range(max(steps, 12)):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        value = net(x, ratio, gen)
        value.backward()
        opt.step()
        if i < steps:
            losses.append(value.item())
        else:
            value.item()
        if i > 1:  # two warm-up steps
            times.append(time.perf_counter() - t0)
    return {
        "size": size, "patch": patch, "width": width, "depth": depth, "heads": heads,
        "decoder": f"{dec_width}:{dec_depth}:{dec_heads}", "batch": batch, "params": params,
        "steps": steps, "stepMs": 1000 * float(np.median(times)), "losses": losses,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", default="",
                        help="print parameter counts only, for channels:lossPredictor,... (3:0,1:1)")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--patch", type=int, default=16)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--depth", type=int, default=12)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--decoder", default="512:8:16", help="width:depth:heads")
    parser.add_argument("--cases", default="", help="size:patch:width:depth:heads:dw:dd:dh,...")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--ratio", type=float, default=0.75)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default="")
    parser.add_argument("--check", default="", help="a folder of medmim weights, images and mask")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        print(json.dumps(check(args)))
        return
    if args.count:
        variants = [tuple(int(v) for v in item.split(":")) for item in args.count.split(",")]
        print(json.dumps([count(args, c, bool(lp)) for c, lp in variants]))
        return
    rows = []
    for case in args.cases.split(","):
        values = tuple(int(v) for v in case.split(":"))
        rows.append(bench(values, args.batch, args.steps, args.ratio, args.data))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
