#!/usr/bin/python3
"""Writes Fashion-MNIST (Debian's dataset-fashion-mnist) as an image folder, the layout the
`folder` dataset reads: OUT/train/<class>/<i>.png and OUT/val/<class>/<i>.png (JPEG with --jpeg).
Usage: fashion_to_folder.py OUT [--train N] [--test N] [--jpeg]"""
import argparse
import gzip
import os

from PIL import Image

SRC = "/usr/share/datasets/fashion-mnist"
CLASSES = ["0_tshirt", "1_trouser", "2_pullover", "3_dress", "4_coat",
           "5_sandal", "6_shirt", "7_sneaker", "8_bag", "9_boot"]


def idx(name):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        return f.read()


def write(out, split, images, labels, n, jpeg):
    for c in CLASSES:
        os.makedirs(os.path.join(out, split, c), exist_ok=True)
    count = min(n, labels.__len__() - 8) if n > 0 else len(labels) - 8
    for i in range(count):
        img = Image.frombytes("L", (28, 28), images[16 + i * 784:16 + (i + 1) * 784])
        path = os.path.join(out, split, CLASSES[labels[8 + i]], f"{i}.{'jpg' if jpeg else 'png'}")
        img.save(path, quality=95) if jpeg else img.save(path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--train", type=int, default=0, help="first N training images (0 = all)")
    p.add_argument("--test", type=int, default=0, help="first N test images (0 = all)")
    p.add_argument("--jpeg", action="store_true", help="JPEG (quality 95) instead of PNG")
    a = p.parse_args()
    write(a.out, "train", idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz"),
          a.train, a.jpeg)
    write(a.out, "val", idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz"),
          a.test, a.jpeg)


if __name__ == "__main__":
    main()
