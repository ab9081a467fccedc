# Copyright (c) vireid contributors. All rights reserved.
"""Turn a training checkpoint into a weights-only release file.

The output holds only ``state_dict`` (tensors) and a small ``meta`` of
strings and numbers, so anyone can load it with ``torch.load(...,
weights_only=True)`` -- the way vireid loads every file that did not come
from the user's own runs. The file name gets the first 8 hex digits of its
SHA-256, OpenMMLab style.

Example::

    python tools/model_converters/publish_model.py \
        work_dirs/agw/epoch_120.pth release/agw_r50_sysu.pth
"""
import argparse
import hashlib
import os
import os.path as osp
import sys

sys.path[:0] = [osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'plugins')]


def _plain(value):
    """Keep only JSON-like values (str, int, float, bool, lists, dicts)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def publish(in_file: str, out_file: str, trust: bool = False) -> str:
    """Write a weights-only copy of ``in_file``.

    Args:
        in_file (str): A checkpoint written by a vireid/mmengine run.
        out_file (str): Output path; ``-<sha8>`` is inserted before ``.pth``.
        trust (bool): Unpickle ``in_file`` in full. Only for foreign legacy
            files from a trusted source; vireid's own checkpoints load
            weights-only (with mmengine's allow-list) and need no trust.

    Returns:
        str: The final output path.
    """
    import torch

    from vireid.utils.compat import safe_torch_load
    from vireid.utils.errors import CheckpointError
    ckpt = safe_torch_load(in_file, trusted=True if trust else None)
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'{in_file}: expected a checkpoint dict, got '
                              f'{type(ckpt).__name__}')
    state = ckpt.get('state_dict', ckpt)
    if not isinstance(state, dict) or not state:
        raise CheckpointError(f'{in_file}: holds no state_dict')
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f'{in_file}: state_dict holds non-tensor '
                              f'values (e.g. {bad[0]!r}); is it a '
                              f'checkpoint?')
    if osp.isdir(out_file):
        raise CheckpointError(f'{out_file} is a folder, expected a .pth '
                              f'file name')
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    keep = {k: _plain(meta[k]) for k in ('epoch', 'iter', 'seed',
                                         'dataset_meta', 'mmengine_version')
            if k in meta}
    out = dict(state_dict={k: v.cpu() for k, v in state.items()}, meta=keep)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = out_file + '.tmp'
    torch.save(out, tmp)
    with open(tmp, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:8]
    stem = out_file[:-4] if out_file.endswith('.pth') else out_file
    final = f'{stem}-{sha}.pth'
    os.replace(tmp, final)
    # prove it loads the way strangers will load it
    torch.load(final, map_location='cpu', weights_only=True)
    return final


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='checkpoint from a training run')
    parser.add_argument('out_file', help='output .pth path')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle in_file in full; only for a foreign legacy file from '
        'a trusted source (vireid checkpoints load weights-only)')
    args = parser.parse_args(argv)
    print(publish(args.in_file, args.out_file, trust=args.trust_checkpoint))


if __name__ == '__main__':
    from vireid.utils.cli import run_cli
    run_cli(main)
