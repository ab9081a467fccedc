# Copyright (c) vireid contributors. All rights reserved.
"""Draw MTRL's V / M / I triplets: visible, middle images, infrared.

For a few identities of a data set's train split, one visible and one
infrared image go through the train pipeline of an MTRL config (so the
visible image is cropped, flipped and erased as in training; the demo
has no erasing, so ``--erase-prob`` adds it) and the
middle images are made *by the model* (``MTRL.build_vmi``) with each
generator: grey, random channel (CAJ), and the 1x1 channel mixer at its
initialisation. Each row: V | M grey | M random channel | M mixer | I.

Example::

    python tools/analysis_tools/mtrl_triplets.py --out docs/mtrl_triplets.png
"""
import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [ROOT, osp.join(ROOT, 'plugins')]

GENERATORS = (('grey', dict(type='GrayscaleTransition')),
              ('random channel', dict(type='RandomChannelTransition')),
              ('1x1 mixer (init)', dict(type='ChannelMixerTransition')))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='projects/mtrl/demo.py')
    parser.add_argument('--data-root', default='data/synthetic/SYSU-MM01')
    parser.add_argument('--num-ids', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--scale', type=int, default=2,
                        help='pixel repetition of the drawing')
    parser.add_argument('--erase-prob', type=float, default=0.5,
                        help='add RandomErasing with this probability '
                        'before packing (0: the config\'s pipeline as is), '
                        'to show that M shares the erased rectangle')
    parser.add_argument('--out', default='docs/mtrl_triplets.png')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    import cv2
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from vireid.registry import DATASETS, MODELS
    init_default_scope('vireid')
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    ds_cfg = cfg.train_dataloader.dataset.to_dict()
    ds_cfg['data_root'] = args.data_root
    if args.erase_prob > 0:
        ds_cfg['pipeline'].insert(
            len(ds_cfg['pipeline']) - 1,
            dict(type='RandomErasing', prob=args.erase_prob))
    dataset = DATASETS.build(ds_cfg)
    info = dataset.get_sampling_info()
    labels, modality = info['gt_label'], info['modality']
    rng = np.random.default_rng(args.seed)
    ids = rng.choice(np.unique(labels), args.num_ids, replace=False)
    torch.manual_seed(args.seed)
    inputs, samples = [], []
    for y in ids:
        for m in (0, 1):
            idx = int(rng.choice(np.flatnonzero((labels == y) &
                                                (modality == m))))
            item = dataset[idx]
            inputs.append(item['inputs'])
            samples.append(item['data_samples'])
    columns = []
    for name, gen in GENERATORS:
        mcfg = cfg.model.to_dict()
        mcfg.update(generator=gen)
        model = MODELS.build(mcfg).train()
        data = model.data_preprocessor(dict(inputs=inputs,
                                            data_samples=samples), True)
        with torch.no_grad():
            images, _, groups = model.build_vmi(**data)
        pre = model.data_preprocessor
        pix = (images * pre.std + pre.mean).clamp(0, 255).round().byte()
        if not columns:
            columns.append(('V (augmented)', pix[groups == 0]))
        columns.append((f'M {name}', pix[groups == 2]))
    columns.append(('I', pix[groups == 1]))
    rows = []
    for r in range(len(ids)):
        tiles = [c[1][r].permute(1, 2, 0).numpy() for c in columns]
        rows.append(np.concatenate(
            [np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255)
             for t in tiles], axis=1))
    grid = np.concatenate(rows, axis=0)
    grid = np.repeat(np.repeat(grid, args.scale, 0), args.scale, 1)
    head = np.full((22, grid.shape[1], 3), 255, np.uint8)
    tile_w = grid.shape[1] // len(columns)
    for k, (title, _) in enumerate(columns):
        cv2.putText(head, title, (k * tile_w + 2, 15),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.3, (0, 0, 0), 1,
                    cv2.LINE_AA)
    grid = np.concatenate([head, grid], axis=0)
    out = osp.join(ROOT, args.out) if not osp.isabs(args.out) else args.out
    os.makedirs(osp.dirname(out), exist_ok=True)
    cv2.imwrite(out, cv2.cvtColor(grid, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'wrote {out} ({len(ids)} identities x {len(columns)} columns)')
    return out


if __name__ == '__main__':
    main()
