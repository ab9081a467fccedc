# Copyright (c) vireid contributors. All rights reserved.
"""Draw one CAJ training batch: original, channel-exchanged copy, infrared.

Builds the training data of a CAJ config (its pipeline with
``ModalityViews``, its sampler and ``multiview_collate``), takes the first
batch and writes a picture with three rows, ``[V; V_ce; I]`` as the model
sees them, each image labelled with its training label. Normalised images
are mapped back to pixels with the ImageNet mean / std for display (the
erased rectangles show CAJ's fill). Example::

    python tools/analysis_tools/caj_batch_vis.py projects/agw/demo_caj.py \\
        docs/caj_batch.png --num-ids 4 --num-instances 2
"""
import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(ROOT, 'plugins'), ROOT]

ROW_NAMES = {
    (0, 0): 'visible (original)',
    (0, 1): 'visible, channel-exchanged',
    (1, 0): 'infrared'
}


def first_batch(config: str, num_ids: int, num_instances: int,
                data_root: str = None, seed: int = 0) -> dict:
    """The first collated training batch of ``config``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from vireid.datasets.transforms import multiview_collate
    from vireid.registry import DATA_SAMPLERS, DATASETS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'vireid'))
    ds_cfg = cfg.train_dataloader.dataset.copy()
    if data_root:
        ds_cfg.data_root = data_root
    dataset = DATASETS.build(ds_cfg)
    s_cfg = cfg.train_dataloader.sampler.copy()
    s_cfg.update(num_ids=num_ids, num_instances=num_instances, seed=seed,
                 dataset=dataset)
    sampler = DATA_SAMPLERS.build(s_cfg)
    indices = list(iter(sampler))[:sampler.batch_size]
    return multiview_collate([dataset[i] for i in indices])


def to_pixels(img, sample):
    """CHW tensor (uint8, or normalised float) -> HWC uint8 array."""
    import numpy as np
    x = img.numpy().transpose(1, 2, 0)
    cfg = sample.metainfo.get('img_norm_cfg')
    if cfg is not None:
        x = x * np.asarray(cfg['std']) + np.asarray(cfg['mean'])
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def draw(batch: dict, out_png: str, title: str = '') -> str:
    """Save the batch as a grid, one row per (modality, view) group."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    groups = {}
    for img, ds in zip(batch['inputs'], batch['data_samples']):
        key = (int(ds.metainfo['modality']), int(ds.metainfo.get('view', 0)))
        groups.setdefault(key, []).append((img, ds))
    keys = sorted(groups)
    cols = max(len(v) for v in groups.values())
    fig, axes = plt.subplots(len(keys), cols, squeeze=False,
                             figsize=(0.9 * cols + 1.2, 2.1 * len(keys)))
    for r, key in enumerate(keys):
        for c in range(cols):
            ax = axes[r][c]
            ax.axis('off')
            if c >= len(groups[key]):
                continue
            img, ds = groups[key][c]
            ax.imshow(to_pixels(img, ds))
            ax.set_title(f'y={int(ds.gt_label.item())}', fontsize=8)
        axes[r][0].text(-0.15, 0.5, ROW_NAMES.get(key, str(key)),
                        transform=axes[r][0].transAxes, rotation=90,
                        va='center', ha='right', fontsize=8)
    n = len(batch['inputs'])
    fig.suptitle(title or f'one CAJ training batch: {n} images '
                 f'[V; V_ce; I], labels y', fontsize=9)
    fig.text(0.5, 0.005, 'normalised images shown with the ImageNet mean/std '
             'undone: the exchanged copy has three equal NORMALISED channels '
             '(CAJ), which look tinted as pixels', ha='center', fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    os.makedirs(osp.dirname(osp.abspath(out_png)), exist_ok=True)
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a CAJ config (ModalityViews)')
    parser.add_argument('out', help='output PNG')
    parser.add_argument('--num-ids', type=int, default=4)
    parser.add_argument('--num-instances', type=int, default=2)
    parser.add_argument('--data-root', default=None)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    batch = first_batch(args.config, args.num_ids, args.num_instances,
                        args.data_root, args.seed)
    print(draw(batch, args.out))


if __name__ == '__main__':
    main()
