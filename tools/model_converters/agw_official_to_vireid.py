# Copyright (c) vireid contributors. All rights reserved.
"""Convert an official AGW / CAJ checkpoint into a vireid checkpoint.

The official code (mangye16/Cross-Modal-Re-ID-baseline, ``train.py`` and
``ICCV21_CAJ/train_ext.py``) saves ``{'net': embed_net.state_dict(),
'cmc': ..., 'mAP': ..., 'mINP': ..., 'epoch': ...}``. This tool renames the
``embed_net`` keys to vireid's AGW model (``VIReIDModel`` + ``TwoStreamResNet``
+ ``BNNeckHead``) and writes a weights-only ``{'state_dict', 'meta'}`` file
that ``tools/test.py <agw config> DST`` loads::

    python tools/model_converters/agw_official_to_vireid.py \\
        sysu_agw_p4_n8_lr_0.1_seed_0_best.t agw_sysu_vireid.pth \\
        --trust-source \\
        --config projects/agw/configs/agw_r50-nl_1xb64-81e_sysu.py
    python tools/test.py projects/agw/configs/agw_r50-nl_1xb64-81e_sysu.py \\
        agw_sysu_vireid.pth

Key mapping (``module.`` from DataParallel is stripped first):

- ``visible_module.visible.{conv1,bn1}.*`` -> ``backbone.specific.0.*``,
  ``thermal_module.thermal.{conv1,bn1}.*`` -> ``backbone.specific.1.*``;
- ``base_resnet.base.layer{1..4}.*`` -> ``backbone.shared.layer{1..4}.*``;
- ``NL_{i}.{j}.g.0.*`` -> ``backbone.shared.nl_layer{i}.{j}.g.*``,
  ``NL_{i}.{j}.{theta,phi,W.0,W.1}.*`` -> ``...nl_layer{i}.{j}.*``;
- ``bottleneck.*`` -> ``head.bn.*``, ``classifier.weight`` ->
  ``head.classifier.weight``.

Dropped (present in the file, never used by ``embed_net.forward``): the
layer1-4 copies inside ``visible_module`` / ``thermal_module`` and the stem
of ``base_resnet``. Anything else is an error.

The released models have 1-channel non-local blocks: evaluate them with a
config that keeps ``non_local_cfg.inter_channels=1`` (all AGW / CAJ configs
do). ``--config`` builds that config's model and loads the converted
weights strictly, so a mismatch is reported here instead of becoming a
warning in ``tools/test.py``.
"""
import argparse
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(ROOT, 'plugins'), ROOT]

_STEM = re.compile(r'^(visible_module\.visible|thermal_module\.thermal)\.'
                   r'(conv1|bn1)\.(.+)$')
_STREAM_UNUSED = re.compile(
    r'^(visible_module\.visible|thermal_module\.thermal)\.'
    r'(layer[1-4]|fc)\.')
_BASE_LAYER = re.compile(r'^base_resnet\.base\.(layer[1-4]\..+)$')
_BASE_UNUSED = re.compile(r'^base_resnet\.base\.(conv1|bn1|fc)\.')
_NL = re.compile(r'^NL_([1-4])\.(\d+)\.(g\.0|theta|phi|W\.0|W\.1)\.(.+)$')
_HEAD = {'bottleneck.': 'head.bn.', 'classifier.': 'head.classifier.'}
#: Keys every AGW / CAJ ``embed_net`` state dict has.
REQUIRED = ('visible_module.visible.conv1.weight',
            'thermal_module.thermal.conv1.weight',
            'base_resnet.base.layer1.0.conv1.weight', 'bottleneck.weight',
            'classifier.weight')


class NotOfficialCheckpointError(ValueError):
    """The file is not an official AGW / CAJ ``embed_net`` checkpoint."""


