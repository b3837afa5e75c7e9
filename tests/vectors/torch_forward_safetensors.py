#!/usr/bin/python3
"""Loads a medmim `model.safetensors` export into PyTorch and runs it, for tests/export_test.ts.

Parses the safetensors file with json + numpy only (the format: u64 little-endian header
length, JSON header, raw little-endian data at data_offsets), builds the UNet class of
tasks/bench_torch_unet.py with the architecture the header states, loads the tensors with
load_state_dict(strict=True) (so every name and shape must match that module exactly),
runs it on a float32 NHWC input file and writes the output as float32 NHWC.

    /usr/bin/python3 tests/vectors/torch_forward_safetensors.py MODEL.safetensors \
        INPUT.f32 N,H,W,C OUTPUT.f32

Prints one JSON line: the tensor count and the header's metadata.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tasks"))
from bench_torch_unet import UNet  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
    return tensors, meta


def main():
    model_path, input_path, shape_text, output_path = sys.argv[1:5]
    torch.set_num_threads(1)
    tensors, meta = read_safetensors(model_path)
    arch = json.loads(meta["architecture"])
    net = UNet(arch["baseWidth"], in_ch=arch["inChannels"], out_ch=arch["outChannels"])
    net.load_state_dict(tensors, strict=True)
    net.eval()
    n, h, w, c = (int(v) for v in shape_text.split(","))
    x = np.fromfile(input_path, dtype="<f4").reshape(n, h, w, c)
    with torch.no_grad():
        y = net(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous())
    y.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(output_path)
    print(json.dumps({"tensors": len(tensors), "metadata": meta}))


if __name__ == "__main__":
    main()
