"""Times the PyTorch twin for one benchmark case, as src/bench/case.ts times tfjs.

python3 -m deblur_twin.bench --config '<NetConfig JSON>' --batch 4 --height 128 --width 128
    [--train] [--infer] [--steps 3] [--warmup 1] [--warmup-seconds 0] [--threads 2] [--channels-last]
    [--device cpu|cuda]
prints one JSON object: {"torch", "device", "threads", "layout", "blas", "params", "trainStepMs", "inferMs",
"train", "infer", "peakRssBytes"}. One case per process, so that the peak RSS belongs to that case
alone. `--channels-last` runs the network and its input in torch.channels_last (NHWC), the layout
oneDNN's convolutions prefer on CPUs; "blas" names the BLAS build and the kernel it chose here.
On CUDA each timed run ends with a synchronisation, so it counts the GPU's work, not its queueing.
"""
import ctypes
import argparse
import json
import resource
import statistics
import time

import torch  # noqa: E402

from deblur_twin.torch_twin import Net, count_params, deblur_loss, pyramid


def timing(ms):
    ms = sorted(ms)
    return {"median": statistics.median(ms), "min": ms[0], "max": ms[-1], "runs": len(ms)}


MAX_WARMUP_RUNS = 30  # as src/bench/timing.ts


def time_runs(body, steps, warmup, warmup_seconds):
    """`warmup` untimed runs, then more while the warm-up has taken less than `warmup_seconds`
    (at most MAX_WARMUP_RUNS in all), then `steps` timed ones: the lab's rule (src/bench/timing.ts)."""
    w0 = time.perf_counter()
    i = 0
    while i < MAX_WARMUP_RUNS and (i < warmup or time.perf_counter() - w0 < warmup_seconds):
        body()
        i += 1
    ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        body()
        ms.append((time.perf_counter() - t0) * 1000)
    return timing(ms)


def blas_in_use():
    """The OpenBLAS this process loaded and the core type it runs (what OPENBLAS_CORETYPE would
    force), from OpenBLAS itself; None where torch uses another BLAS."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "openblas" in line.split()[-1]})
        if not libs:
            return None
        lib = ctypes.CDLL(libs[0])
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return f"{lib.openblas_get_config().decode().strip()}; core {lib.openblas_get_corename().decode()}"
    except (OSError, AttributeError):
        return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--train", action="store_true")
    p.add_argument("--infer", action="store_true")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--warmup-seconds", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = p.parse_args()
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = Net(json.loads(a.config))
    g = torch.Generator().manual_seed(7)
    sharp = torch.rand(a.batch, 3, a.height, a.width, generator=g)
    blur = (sharp + 0.05 * torch.randn(sharp.shape, generator=g)).clamp(0, 1).to(dev)
    targets = pyramid(sharp.to(dev))
    net = net.to(dev)
    if a.channels_last:
        net = net.to(memory_format=torch.channels_last)
        blur = blur.contiguous(memory_format=torch.channels_last)
        targets = [t.contiguous(memory_format=torch.channels_last) for t in targets]
    out = {"torch": torch.__version__, "device": torch.cuda.get_device_name() if a.device == "cuda" else "cpu", "threads": torch.get_num_threads(), "layout": "channels_last" if a.channels_last else "nchw",
           "blas": blas_in_use(), "params": count_params(net),
           "trainStepMs": None, "inferMs": None, "train": None, "infer": None}
    if a.train:
        # Adam as the tfjs side runs it (PyTorch defaults: betas 0.9/0.999, eps 1e-8).
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        net.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = deblur_loss(net(blur), targets)
            loss.backward()
            opt.step()
            sync()

        out["train"] = time_runs(step, a.steps, a.warmup, a.warmup_seconds)
        out["trainStepMs"] = out["train"]["median"]
    if a.infer:
        net.eval()

        def infer():
            with torch.no_grad():
                net(blur)
            sync()

        out["infer"] = time_runs(infer, a.steps, a.warmup, a.warmup_seconds)
        out["inferMs"] = out["infer"]["median"]
    out["peakRssBytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
