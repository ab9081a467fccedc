# Copyright (c) vireid contributors. All rights reserved.
"""Export a vireid checkpoint's test feature to ONNX.

Example::

    python tools/deployment/pytorch2onnx.py projects/agw/demo.py \\
        work_dirs/demo/epoch_6.pth --trust-checkpoint \\
        --out work_dirs/demo/model.onnx --verify

writes ``model.visible.onnx`` and ``model.infrared.onnx`` (one graph per
modality; ``--modality visible`` writes ``--out`` itself). Each graph takes
``image``: float32 ``N x 3 x H x W`` RGB in 0-255 (normalisation inside,
``N`` dynamic, ``H x W`` the config's test size) and returns ``feature``:
``N x C``, the feature the config's test metric evaluates (raw; flip-TTA
included when the model has ``flip_test=True``). Opset 17 (TorchScript
exporter). ``--verify`` runs onnxruntime on random inputs (a batch size
other than the traced one) and prints the max abs difference to PyTorch.
Needs ``pip install -e ".[onnx]"``.
"""
import argparse
import os.path as osp
import sys

_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if osp.join(_ROOT, 'plugins') not in sys.path:
    sys.path.insert(1, osp.join(_ROOT, 'plugins'))


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Export a vireid model to ONNX (one graph per modality)')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, metavar='MODEL.onnx')
    parser.add_argument(
        '--modality', choices=['both', 'visible', 'infrared'],
        default='both', help='graphs to export (default: both)')
    parser.add_argument('--opset', type=int, default=None,
                        help='ONNX opset (default: 17)')
    parser.add_argument('--verify', action='store_true',
                        help='compare onnxruntime with PyTorch on random '
                        'inputs and print the max abs difference')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='--verify fails above this difference')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle the checkpoint in full (a file your own training '
        'run wrote); otherwise it is loaded weights-only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Export (and verify); returns ``{modality: (path, diff or None)}``."""
    from vireid.apis import init_model
    from vireid.apis.deploy import (MODALITY_NAMES, OPSET, export_onnx,
                                    test_input_shape, verify_onnx)
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options,
                       trust_checkpoint=args.trust_checkpoint)
    mods = dict(both=(0, 1), visible=(0, ), infrared=(1, ))[args.modality]
    opset = args.opset or OPSET
    paths = export_onnx(model, args.out, mods, opset=opset)
    h, w = test_input_shape(model.cfg)
    result = {}
    for m, path in paths.items():
        diff = None
        line = (f'{MODALITY_NAMES[m]:8s} {path}  image N x 3 x {h} x {w} '
                f'(0-255 RGB) -> feature, opset {opset}')
        if args.verify:
            diff = verify_onnx(model, path, m)
            line += f'; onnxruntime vs PyTorch max abs diff {diff:.3g}'
        print(line)
        result[m] = (path, diff)
    if args.verify:
        worst = max(d for _, d in result.values())
        if worst > args.tolerance:
            raise SystemExit(f'--verify: max abs diff {worst:.3g} exceeds '
                             f'{args.tolerance:g}')
    return result


if __name__ == '__main__':
    main()
