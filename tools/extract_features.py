# Copyright (c) vireid contributors. All rights reserved.
"""Write the features of a data set's images for
``tools/evaluate_features.py --features``.

Example::

    python tools/extract_features.py projects/agw/demo.py \\
        work_dirs/demo/epoch_6.pth --trust-checkpoint \\
        --dataset sysu --root data/synthetic/SYSU-MM01 --out feats.npz
    python tools/evaluate_features.py --dataset sysu \\
        --root data/synthetic/SYSU-MM01 --features feats.npz

The features are those the config's test metric evaluates
(:func:`vireid.apis.extract_features`: the test pipeline, flip-TTA as the
model is configured, the metric's ``feature`` entry). ``feats.npz`` holds
``paths`` (relative to ``--root``), ``feats`` (float32, one row per path),
``pids``, ``camids`` and ``modalities``.
"""
import argparse
import os
import os.path as osp
import sys
import time

_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if osp.join(_ROOT, 'plugins') not in sys.path:
    sys.path.insert(1, osp.join(_ROOT, 'plugins'))

DATASETS = dict(sysu='SYSUMM01Dataset', regdb='RegDBDataset',
                llcm='LLCMDataset')


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Write image features (npz) for evaluate_features.py')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--dataset', required=True, choices=sorted(DATASETS))
    parser.add_argument('--root', required=True, help='data set root')
    parser.add_argument('--out', required=True, metavar='F.npz')
    parser.add_argument(
        '--split', choices=['test', 'train', 'all'], default='test',
        help='images to encode: the test split (default), the train split '
        'or both (evaluate_features.py ignores the extra ones)')
    parser.add_argument('--trial', type=int, default=1,
                        help='RegDB split trial, 1..10 (default: 1)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle the checkpoint in full (a file your own training '
        'run wrote); otherwise it is loaded weights-only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args(argv)


def dataset_items(name: str, root: str, split: str, trial: int = 1) -> list:
    """The data items (``img_path``, ``rel_path``, ``pid``, ...) of a split.

    Args:
        name (str): ``'sysu'``, ``'regdb'`` or ``'llcm'``.
        root (str): The data set root.
        split (str): ``'test'``, ``'train'`` or ``'all'``.
        trial (int): RegDB's split trial.

    Returns:
        list[dict]: The items, test split first for ``'all'``.
    """
    from vireid.registry import DATASETS as REGISTRY
    splits = ('test', 'train') if split == 'all' else (split, )
    items, seen = [], set()
    for s in splits:
        cfg = dict(type=DATASETS[name], data_root=root, split=s,
                   pipeline=[], serialize_data=False)
        if name == 'regdb':
            cfg['trial'] = trial
        ds = REGISTRY.build(cfg)
        for i in range(len(ds)):
            it = ds.get_data_info(i)
            if it['rel_path'] not in seen:
                seen.add(it['rel_path'])
                items.append(it)
    return items


def main(argv=None) -> dict:
    """Extract and save; returns the saved arrays."""
    import numpy as np

    from vireid.apis import extract_features, init_model
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, device=args.device,
                       cfg_options=args.cfg_options,
                       trust_checkpoint=args.trust_checkpoint)
    items = dataset_items(args.dataset, args.root, args.split, args.trial)
    t0 = time.time()
    feats = extract_features(model, [it['img_path'] for it in items],
                             [int(it['modality']) for it in items],
                             batch_size=args.batch_size)
    out = dict(
        paths=np.array([it['rel_path'] for it in items], dtype=str),
        feats=feats.astype(np.float32),
        pids=np.array([it['pid'] for it in items], dtype=np.int64),
        camids=np.array([it['camid'] for it in items], dtype=np.int64),
        modalities=np.array([it['modality'] for it in items],
                            dtype=np.int64))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    np.savez(args.out, **out)
    print(f'{args.out}: {feats.shape[0]} features of dimension '
          f'{feats.shape[1]} ({args.dataset} {args.split} split) in '
          f'{time.time() - t0:.1f} s')
    return out


if __name__ == '__main__':
    main()
