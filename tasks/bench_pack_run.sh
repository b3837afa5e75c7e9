#!/usr/bin/env bash
# medmim GPU bench pack: the run script (`deno task bench-pack` copies this file into the pack as
# run.sh). Runs the GPU bench offline on a bare x86-64 Linux machine: unpacks Deno, brings the
# Vulkan loader (and GL/EGL) from the pack's .debs when the machine has none, selects the NVIDIA
# Vulkan driver when there is one, then runs the bundled bench (tasks/bench_gpu.ts), which prints
# the adapter and its limits and writes bench_gpu.json, bench_gpu.md (and this run's log,
# bench_gpu.log) to the output folder.
#
#   ./run.sh [OUT_DIR] [bench options]     OUT_DIR defaults to $OUT, else ./out
#   ./run.sh /tmp/out --sizes=64 --widths=8 --batches=2 --kernel-batch=2 --kernel-size=64
#
# Environment: MEDMIM_PYTHON (default python3: the interpreter with PyTorch), MEDMIM_PACK_DEBS
# (auto: unpack the .debs only when no libvulkan.so.1 is in the linker cache; always; never),
# MEDMIM_WEBGPU_BACKEND (default vulkan), VK_DRIVER_FILES / VK_ICD_FILENAMES (kept when set).
# Nothing is installed: everything is unpacked into a temporary folder, removed at the end.
set -euo pipefail

pack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-$pack/out}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  out=$1
  shift
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/medmim-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
log() { printf '[bench-pack] %s\n' "$*" >&2; }

# 1) Deno, from deno.xz (xz, or Python's lzma where xz is missing)
if command -v xz >/dev/null 2>&1; then
  xz -dc "$pack/deno.xz" >"$work/deno"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
    "$pack/deno.xz" "$work/deno"
else
  log "cannot unpack deno.xz: neither xz nor python3 is on PATH"
  exit 1
fi
chmod +x "$work/deno"
log "$("$work/deno" --version | head -1)"

# 2) The Vulkan loader and GL/EGL (libglvnd) libraries, unpacked from the .debs, not installed
unpack_deb() { # deb -> folder, with dpkg-deb or, without it, Python (ar + tar)
  if command -v dpkg-deb >/dev/null 2>&1; then
    dpkg-deb -x "$1" "$2"
  else
    python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], "rb").read()
pos = 8  # "!<arch>\n", then 60-byte member headers
while pos < len(data):
    name, size = data[pos:pos + 16].decode().strip(), int(data[pos + 48:pos + 58])
    if name.rstrip("/").startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(data[pos + 60:pos + 60 + size])).extractall(sys.argv[2])
        break
    pos += 60 + size + size % 2
PY
  fi
}
debs=${MEDMIM_PACK_DEBS:-auto}
if [ "$debs" = always ] ||
  { [ "$debs" = auto ] && ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; }; then
  mkdir -p "$work/root"
  for deb in "$pack"/debs/*.deb; do unpack_deb "$deb" "$work/root"; done
  export LD_LIBRARY_PATH="$work/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  log "Vulkan loader and GL/EGL libraries from the pack: $(cd "$pack/debs" && echo *.deb)"
else
  log "Vulkan loader: the machine's ($debs)"
fi
for lib in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [ -d "$lib" ]; then export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$lib"; fi
done

# 3) The Vulkan driver: NVIDIA's when its manifest exists, else the machine's default
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then
      export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
      break
    fi
  done
fi
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$egl" ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
fi
export DENO_WEBGPU_BACKEND=${MEDMIM_WEBGPU_BACKEND:-vulkan}
log "WebGPU backend ${DENO_WEBGPU_BACKEND}, Vulkan driver: ${VK_DRIVER_FILES:-system default}"
if command -v nvidia-smi >/dev/null 2>&1; then
  log "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
fi

# 4) Deno's own folders, all temporary
export DENO_DIR="$work/deno_dir" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
export XDG_RUNTIME_DIR="$work/xdg"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
python=${MEDMIM_PYTHON:-python3}
python=$(command -v "$python" 2>/dev/null || echo "$python")
entry=$(find "$pack/js" -name bench_gpu.js | head -1)

# 5) The bench (--allow-run for any program: Deno allows a subprocess, here PyTorch's Python, to
#    inherit LD_LIBRARY_PATH only then)
set +e
"$work/deno" run --no-config --no-lock --cached-only \
  --allow-read="$pack,$work,$out" --allow-write="$out,$work" --allow-run \
  --allow-env --allow-sys \
  "$entry" --out="$out" --work="$work/data" --python="$python" \
  --torch-script="$pack/bench_torch_unet.py" --wasm-dir="$pack/wasm/" "$@" 2>&1 |
  tee "$out/bench_gpu.log"
status=${PIPESTATUS[0]}
log "exit status $status; results in $out"
exit "$status"
