# Copyright (c) vireid contributors. All rights reserved.
"""Decode + augment throughput of the shipped training pipelines, per worker.

Every pipeline runs in this one process (= one data-loader worker) over the
same synthetic JPEG files of ``--src-size`` through the real data set class
(``SYSUMM01Dataset`` with the config's ``train_pipeline``, per-draw seeded
augmentation as in training), and is compared with two references measured
in the same run:

* ``agw-as-run``: the official AGW loader as it runs: images pre-resized to
  288x144 **arrays in memory** (AGW's ``pre_process_sysu.py`` step), then
  torchvision ``ToPILImage -> Pad(10) -> RandomCrop -> RandomHorizontalFlip
  -> ToTensor -> Normalize``;
* ``torchvision-PIL``: the same with the decode and the antialiased PIL
  resize from the JPEG file (what AGW would cost without its cache).

vireid normalises on the device (the data preprocessor), so its per-item
output is a uint8 tensor; the references normalise per item, as AGW does.
With ``--src-size`` other than 288x144, the first pipeline is also timed
on a pre-resized copy of the files (``tools/dataset_converters/preresize.py``,
AGW's pre-processing as an option). Printed: img/s (median of
``--repeats``), the ratio to ``torchvision-PIL`` and the img/s per worker that
3,000 img/s with 12 workers needs (250).

Usage::

    python benchmarks/pipeline_speed.py [--num 300] [--repeats 3]
        [--src-size 288 144] [--configs CFG ...]
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile
import time

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [p for p in (_ROOT, osp.join(_ROOT, 'plugins'))
                if p not in sys.path]

#: (name, config) of every shipped training pipeline
CONFIGS = [
    ('AGW sysu', 'projects/agw/config.py'),
    ('CAJ sysu', 'projects/agw/caj_config.py'),
    ('ICRE sysu', 'projects/icre/config.py'),
    ('ICRE llcm (DEEN)', 'projects/icre/configs/icre_r50_1xb48-151e_llcm.py'),
    ('IDKL sysu (384x144)',
     'projects/idkl/configs/idkl-code_r50_1xb120-160e_sysu.py'),
    ('MTRL sysu', 'projects/mtrl/configs/mtrl_r50_1xb96-100e_sysu.py'),
]
TARGET_TOTAL, TARGET_WORKERS = 3000, 12


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=300,
                        help='items per timed pass')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--src-size', type=int, nargs=2, default=(288, 144),
                        metavar=('H', 'W'), help='size of the JPEG files')
    parser.add_argument('--configs', nargs='+', default=None,
                        help='configs to time (default: every shipped '
                        'training pipeline)')
    return parser.parse_args(argv)


def make_tree(root: str, src_size) -> str:
    from vireid.datasets import make_synthetic_sysu
    sysu = osp.join(root, 'SYSU-MM01')
    make_synthetic_sysu(sysu, num_train_ids=12, num_test_ids=2,
                        img_size=tuple(src_size), images_per_cam=(4, 6),
                        seed=0)
    return sysu


def time_passes(fn, num: int, repeats: int) -> float:
    """Median img/s of ``repeats`` passes of ``fn(i)`` for i < num."""
    fn(0)  # warm up (imports, caches)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(num):
            fn(i)
        rates.append(num / (time.perf_counter() - t0))
    return statistics.median(rates), min(rates)


def vireid_item_fn(config: str, sysu: str):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from vireid.datasets import SYSUMM01Dataset
    from vireid.datasets.samplers import SeededIndex
    init_default_scope('vireid')
    cfg = Config.fromfile(osp.join(_ROOT, config))
    pipeline = cfg.train_dataloader.dataset.pipeline
    ds = SYSUMM01Dataset(sysu, split='train', pipeline=pipeline)
    n = len(ds)
    return lambda i: ds[SeededIndex(i % n, 1000 + i)]


def reference_fns(sysu: str):
    import numpy as np
    import torchvision.transforms as T
    from PIL import Image

    from vireid.datasets import SYSUMM01Dataset
    ds = SYSUMM01Dataset(sysu, split='train', pipeline=[])
    paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    norm = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train = T.Compose([T.ToPILImage(), T.Pad(10), T.RandomCrop((288, 144)),
                       T.RandomHorizontalFlip(), T.ToTensor(), norm])
    cache = [np.asarray(Image.open(p).convert('RGB').resize(
        (144, 288), Image.LANCZOS)) for p in paths]

    def as_run(i):
        return train(cache[i % len(cache)])

    def from_file(i):
        img = Image.open(paths[i % len(paths)]).convert('RGB')
        return train(np.asarray(img.resize((144, 288), Image.LANCZOS)))

    return [('agw-as-run (pre-resized arrays)', as_run),
            ('torchvision-PIL (decode + resize)', from_file)]


def main(argv=None):
    args = parse_args(argv)
    import torch
    torch.set_num_threads(1)  # one worker = one core
    configs = ([(c, c) for c in args.configs] if args.configs else
               [(n, c) for n, c in CONFIGS if osp.isfile(osp.join(_ROOT, c))])
    per_worker = TARGET_TOTAL / TARGET_WORKERS
    with tempfile.TemporaryDirectory() as tmp:
        sysu = make_tree(tmp, args.src_size)
        rows = []
        for name, fn in reference_fns(sysu):
            rows.append((name, *time_passes(fn, args.num, args.repeats)))
        ref = rows[-1][1]
        for name, config in configs:
            fn = vireid_item_fn(config, sysu)
            rows.append((f'vireid {name}',
                         *time_passes(fn, args.num, args.repeats)))
        if tuple(args.src_size) != (288, 144) and configs:
            # the same first pipeline from a pre-resized copy of the tree
            import importlib.util
            spec = importlib.util.spec_from_file_location(
                'preresize',
                osp.join(_ROOT, 'tools/dataset_converters/preresize.py'))
            tool = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(tool)
            small = osp.join(tmp, 'SYSU-MM01-288x144')
            tool.main([sysu, small, '--size', '288', '144', '--workers',
                       '1'])
            name, config = configs[0]
            fn = vireid_item_fn(config, small)
            rows.append((f'vireid {name}, pre-resized copy',
                         *time_passes(fn, args.num, args.repeats)))
    print(f'\nsource JPEGs {args.src_size[0]}x{args.src_size[1]}, output '
          f'288x144-class inputs, one process, torch threads 1, '
          f'{args.num} items x {args.repeats} passes')
    print(f'{"pipeline":48s} {"img/s med":>10s} {"min":>8s} '
          f'{"vs tv-PIL":>9s} {"vs need":>8s}')
    for name, med, low in rows:
        print(f'{name:48s} {med:10.0f} {low:8.0f} {med / ref:9.2f} '
              f'{med / per_worker:8.2f}')
    print(f'need: {per_worker:.0f} img/s per worker for {TARGET_TOTAL} img/s '
          f'with {TARGET_WORKERS} workers')
    return rows


if __name__ == '__main__':
    main()
