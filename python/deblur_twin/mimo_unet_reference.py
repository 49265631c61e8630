"""MIMO-UNet and MIMO-UNet+ (Cho et al., ICCV 2021) as the official PyTorch code builds them, for
checking `import-torch`: same module tree (so the same state_dict keys), same forward pass
(nearest-neighbour F.interpolate for the ½ and ¼ inputs and the AFF resamplings, padding=1 on
stride-2 convs). Written for these tests from the structure of the official repository's
models/MIMOUNet.py and models/layers.py; it holds no released weights.

  python3 -m deblur_twin.mimo_unet_reference make CKPT [--plus] [--seed S] [--channels C] [--legacy]
      random weights (PyTorch's default initialisation, biases included), saved as {'model': state_dict}
  python3 -m deblur_twin.mimo_unet_reference run CKPT IN.png OUT.png [--plus]
      deblurs one image as `deblur-lab deblur --no-tiling` does: mirror-pads bottom/right to a
      multiple of 4, runs, crops, clips to [0, 1], rounds to 8 bits
  python3 -m deblur_twin.mimo_unet_reference forward CKPT [--plus] < {"input": path, "shape": [N, H, W, 3]}
      prints the three outputs (¼, ½, full; NHWC) of a float32 input, padded and cropped as above
"""
import argparse
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv(nn.Module):
    """Conv (or transposed conv) with bias, then an optional ReLU, inside `.main`."""

    def __init__(self, cin, cout, kernel_size, stride, relu=True, transpose=False):
        super().__init__()
        if transpose:
            layers = [nn.ConvTranspose2d(cin, cout, kernel_size, stride=stride, padding=kernel_size // 2 - 1)]
        else:
            layers = [nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=kernel_size // 2)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.main = nn.Sequential(BasicConv(c, c, 3, 1, relu=True), BasicConv(c, c, 3, 1, relu=False))

    def forward(self, x):
        return self.main(x) + x


class ResGroup(nn.Module):
    """EBlock / DBlock: N ResBlocks in `.layers`."""

    def __init__(self, c, n):
        super().__init__()
        self.layers = nn.Sequential(*[ResBlock(c) for _ in range(n)])

    def forward(self, x):
        return self.layers(x)


class AFF(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Sequential(BasicConv(cin, cout, 1, 1, relu=True), BasicConv(cout, cout, 3, 1, relu=False))

    def forward(self, x1, x2, x4):
        return self.conv(torch.cat([x1, x2, x4], dim=1))


class SCM(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.main = nn.Sequential(
            BasicConv(3, planes // 4, 3, 1),
            BasicConv(planes // 4, planes // 2, 1, 1),
            BasicConv(planes // 2, planes // 2, 3, 1),
            BasicConv(planes // 2, planes - 3, 1, 1),
        )
        self.conv = BasicConv(planes, planes, 1, 1, relu=False)

    def forward(self, x):
        return self.conv(torch.cat([x, self.main(x)], dim=1))


class FAM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.merge = BasicConv(c, c, 3, 1, relu=False)

    def forward(self, x1, x2):
        return x1 + self.merge(x1 * x2)


class MIMOUNet(nn.Module):
    """num_res 8: MIMO-UNet (6,807,171 parameters at C = 32); 20 with plus=True: MIMO-UNet+ (16,107,651)."""

    def __init__(self, num_res=8, base=32, plus=False):
        super().__init__()
        c = base
        self.Encoder = nn.ModuleList([ResGroup(c, num_res), ResGroup(2 * c, num_res), ResGroup(4 * c, num_res)])
        self.feat_extract = nn.ModuleList([
            BasicConv(3, c, 3, 1),
            BasicConv(c, 2 * c, 3, 2),
            BasicConv(2 * c, 4 * c, 3, 2),
            BasicConv(4 * c, 2 * c, 4, 2, transpose=True),
            BasicConv(2 * c, c, 4, 2, transpose=True),
            BasicConv(c, 3, 3, 1, relu=False),
        ])
        self.Decoder = nn.ModuleList([ResGroup(4 * c, num_res), ResGroup(2 * c, num_res), ResGroup(c, num_res)])
        self.Convs = nn.ModuleList([BasicConv(4 * c, 2 * c, 1, 1), BasicConv(2 * c, c, 1, 1)])
        self.ConvsOut = nn.ModuleList([BasicConv(4 * c, 3, 3, 1, relu=False), BasicConv(2 * c, 3, 3, 1, relu=False)])
        self.AFFs = nn.ModuleList([AFF(7 * c, c), AFF(7 * c, 2 * c)])
        self.FAM1 = FAM(4 * c)
        self.SCM1 = SCM(4 * c)
        self.FAM2 = FAM(2 * c)
        self.SCM2 = SCM(2 * c)
        # MIMO-UNet+ drops skip channels while training (no parameters; identity in eval mode).
        self.drop1 = nn.Dropout2d(0.1) if plus else nn.Identity()
        self.drop2 = nn.Dropout2d(0.1) if plus else nn.Identity()

    def forward(self, x):
        x_2 = F.interpolate(x, scale_factor=0.5)
        x_4 = F.interpolate(x_2, scale_factor=0.5)
        z2 = self.SCM2(x_2)
        z4 = self.SCM1(x_4)
        res1 = self.Encoder[0](self.feat_extract[0](x))
        z = self.FAM2(self.feat_extract[1](res1), z2)
        res2 = self.Encoder[1](z)
        z = self.FAM1(self.feat_extract[2](res2), z4)
        z = self.Encoder[2](z)
        z12 = F.interpolate(res1, scale_factor=0.5)
        z21 = F.interpolate(res2, scale_factor=2)
        z42 = F.interpolate(z, scale_factor=2)
        z41 = F.interpolate(z42, scale_factor=2)
        res2 = self.drop2(self.AFFs[1](z12, res2, z42))
        res1 = self.drop1(self.AFFs[0](res1, z21, z41))
        z = self.Decoder[0](z)
        out4 = self.ConvsOut[0](z) + x_4
        z = self.Convs[0](torch.cat([self.feat_extract[3](z), res2], dim=1))
        z = self.Decoder[1](z)
        out2 = self.ConvsOut[1](z) + x_2
        z = self.Convs[1](torch.cat([self.feat_extract[4](z), res1], dim=1))
        z = self.Decoder[2](z)
        return [out4, out2, self.feat_extract[5](z) + x]


def build(args):
    return MIMOUNet(num_res=20 if args.plus else 8, base=args.channels, plus=args.plus)


def load(args):
    net = build(args)
    state = torch.load(args.ckpt, map_location="cpu")
    net.load_state_dict(state["model"] if "model" in state else state)
    return net.eval()


def run_padded(net, nhwc):
    """The lab's restore(): mirror-pad bottom/right ('symmetric': the edge pixel repeats) to a multiple of 4, run, crop."""
    n, h, w, _ = nhwc.shape
    ph, pw = (-h) % 4, (-w) % 4
    padded = np.pad(nhwc, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="symmetric")
    with torch.no_grad():
        outs = net(torch.from_numpy(np.ascontiguousarray(padded.transpose(0, 3, 1, 2))))
    sizes = [(-(-h // 4), -(-w // 4)), (-(-h // 2), -(-w // 2)), (h, w)]
    return [o.permute(0, 2, 3, 1).numpy()[:, :sh, :sw] for o, (sh, sw) in zip(outs, sizes)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["make", "run", "forward"])
    p.add_argument("ckpt")
    p.add_argument("paths", nargs="*")
    p.add_argument("--plus", action="store_true")
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--legacy", action="store_true", help="torch's pre-1.6 file format, as older releases were saved")
    args = p.parse_args()
    if args.command == "make":
        torch.manual_seed(args.seed)
        net = build(args)
        torch.save({"model": net.state_dict()}, args.ckpt, _use_new_zipfile_serialization=not args.legacy)
        print(json.dumps({"params": sum(t.numel() for t in net.parameters())}))
    elif args.command == "run":
        from PIL import Image

        net = load(args)
        img = np.asarray(Image.open(args.paths[0]).convert("RGB"), dtype=np.float32) / 255
        out = run_padded(net, img[None])[2][0]
        Image.fromarray(np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)).save(args.paths[1])
    else:
        net = load(args)
        spec = json.load(sys.stdin)
        x = np.fromfile(spec["input"], dtype="<f4").reshape(spec["shape"])
        print(json.dumps({"outputs": [o.ravel().tolist() for o in run_padded(net, x)]}))


if __name__ == "__main__":
    main()