def convert_state_dict(net: Dict, src: str = '<state dict>'
                       ) -> Tuple[Dict, List[str]]:
    """Rename an official ``embed_net`` state dict to vireid's AGW model.

    Args:
        net (dict[str, Tensor]): ``checkpoint['net']``.
        src (str): Name for error messages.

    Returns:
        tuple[dict, list[str]]: The vireid state dict and the dropped
        (unused) keys.
    """
    import torch
    if not isinstance(net, dict) or not net:
        raise NotOfficialCheckpointError(
            f"{src}: 'net' must be a non-empty state dict, got "
            f'{type(net).__name__}')
    net = {(k[len('module.'):] if k.startswith('module.') else k): v
           for k, v in net.items()}
    bad = [k for k, v in net.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise NotOfficialCheckpointError(
            f"{src}: 'net' holds non-tensor values (e.g. {bad[:3]})")
    missing = [k for k in REQUIRED if k not in net]
    if missing:
        raise NotOfficialCheckpointError(
            f"{src}: 'net' is not an AGW / CAJ embed_net state dict; missing "
            f'{missing} (first keys: {sorted(net)[:5]})')
    out, dropped, unknown = {}, [], []
    for k, v in net.items():
        m = _STEM.match(k)
        if m:
            stream = 0 if m.group(1).startswith('visible') else 1
            out[f'backbone.specific.{stream}.{m.group(2)}.{m.group(3)}'] = v
            continue
        m = _BASE_LAYER.match(k)
        if m:
            out[f'backbone.shared.{m.group(1)}'] = v
            continue
        m = _NL.match(k)
        if m:
            part = 'g' if m.group(3) == 'g.0' else m.group(3)
            out[f'backbone.shared.nl_layer{m.group(1)}.{m.group(2)}.'
                f'{part}.{m.group(4)}'] = v
            continue
        head = next((p for p in _HEAD if k.startswith(p)), None)
        if head is not None:
            out[_HEAD[head] + k[len(head):]] = v
            continue
        if _STREAM_UNUSED.match(k) or _BASE_UNUSED.match(k):
            dropped.append(k)
            continue
        unknown.append(k)
    if unknown:
        raise NotOfficialCheckpointError(
            f'{src}: keys that an AGW / CAJ embed_net does not have: '
            f'{unknown[:8]}{" ..." if len(unknown) > 8 else ""}')
    return out, dropped


def describe(state: Dict) -> Dict:
    """Architecture facts read from a converted state dict."""
    theta = sorted(k for k in state if k.endswith('theta.weight'))
    return dict(
        num_classes=int(state['head.classifier.weight'].shape[0]),
        feat_dim=int(state['head.classifier.weight'].shape[1]),
        non_local_blocks=len(theta),
        inter_channels=sorted({int(state[k].shape[0]) for k in theta}))


def load_official(path: str, trust: bool) -> Tuple[Dict, Dict]:
    """Read the file and return ``checkpoint['net']``.

    Args:
        path (str): The official checkpoint.
        trust (bool): Unpickle it in full (the official files also pickle
            numpy arrays, which a weights-only load refuses).

    Returns:
        tuple[dict, dict]: The ``embed_net`` state dict and the plain
        numbers (epoch, mAP, mINP) found next to it.
    """
    from vireid.utils.compat import UntrustedCheckpointError, safe_torch_load
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    with open(path, 'rb') as f:
        magic = f.read(4)
    if magic[:2] != b'PK' and magic[:1] != b'\x80':  # zip / legacy pickle
        raise NotOfficialCheckpointError(
            f'{path}: cannot be read as a torch checkpoint (neither the zip '
            f'nor the legacy pickle format)')
    try:
        ckpt = safe_torch_load(path, trusted=trust)
    except UntrustedCheckpointError as e:
        raise UntrustedCheckpointError(
            f'{e}\n(For an official AGW / CAJ checkpoint from a source you '
            f'trust, pass --trust-source.)') from None
    except FileNotFoundError:
        raise
    except Exception as e:  # not a torch file at all
        raise NotOfficialCheckpointError(
            f'{path}: cannot be read as a torch checkpoint ({e})') from None
    if not isinstance(ckpt, dict) or 'net' not in ckpt:
        keys = sorted(ckpt)[:8] if isinstance(ckpt, dict) else None
        hint = ''
        if isinstance(ckpt, dict) and 'state_dict' in ckpt:
            hint = ' (it looks like an mmengine / vireid checkpoint already)'
        raise NotOfficialCheckpointError(
            f"{path}: expected an official AGW / CAJ checkpoint, a dict with "
            f"key 'net' (embed_net.state_dict()); got "
            f'{type(ckpt).__name__} with keys {keys}{hint}')
    meta = {}
    for k in ('epoch', 'mAP', 'mINP'):
        if k in ckpt:
            try:
                meta[k] = float(ckpt[k])
            except (TypeError, ValueError):
                pass
    return ckpt['net'], meta


def check_against_config(state: Dict, config: str) -> None:
    """Build ``config``'s model and load ``state`` strictly.

    Args:
        state (dict): Converted state dict.
        config (str): A vireid AGW / CAJ config.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from vireid.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'vireid'))
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone']['init_cfg'] = None
    model = MODELS.build(model_cfg)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state)
                    if own[k].shape != state[k].shape)
    if missing or extra or shapes:
        facts = describe(state)
        lines = [f'{config}: the converted checkpoint does not fit the '
                 f'model of this config (checkpoint: {facts})']
        if missing:
            lines.append(f'  missing in checkpoint: {missing[:8]}')
        if extra:
            lines.append(f'  not in the model: {extra[:8]}')
        if shapes:
            lines.append('  shape mismatch: ' + ', '.join(
                f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
                for k in shapes[:6]))
        lines.append('  (official models need non_local_cfg.inter_channels'
                     '=1 and head.num_classes = the checkpoint\'s)')
        raise ValueError('\n'.join(lines))


def convert(src: str, dst: str, trust: bool = False,
            config: str = None) -> Dict:
    """Convert ``src`` to ``dst``; return the architecture facts."""
    import torch
    net, meta = load_official(src, trust)
    state, dropped = convert_state_dict(net, src)
    if config:
        check_against_config(state, config)
    facts = describe(state)
    meta.update(source='official AGW/CAJ embed_net',
                converted_from=osp.basename(src),
                dropped_unused_keys=len(dropped), **facts)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict={k: v.cpu().contiguous()
                                for k, v in state.items()},
                    meta=meta), dst)
    return meta


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description='Official AGW / CAJ checkpoint -> vireid checkpoint')
    parser.add_argument('src', help="official checkpoint (dict with 'net')")
    parser.add_argument('dst', help='output vireid checkpoint (.pth)')
    parser.add_argument('--trust-source', action='store_true',
                        help='unpickle SRC in full (official files also '
                        'hold numpy arrays); only for files you trust')
    parser.add_argument('--config', default=None,
                        help='vireid config whose model must load the '
                        'result strictly (recommended)')
    args = parser.parse_args(argv)
    meta = convert(args.src, args.dst, args.trust_source, args.config)
    print(f'wrote {args.dst}: {meta}')


if __name__ == '__main__':
    main()
