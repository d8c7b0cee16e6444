#!/usr/bin/python3
"""Independent PyTorch reference for hybridnet's k-bit training (issue 12).

A plain PyTorch copy of hybridnet's CIFAR ResNet (pre-activation units BN -> quantizer -> conv,
1x1 conv shortcuts where the shape changes, FP stem and classifier) and of its quantizers, trained
the way `hybridnet train` trains (Adam, per-epoch cosine, batch 128, weight decay 1e-4, the same
Fashion-MNIST subset and normalisation). Quantizer variants are switches, so that a disagreement
between hybridnet and the papers can be traced to one choice:

  --input-ste identity|clipped   gradient of the k-bit input quantizer outside [-1, 1]
  --weight-alpha lsq|mean|mse    k-bit weight scale: least squares <W,Q>/<Q,Q> on the max|W| grid,
                                 mean |W|, or hybridnet's default mse grid (Lloyd's iterations)
  --alpha-grad                   let the gradient flow through alpha (XNOR-Net)
  --bn-reestimate N              recompute batch-norm statistics on N batches before evaluating
  --bn-one-batch                 ... on those images run as one batch (hybridnet's default)
  --kbit-input-gain G            initial gamma of the batch norms before k-bit input quantizers
                                 (hybridnet's default 1.5; 1 = its first version's)
  --plan FILE                    a hybridnet plan.json: per-layer bits and shortcut wiring (every
                                 1 or 2 convs), e.g. a pca hybrid's, instead of --bits everywhere

Prints one JSON line per epoch. Needs Debian's python3-torch; not part of the test suite.
"""
import argparse
import gzip
import json
import math
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load(subset, test_subset):
    def images(name, n):
        x = read_idx(f"{DATA}/{name}-images-idx3-ubyte.gz")[:n].float().div(255)
        return ((x - 0.2860) / 0.3530).unsqueeze(1)

    def labels(name, n):
        return read_idx(f"{DATA}/{name}-labels-idx1-ubyte.gz")[:n].long()

    return (images("train", subset), labels("train", subset), images("t10k", test_subset),
            labels("t10k", test_subset))


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).float() * 2 - 1

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x.abs() <= 1).float()


def qk_levels(x, k):
    n = 2 ** k - 1
    return 2 * (torch.floor(n * (x + 1) / 2 + 0.5) / n - 0.5)


class QkSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k, clipped):
        ctx.save_for_backward(x)
        ctx.clipped = clipped
        return qk_levels(x.clamp(-1, 1), k)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if ctx.clipped:
            g = g * (x.abs() <= 1).float()
        return g, None, None


class Opts:
    input_ste = "identity"
    weight_alpha = "lsq"
    alpha_grad = False


def quant_input(x, bits, o):
    if bits >= 32:
        return x
    if bits == 1:
        return SignSTE.apply(x)
    return QkSTE.apply(x, bits, o.input_ste == "clipped")


def quant_weight(w, bits, o):
    if bits >= 32:
        return w
    dims = tuple(range(1, w.dim()))
    if bits == 1:
        alpha = w.abs().mean(dims, keepdim=True)
        if not o.alpha_grad:
            alpha = alpha.detach()
        c = w.clamp(-1, 1)
        s = (w >= 0).float() * 2 - 1
        if o.alpha_grad:
            return alpha * (c + (s - c).detach())
        return c + (alpha * s - c).detach()
    wd = w.detach()
    scale = wd.abs().amax(dims, keepdim=True).clamp_min(1e-12)
    if o.weight_alpha == "mse":
        # hybridnet's kbit_weight_scale: from the grid optimal for Gaussian weights, 3 Lloyd steps.
        gauss = [0, 1.0, 1.872, 2.571, 3.151, 3.654, 4.110, 4.528, 4.922][min(bits, 8)]
        s = torch.minimum(gauss * wd.abs().mean(dims, keepdim=True), scale).clamp_min(1e-12)
        for _ in range(3):
            q = qk_levels((wd / s).clamp(-1, 1), bits)
            s = ((wd * q).sum(dims, keepdim=True) /
                 (q * q).sum(dims, keepdim=True).clamp_min(1e-24)).clamp_min(1e-12)
        scale = s
    q = qk_levels((wd / scale).clamp(-1, 1), bits)
    if o.weight_alpha in ("lsq", "mse"):
        alpha = (wd * q).sum(dims, keepdim=True) / (q * q).sum(dims, keepdim=True)
    else:
        alpha = wd.abs().mean(dims, keepdim=True)
    return w + (alpha * q - w).detach()


class Unit(nn.Module):
    """BN -> (ReLU | quantizer | identity) -> conv, hybridnet's pre-activation unit."""

    def __init__(self, cin, cout, k, stride, pad, bits, relu, bn=True, o=None):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin) if bn else None
        self.w = nn.Parameter(torch.empty(cout, cin, k, k))
        nn.init.kaiming_normal_(self.w, mode="fan_out", nonlinearity="relu")
        self.stride, self.pad, self.bits, self.relu, self.o = stride, pad, bits, relu, o

    def forward(self, x):
        if self.bn is not None:
            x = self.bn(x)
        if self.bits >= 32:
            x = F.relu(x) if self.relu else x
        else:
            x = quant_input(x, self.bits, self.o)
        return F.conv2d(x, quant_weight(self.w, self.bits, self.o), None, self.stride, self.pad)


