"""The PyTorch twin of deblur-lab's network (src/model/*.ts), for the speed benchmark's peer.

Built from the same NetConfig JSON the TypeScript model stores in its metadata, module by module,
with every layer named as the TypeScript layer is (`em2_b3_y4`, `dffm1_fc2`, ...), so that:
  - parameter counts can be compared layer by layer (`--params`), and
  - weights saved by tfjs load here (`load_tfjs_weights`), which lets a test check that both
    networks compute the same function, not only that they have the same size.

A config's `resampling` (src/model/config.ts; absent: the lab's) chooses box or nearest
downscaling of the input pyramid and of the skips, and tfjs's or PyTorch's stride-2 padding.

Layout differences handled here, not in the network's maths:
  - tfjs is NHWC, PyTorch NCHW; kernels are permuted on load.
  - tfjs 'same' padding of a stride-2 3x3 conv on an even size pads 0 before and 1 after
    (PyTorch's padding=1 would pad 1 on both sides and shift the grid), so that conv pads
    explicitly.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """The three-scale coarse-to-fine network: B1 [N, 3, H, W] -> [S3, S2, S1]."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.resampling = {**LAB_RESAMPLING, **cfg.get("resampling", {})}
        self.layers = nn.ModuleDict()
        c = cfg["channels"]
        # Build order follows the TypeScript build so that the layer list reads the same.
        self._conv("em1_in", 3, c, 3)
        self._group("em1", c)
        self._conv("em2_down", c, 2 * c, 3)
        self._scm("scm2", 2 * c)
        self._fam("fam2", 2 * c)
        self._group("em2", 2 * c)
        self._conv("em3_down", 2 * c, 4 * c, 3)
        self._scm("scm3", 4 * c)
        self._fam("fam3", 4 * c)
        self._group("em3", 4 * c)
        self._group("dm3", 4 * c)
        self._conv("dm3_out", 4 * c, 3, 3)
        self.layers["dm3_up"] = nn.ConvTranspose2d(4 * c, 2 * c, 4, stride=2, padding=1)
        self._skip(2, 2 * c)
        self._conv("dm2_in", 4 * c, 2 * c, 1)
        self._group("dm2", 2 * c)
        self._conv("dm2_out", 2 * c, 3, 3)
        self.layers["dm2_up"] = nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1)
        self._skip(1, c)
        self._conv("dm1_in", 2 * c, c, 1)
        self._group("dm1", c)
        self._conv("dm1_out", c, 3, 3)

    # ---- building ------------------------------------------------------------------------------

    def _conv(self, name, cin, cout, k):
        self.layers[name] = nn.Conv2d(cin, cout, k, padding=k // 2)

    def _dense(self, name, cin, cout):
        self.layers[name] = nn.Linear(cin, cout)

    def _ca(self, name, c, reduction, min_hidden):
        hidden = ca_hidden_width(c, reduction, min_hidden)
        self._dense(f"{name}_down", c, hidden)
        self._dense(f"{name}_up", hidden, c)

    def _group(self, name, c):
        cfg = self.cfg
        for i in range(1, cfg["blocks"] + 1):
            n = f"{name}_b{i}"
            if cfg["block"] == "msrm":
                p = c // 4
                self.layers[f"{n}_dw"] = nn.Conv2d(c, c, 3, padding=1, groups=c)
                for k in range(1, 5):
                    self._conv(f"{n}_pw{k}", c, p, 1)
                    self._conv(f"{n}_y{k}", p, p, 3)
                self._conv(f"{n}_fuse", c, c, 1)
                self._ca(f"{n}_ca", c, cfg["msrm"]["caReduction"], cfg["msrm"]["caMinHidden"])
            elif cfg["block"] == "res2net":
                s = cfg["res2net"]["scale"]
                w = c // s
                for k in range(1, s + 1):
                    self._conv(f"{n}_pw{k}", c, w, 1)
                    if k > 1:
                        self._conv(f"{n}_y{k}", w, w, 3)
                self._conv(f"{n}_fuse", c, c, 1)
                self._ca(f"{n}_se", c, cfg["res2net"]["seReduction"], cfg["msrm"]["caMinHidden"])
            else:
                self._conv(f"{n}_conv1", c, c, 3)
                self._conv(f"{n}_conv2", c, c, 3)

    def _scm(self, name, planes):
        self._conv(f"{name}_conv1", 3, planes // 4, 3)
        self._conv(f"{name}_conv2", planes // 4, planes // 2, 1)
        self._conv(f"{name}_conv3", planes // 2, planes // 2, 3)
        self._conv(f"{name}_conv4", planes // 2, planes - 3, 1)
        self._conv(f"{name}_out", planes, planes, 1)

    def _fam(self, name, c):
        self._conv(f"{name}_merge", c, c, 3)

    def _skip(self, level, c):
        skip = self.cfg["skip"]
        widths = [self.cfg["channels"] * 2**i for i in range(3)]
        if skip == "dffm":
            name = f"dffm{level}"
            for i, w in enumerate(widths):
                self._conv(f"{name}_x{i + 1}_conv", w, c, 1)
            d = self.cfg["dffm"]
            hidden = max(c // d["reduction"], d["minHidden"])
            self._dense(f"{name}_fc1", c, hidden)
            self._dense(f"{name}_fc2", hidden, 3 * c)
            self._conv(f"{name}_out", 3 * c, c, 1)
        elif skip == "aff":
            name = f"aff{level}"
            self._conv(f"{name}_conv1", sum(widths), c, 1)
            self._conv(f"{name}_conv2", c, c, 3)

    # ---- running -------------------------------------------------------------------------------

    def conv(self, name, x, relu=False):
        y = self.layers[name](x)
        return F.relu(y) if relu else y

    def down_conv(self, name, x):
        layer = self.layers[name]
        if self.resampling["stridePadding"] == "symmetric":
            return F.relu(F.conv2d(x, layer.weight, layer.bias, stride=2, padding=1))
        # tfjs 'same' at stride 2: on an even size 0 rows/cols before, 1 after; on an odd one 1 and 1.
        pad_h = 0 if x.shape[2] % 2 == 0 else 1
        pad_w = 0 if x.shape[3] % 2 == 0 else 1
        return F.relu(F.conv2d(F.pad(x, (pad_w, 1, pad_h, 1)), layer.weight, layer.bias, stride=2))

    def downscale(self, x, factor, mode):
        if mode == "nearest":
            return F.interpolate(x, scale_factor=1 / factor, mode="nearest")
        return F.avg_pool2d(x, factor)

    def ca(self, name, x):
        pooled = x.mean(dim=(2, 3))
        scale = torch.sigmoid(self.layers[f"{name}_up"](F.relu(self.layers[f"{name}_down"](pooled))))
        return x * scale[:, :, None, None]

    def block(self, n, x):
        cfg = self.cfg
        if cfg["block"] == "msrm":
            m = cfg["msrm"]
            dw = self.layers[f"{n}_dw"](x)
            ys = []
            for k in range(1, 5):
                xk = self.conv(f"{n}_pw{k}", dw, m["reluAfterSeparable"])
                inp = xk if k == 1 else xk + ys[-1]
                ys.append(self.conv(f"{n}_y{k}", inp, m["reluAfterBranches"]))
            fused = self.conv(f"{n}_fuse", torch.cat(ys, 1))
            return self.ca(f"{n}_ca", fused) + x
        if cfg["block"] == "res2net":
            s = cfg["res2net"]["scale"]
            ys = []
            for k in range(1, s + 1):
                xk = self.conv(f"{n}_pw{k}", x, True)
                if k == 1:
                    ys.append(xk)
                    continue
                inp = xk if k == 2 else xk + ys[-1]
                ys.append(self.conv(f"{n}_y{k}", inp, True))
            fused = self.conv(f"{n}_fuse", torch.cat(ys, 1))
            return self.ca(f"{n}_se", fused) + x
        a = self.conv(f"{n}_conv1", x, True)
        return self.conv(f"{n}_conv2", a) + x

    def group(self, name, x):
        for i in range(1, self.cfg["blocks"] + 1):
            x = self.block(f"{name}_b{i}", x)
        return x

    def scm(self, name, image):
        t = self.conv(f"{name}_conv1", image, True)
        t = self.conv(f"{name}_conv2", t, True)
        t = self.conv(f"{name}_conv3", t, True)
        t = self.conv(f"{name}_conv4", t, True)
        return self.conv(f"{name}_out", torch.cat([image, t], 1))

    def fam(self, name, x, z):
        return x + self.conv(f"{name}_merge", x * z)

    def resample(self, x, frm, to):
        if frm < to:
            return self.downscale(x, 2 ** (to - frm), self.resampling["skipDown"])
        if frm > to:
            return F.interpolate(x, scale_factor=2 ** (frm - to), mode="nearest")
        return x

    def skip(self, encoders, level):
        skip = self.cfg["skip"]
        if skip == "dffm":
            name = f"dffm{level}"
            xs = []
            for i, e in enumerate(encoders):
                frm = i + 1
                conv = self.layers[f"{name}_x{frm}_conv"]
                # The 1x1 conv runs at the lower resolution (it commutes with both resamplings).
                xs.append(self.resample(conv(e), frm, level) if frm > level else conv(self.resample(e, frm, level)))
            total = xs[0] + xs[1] + xs[2]
            hidden = F.relu(self.layers[f"{name}_fc1"](total.mean(dim=(2, 3))))
            c = total.shape[1]
            weights = torch.softmax(self.layers[f"{name}_fc2"](hidden).view(-1, c, 3), dim=-1)  # [N, C, 3]
            per_branch = weights.permute(0, 2, 1).reshape(-1, 3 * c)[:, :, None, None]
            return self.conv(f"{name}_out", torch.cat(xs, 1) * per_branch)
        if skip == "aff":
            name = f"aff{level}"
            xs = [self.resample(e, i + 1, level) for i, e in enumerate(encoders)]
            t = self.conv(f"{name}_conv1", torch.cat(xs, 1), True)
            return self.conv(f"{name}_conv2", t)
        return encoders[level - 1]

    def forward(self, b1):
        b2 = self.downscale(b1, 2, self.resampling["pyramid"])
        b3 = self.downscale(b2, 2, self.resampling["pyramid"])
        e1 = self.group("em1", self.conv("em1_in", b1, True))
        down2 = self.down_conv("em2_down", e1)
        e2 = self.group("em2", self.fam("fam2", down2, self.scm("scm2", b2)))
        down3 = self.down_conv("em3_down", e2)
        e3 = self.group("em3", self.fam("fam3", down3, self.scm("scm3", b3)))
        encoders = [e1, e2, e3]
        d3 = self.group("dm3", e3)
        s3 = self.conv("dm3_out", d3) + b3
        up2 = F.relu(self.layers["dm3_up"](d3))
        d2 = self.group("dm2", self.conv("dm2_in", torch.cat([up2, self.skip(encoders, 2)], 1), True))
        s2 = self.conv("dm2_out", d2) + b2
        up1 = F.relu(self.layers["dm2_up"](d2))
        d1 = self.group("dm1", self.conv("dm1_in", torch.cat([up1, self.skip(encoders, 1)], 1), True))
        s1 = self.conv("dm1_out", d1) + b1
        return [s3, s2, s1]


LAB_RESAMPLING = {"pyramid": "box", "skipDown": "box", "stridePadding": "same"}


def ca_hidden_width(channels, reduction, min_hidden):
    return min(channels, max(min_hidden, channels // reduction))


def count_params(net):
    return sum(p.numel() for p in net.parameters())


def pyramid(full):
    half = F.avg_pool2d(full, 2)
    return [F.avg_pool2d(half, 2), half, full]


def deblur_loss(outputs, targets, lam=0.1):
    """src/loss.ts: sum over scales of mean |S - R| + lam * mean |FFT(S - R)| (re and im stacked)."""
    content = 0.0
    freq = 0.0
    for s, r in zip(outputs, targets):
        diff = s - r
        content = content + diff.abs().mean()
        spec = torch.fft.fft2(diff)
        freq = freq + (spec.real.abs().sum() + spec.imag.abs().sum()) / (2 * diff.numel())
    return content + lam * freq


# ---- weights saved by tfjs ---------------------------------------------------------------------

def load_tfjs_weights(net, manifest_path, data_path):
    """Loads weights written by tests' exporter: a JSON list of {name, shape} and raw float32 data.

    Names are tfjs weight names, `<layer>/kernel`, `<layer>/bias`, `<layer>/depthwise_kernel`.
    """
    import numpy as np

    with open(manifest_path) as f:
        manifest = json.load(f)
    data = np.fromfile(data_path, dtype="<f4")
    offset = 0
    loaded = set()
    for entry in manifest:
        size = math.prod(entry["shape"])
        array = data[offset:offset + size].reshape(entry["shape"])
        offset += size
        layer_name, _, kind = entry["name"].rpartition("/")
        layer = net.layers[layer_name]
        if kind == "bias":
            target = layer.bias
            value = array
        elif kind == "depthwise_kernel":  # [kh, kw, C, 1] -> [C, 1, kh, kw]
            target = layer.weight
            value = array.transpose(2, 3, 0, 1)
        elif isinstance(layer, nn.Linear):  # [in, out] -> [out, in]
            target = layer.weight
            value = array.T
        elif isinstance(layer, nn.ConvTranspose2d):  # [kh, kw, out, in] -> [in, out, kh, kw]
            target = layer.weight
            value = array.transpose(3, 2, 0, 1)
        else:  # conv [kh, kw, in, out] -> [out, in, kh, kw]
            target = layer.weight
            value = array.transpose(3, 2, 0, 1)
        if tuple(target.shape) != value.shape:
            raise ValueError(f"{entry['name']}: tfjs {value.shape} vs torch {tuple(target.shape)}")
        with torch.no_grad():
            target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
        loaded.add(id(target))
    missing = [n for n, p in net.named_parameters() if id(p) not in loaded]
    if missing or offset != data.size:
        raise ValueError(f"weights do not cover the twin: missing {missing[:5]}, {data.size - offset} values left over")


def layer_params(net):
    """{layer name: parameter count}, for comparing with the TypeScript model layer by layer."""
    return {name: count_params(layer) for name, layer in net.layers.items()}


if __name__ == "__main__":
    # python3 -m deblur_twin.torch_twin '<NetConfig JSON>'  ->  {"params": ..., "layers": {...}}
    net = Net(json.loads(sys.argv[1]))
    print(json.dumps({"params": count_params(net), "layers": layer_params(net)}))
