"""Trains a deblur-lab network with PyTorch: the twin (deblur_twin.torch_twin), one process or many
under torchrun with DistributedDataParallel, for runs that outgrow one machine's CPU or one GPU.

  PYTHONPATH=python python3 -m deblur_twin.train --data build/data/gopro-synth --out build/twin-runs/x --variant lite --steps 20000
  PYTHONPATH=python torchrun --standalone --nproc_per_node=8 -m deblur_twin.train --data DIR --out DIR --variant full --batch 32 --crop 256 --steps 200000

The lab's conventions (src/data/pipeline.ts, src/loss.ts, src/train/schedule.ts): pairs from a GoPro
layout (<data>/train/<sequence>/{blur,sharp}/*.png); per sample a random square crop at the same place
in both images and a random left-right flip; values in [0, 1]; targets downscaled by 2x2 box means;
loss = sum over the three scales of L1 + 0.1 * L1 of the FFT; Adam (0.9, 0.999, eps 1e-8); a linear
warm-up, then cosine from --lr to --final-lr over --schedule-steps. The sample streams are seeded
like the lab's but not bit-identical to them.

--batch is the global batch: every step, all ranks agree on its samples (from --seed and the step)
and rank r takes its r-th share, so the averaged gradient is the gradient of the whole batch, as
one process would compute it (tests/interop/ddp.test.ts checks this).

Rank 0 writes, every --checkpoint-every steps and at the end, each file atomically:
  <out>/state.pt       model, Adam's state and the step: running this script again with the same
                       --out continues the run from it;
  <out>/checkpoint.pt  {'model': state_dict in the twin layout, 'deblurLab': the config and the step}:
                       tensors and plain values only, so `deblur-lab import-torch <out>/checkpoint.pt
                       --out weights/NAME` reads it without running pickled code.
<out>/log.csv has every step's loss.
"""
import argparse
import csv
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from deblur_twin.torch_twin import Net, deblur_loss