class ResNet(nn.Module):
    """bits_of(name) gives a layer's bits by hybridnet's layer names; every: convs per shortcut."""

    def __init__(self, depth, bits_of, o, every=2, classes=10):
        super().__init__()
        n = (depth - 2) // 3
        self.stem = Unit(1, 16, 3, 1, 1, 32, relu=False, bn=False)
        self.blocks = nn.ModuleList()
        c = 16
        for s, out in enumerate([16, 32, 64]):
            for j in range(0, n, every):
                stride = 2 if s > 0 and j == 0 else 1
                name = f"layer{s + 1}.{j // every}."
                main = nn.ModuleList([Unit(c if u == 0 else out, out, 3, stride if u == 0 else 1,
                                           1, bits_of(name + f"conv{u + 1}"), True, o=o)
                                      for u in range(every)])
                sc = Unit(c, out, 1, stride, 0, bits_of(name + "shortcut"), False, o=o) \
                    if (stride != 1 or c != out) else None
                self.blocks.append(nn.ModuleDict({"main": main} | ({"sc": sc} if sc else {})))
                c = out
        self.fc_bn = nn.BatchNorm1d(c)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            y = x
            for u in b["main"]:
                y = u(y)
            x = y + (b["sc"](x) if "sc" in b else x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(F.relu(self.fc_bn(x)))


def evaluate(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 256):
            correct += (net(x[i:i + 256]).argmax(1) == y[i:i + 256]).sum().item()
    return correct / len(x)


def reestimate_bn(net, x, batches, batch, one_batch=False):
    """Recomputes every BN's running statistics with the current weights (cumulative average, or
    the statistics of all the images run as one batch)."""
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    with torch.no_grad():
        if one_batch:
            net(x[:batches * batch])
        else:
            for i in range(batches):
                net(x[i * batch:(i + 1) * batch])
    for m, mom in zip(bns, saved):
        m.momentum = mom


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--bits", type=int, default=1)
    p.add_argument("--subset", type=int, default=12000)
    p.add_argument("--test-subset", type=int, default=5000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--input-ste", default="identity", choices=["identity", "clipped"])
    p.add_argument("--weight-alpha", default="lsq", choices=["lsq", "mean", "mse"])
    p.add_argument("--alpha-grad", action="store_true")
    p.add_argument("--bn-reestimate", type=int, default=0)
    p.add_argument("--bn-one-batch", action="store_true")
    p.add_argument("--plan", default="")
    p.add_argument("--kbit-input-gain", type=float, default=1.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    o = Opts()
    o.input_ste, o.weight_alpha, o.alpha_grad = a.input_ste, a.weight_alpha, a.alpha_grad
    xtr, ytr, xte, yte = load(a.subset, a.test_subset)
    if a.plan:
        with open(a.plan) as f:
            plan = json.load(f)
        bits = {l["name"]: l["input_bits"] for l in plan["layers"]}
        assert all(l["input_bits"] == l["weight_bits"] and not l["fp_fraction"]
                   for l in plan["layers"]), "the reference needs equal bits, no FP filters"
        depth = int(plan["arch"].removeprefix("resnet"))
        net = ResNet(depth, lambda name: bits[name], o, plan["shortcut"]["every"])
    else:
        net = ResNet(a.depth, lambda name: a.bits, o)
    kunits = [m for m in net.modules()
              if isinstance(m, Unit) and 2 <= m.bits < 32 and m.bn is not None]
    with torch.no_grad():
        for m in kunits:
            m.bn.weight.fill_(a.kbit_input_gain)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=1e-4)
    g = torch.Generator().manual_seed(a.seed)
    for epoch in range(a.epochs):
        lr = 0.5 * a.lr * (1 + math.cos(math.pi * epoch / a.epochs))
        for group in opt.param_groups:
            group["lr"] = lr
        net.train()
        order = torch.randperm(len(xtr), generator=g)
        t0, loss_sum, seen = time.time(), 0.0, 0
        for i in range(0, len(xtr), 128):
            idx = order[i:i + 128]
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            seen += len(idx)
        acc_running = evaluate(net, xte, yte)
        rec = {"epoch": epoch + 1, "train_loss": round(loss_sum / seen, 4),
               "test_acc": round(acc_running, 4), "seconds": round(time.time() - t0, 1)}
        if a.bn_reestimate:
            reestimate_bn(net, xtr[order], a.bn_reestimate, 128, a.bn_one_batch)
            rec["test_acc_reestimated"] = round(evaluate(net, xte, yte), 4)
        if kunits:  # mean |gamma| of each k-bit unit's batch norm: does training move it?
            rec["kbit_gamma"] = [round(m.bn.weight.abs().mean().item(), 3) for m in kunits]
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
