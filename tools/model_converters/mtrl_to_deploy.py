# Copyright (c) vireid contributors. All rights reserved.
"""Turn an MTRL checkpoint into a plain VIReIDModel (deploy) checkpoint.

MTRL's train-only modules (``generator``, ``loss_mtc``, ``loss_center``,
``loss_mqr``; only a learnable generator holds weights) are dropped, and,
with ``--deploy-config``, the result is loaded **strictly** into that
config's model (e.g. ``projects/mtrl/configs/mtrl_r50_deploy.py``) to prove
it has exactly the keys and shapes of the plain backbone model. The output
is weights-only (``state_dict`` + a small ``meta``).

Example::

    python tools/model_converters/mtrl_to_deploy.py \
        work_dirs/mtrl/epoch_100.pth work_dirs/mtrl/deploy.pth \
        --deploy-config projects/mtrl/configs/mtrl_r50_deploy.py
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [ROOT, osp.join(ROOT, 'plugins')]


def convert_state_dict(state_dict: Dict) -> Tuple[Dict, List[str]]:
    """Drop the train-only keys.

    Args:
        state_dict (dict): An MTRL state dict.

    Returns:
        tuple[dict, list[str]]: The deploy state dict and the dropped keys.
    """
    from vireid.models.reid.mtrl import strip_train_only
    kept = strip_train_only(state_dict)
    dropped = sorted(set(state_dict) - set(kept))
    return kept, dropped


def load_into_deploy(state_dict: Dict, deploy_config: str,
                     cfg_options: Optional[dict] = None):
    """Build ``deploy_config``'s model and load ``state_dict`` strictly.

    Args:
        state_dict (dict): Deploy weights.
        deploy_config (str): Config of a plain ``VIReIDModel``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The deploy model (eval mode).
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from vireid.registry import MODELS
    cfg = Config.fromfile(deploy_config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope('vireid')
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone']['init_cfg'] = None  # weights come from the file
    model = MODELS.build(model_cfg)
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


def convert(in_file: str, out_file: str,
            deploy_config: Optional[str] = None, trust: bool = True,
            cfg_options: Optional[dict] = None) -> List[str]:
    """Convert a checkpoint file.

    Args:
        in_file (str): MTRL checkpoint (``state_dict`` inside or bare).
        out_file (str): Output ``.pth``.
        deploy_config (str, optional): Verify by a strict load into it.
        trust (bool): Unpickle ``in_file`` in full (your own run's).
        cfg_options (dict, optional): Overrides of ``deploy_config``.

    Returns:
        list[str]: The dropped keys.
    """
    import torch

    from vireid.utils.compat import safe_torch_load
    ckpt = safe_torch_load(in_file, trusted=trust)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{in_file}: no state_dict of tensors inside')
    kept, dropped = convert_state_dict(state)
    if deploy_config is not None:
        load_into_deploy(kept, deploy_config, cfg_options)
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    meta = {k: meta[k] for k in ('epoch', 'iter', 'seed')
            if isinstance(meta, dict) and k in meta}
    meta['converted_from'] = 'MTRL'
    meta['dropped_keys'] = dropped
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.save(dict(state_dict={k: v.cpu() for k, v in kept.items()},
                    meta=meta), out_file)
    return dropped


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='MTRL checkpoint')
    parser.add_argument('out_file', help='output .pth')
    parser.add_argument('--deploy-config',
                        help='plain VIReIDModel config to load into strictly')
    args = parser.parse_args(argv)
    dropped = convert(args.in_file, args.out_file, args.deploy_config)
    print(f'dropped {len(dropped)} train-only keys: {dropped}')
    print(f'wrote {args.out_file}')


if __name__ == '__main__':
    main()