def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="a dataset in GoPro's layout (npm run data:train writes one)")
    p.add_argument("--blur", default="blur", help="blur folder name: blur or blur_gamma")
    p.add_argument("--out", required=True, help="run folder: checkpoint.pt, log.csv")
    p.add_argument("--config", help="the network's NetConfig as JSON (deblur-lab summary --json prints one)")
    p.add_argument("--init", help="start from a checkpoint export-torch wrote (its config is used)")
    p.add_argument("--steps", type=int, required=True, help="train until this step")
    p.add_argument("--batch", type=int, default=4, help="global batch, divisible by the number of processes")
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--no-flip", action="store_true")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--final-lr", type=float, default=1e-6)
    p.add_argument("--schedule-steps", type=int, default=200000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--device", default="auto", help="auto (cuda when present), cuda or cpu")
    p.add_argument("--dump-grads", help="after the first step's backward pass, rank 0 writes every gradient (float32) here and stops")
    return p.parse_args()


def pairs_of(data, blur):
    split = os.path.join(data, "train")
    if not os.path.isdir(split):
        sys.exit(f"train_twin: {split}: no such folder (expected {data}/train/<sequence>/{{{blur},sharp}}/)")
    out = []
    for seq in sorted(os.listdir(split)):
        bdir, sdir = os.path.join(split, seq, blur), os.path.join(split, seq, "sharp")
        if not (os.path.isdir(bdir) and os.path.isdir(sdir)):
            continue
        for name in sorted(os.listdir(sdir)):
            if name.lower().endswith((".png", ".jpg", ".jpeg")) and os.path.exists(os.path.join(bdir, name)):
                out.append((os.path.join(bdir, name), os.path.join(sdir, name)))
    if not out:
        sys.exit(f"train_twin: no blur/sharp pairs under {split}")
    return out


def read_rgb(path):
    from PIL import Image  # Debian's python3-pil

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def global_samples(step, batch, n_pairs, seed):
    """The global batch of `step`: (pair index, crop RNG seed) per sample; every epoch a new shuffle."""
    out = []
    for j in range(batch):
        k = step * batch + j
        epoch, i = divmod(k, n_pairs)
        order = np.random.default_rng([seed, 0, epoch]).permutation(n_pairs)
        out.append((int(order[i]), [seed, 1, k]))
    return out


def load_batch(pairs, samples, crop, flip):
    blurs, sharps = [], []
    for index, rng_seed in samples:
        b, s = read_rgb(pairs[index][0]), read_rgb(pairs[index][1])
        h, w = s.shape[:2]
        if h < crop or w < crop:
            sys.exit(f"train_twin: {pairs[index][1]} ({w}x{h}) is smaller than the {crop}x{crop} crop")
        rng = np.random.default_rng(rng_seed)
        top, left = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        b, s = b[top:top + crop, left:left + crop], s[top:top + crop, left:left + crop]
        if flip and rng.random() < 0.5:
            b, s = b[:, ::-1], s[:, ::-1]
        blurs.append(b)
        sharps.append(s)
    to_tensor = lambda xs: torch.from_numpy(np.ascontiguousarray(np.stack(xs))).permute(0, 3, 1, 2).float() / 255
    return to_tensor(blurs), to_tensor(sharps)


def pyramid(full):
    half = F.avg_pool2d(full, 2)
    return [F.avg_pool2d(half, 2), half, full]


def learning_rate(a, step):
    ramp = (step + 1) / a.warmup if a.warmup and step < a.warmup else 1.0
    t = min(step, a.schedule_steps)
    return ramp * (a.final_lr + (a.lr - a.final_lr) * (1 + math.cos(math.pi * t / a.schedule_steps)) / 2)


def save_atomically(obj, path):
    tmp = path + ".partial"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    a = parse_args()
    # DDP notes that a depthwise kernel's gradient [C, 1, 3, 3] has strides other than its bucket's
    # (equivalent for a size-1 axis): harmless, and said once per rank per step otherwise.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    device = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else ("cpu" if a.device == "auto" else a.device))
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(device)
    else:
        rank, world = 0, 1
    if a.batch % world:
        sys.exit(f"train_twin: --batch {a.batch} is not divisible by the {world} processes")

    state_path = os.path.join(a.out, "state.pt")
    resume = torch.load(state_path, map_location="cpu") if os.path.exists(state_path) else None
    init = torch.load(a.init, map_location="cpu") if a.init and resume is None else None
    if resume is not None:
        cfg = resume["deblurLab"]["config"]
    elif init is not None:
        cfg = (init.get("deblurLab") or {}).get("config") or (json.loads(a.config) if a.config else None)
    else:
        cfg = json.loads(a.config) if a.config else None
    if cfg is None:
        sys.exit("train_twin: give --config (deblur-lab summary --variant NAME --json prints one under 'config'), or --init with a checkpoint from export-torch")

    torch.manual_seed(a.seed)  # the same initial weights on every rank
    net = Net(cfg).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    step = 0
    if resume is not None:
        net.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optimizer"])
        step = resume["step"]
    elif init is not None:
        net.load_state_dict(init.get("model", init))
    model = torch.nn.parallel.DistributedDataParallel(net) if distributed else net

    pairs = pairs_of(a.data, a.blur)
    share = a.batch // world
    if rank == 0:
        os.makedirs(a.out, exist_ok=True)
        print(f"train_twin: {len(pairs)} pairs, {world} process(es) on {device}, global batch {a.batch} x {a.crop}^2, from step {step} to {a.steps}", flush=True)
    log = open(os.path.join(a.out, "log.csv"), "a", newline="") if rank == 0 else None
    writer = csv.writer(log) if log else None
    if log and log.tell() == 0:
        writer.writerow(["step", "loss", "lr", "seconds"])

    def checkpoint():
        if rank == 0:
            meta = {"config": cfg, "layout": "twin", "source": "deblur_twin.train", "step": step, "batch": a.batch, "crop": a.crop, "processes": world, "device": str(device)}
            save_atomically({"model": net.state_dict(), "optimizer": opt.state_dict(), "step": step, "deblurLab": meta}, state_path)
            save_atomically({"model": net.state_dict(), "deblurLab": meta}, os.path.join(a.out, "checkpoint.pt"))

    while step < a.steps:
        t0 = time.time()
        samples = global_samples(step, a.batch, len(pairs), a.seed)[rank * share:(rank + 1) * share]
        blur, sharp = load_batch(pairs, samples, a.crop, not a.no_flip)
        blur, sharp = blur.to(device), sharp.to(device)
        lr = learning_rate(a, step)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = deblur_loss(model(blur), pyramid(sharp))
        loss.backward()  # DDP averages the gradients over the ranks here
        if a.dump_grads:
            if rank == 0:
                torch.cat([p.grad.detach().reshape(-1).cpu() for p in net.parameters()]).numpy().astype("<f4").tofile(a.dump_grads)
            break
        opt.step()
        step += 1
        if distributed:  # the logged loss is the whole batch's
            loss = loss.detach().clone()
            dist.all_reduce(loss)
            loss /= world
        if writer:
            writer.writerow([step, f"{loss.item():.6f}", f"{lr:.3e}", f"{time.time() - t0:.3f}"])
            log.flush()
        if step % a.checkpoint_every == 0:
            checkpoint()
    if not a.dump_grads:
        checkpoint()
    if log:
        log.close()
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
