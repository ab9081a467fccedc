# Copyright (c) vireid contributors. All rights reserved.
"""Write a pre-resized copy of a data set folder (AGW's pre-processing step,
as an option): every image resized once, everything else copied.

The copy keeps the layout and the file names, so a config only changes its
``data_root``; the training pipeline's ``ReIDResize`` then finds the images
already at its size and does nothing, and the data loader decodes small
files instead of full-size ones. Images are resized with PIL's antialiased
LANCZOS filter (AGW's ``pre_process_sysu.py``) or OpenCV's ``INTER_AREA``,
and written in their own format (JPEG at ``--quality``, lossless formats
as they are). Use it for training only: evaluate on the original images,
or on a copy at exactly the test pipeline's size.

Example::

    python tools/dataset_converters/preresize.py data/SYSU-MM01 \\
        data/SYSU-MM01-288x144 --size 288 144
    python tools/train.py projects/agw/config.py --cfg-options \\
        train_dataloader.dataset.data_root=data/SYSU-MM01-288x144
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='data set root (e.g. data/SYSU-MM01)')
    parser.add_argument('dst', help='output root (must not exist)')
    parser.add_argument('--size', type=int, nargs=2, required=True,
                        metavar=('H', 'W'))
    parser.add_argument('--backend', choices=['pillow', 'cv2'],
                        default='pillow')
    parser.add_argument('--quality', type=int, default=95,
                        help='JPEG quality (default 95)')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if any(s <= 0 for s in args.size):
        parser.error(f'--size must be two positive integers, got '
                     f'{args.size}')
    if not 1 <= args.quality <= 100:
        parser.error(f'--quality must be in 1..100, got {args.quality}')
    if not osp.isdir(args.src):
        parser.error(f'{args.src} is not a folder')
    if osp.exists(args.dst):
        parser.error(f'{args.dst} exists; choose a new folder')
    return args


def _resize_one(job) -> None:
    src, dst, (h, w), backend, quality = job
    ext = osp.splitext(src)[1].lower()
    if backend == 'pillow':
        from PIL import Image
        with Image.open(src) as img:
            img = img.convert('RGB').resize((w, h), Image.LANCZOS)
            kw = dict(quality=quality) if ext in ('.jpg', '.jpeg') else {}
            img.save(dst, **kw)
    else:
        import cv2
        img = cv2.imread(src, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'cannot decode image file {src}')
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        params = ([cv2.IMWRITE_JPEG_QUALITY, quality]
                  if ext in ('.jpg', '.jpeg') else [])
        if not cv2.imwrite(dst, img, params):
            raise OSError(f'cannot write {dst}')


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = args.dst.rstrip('/') + '.partial'
    if osp.exists(tmp):
        shutil.rmtree(tmp)
    jobs = []
    for root, _, files in os.walk(args.src):
        rel = osp.relpath(root, args.src)
        os.makedirs(osp.join(tmp, rel), exist_ok=True)
        for name in files:
            src, dst = osp.join(root, name), osp.join(tmp, rel, name)
            if name.lower().endswith(IMAGE_EXTS):
                jobs.append((src, dst, tuple(args.size), args.backend,
                             args.quality))
            else:
                shutil.copy2(src, dst)
    if args.workers <= 1:
        for job in jobs:
            _resize_one(job)
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(_resize_one, jobs, chunksize=64))
    os.replace(tmp, args.dst)  # nothing half-written under dst
    print(f'wrote {len(jobs)} images at {args.size[0]}x{args.size[1]} to '
          f'{args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
