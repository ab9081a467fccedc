# Copyright (c) vireid contributors. All rights reserved.
"""Convert an official IDKL ``Baseline`` state dict into a vireid checkpoint.

The official code (``1KK077/IDKL``) saves ``model.state_dict()`` of its
``Baseline`` (with a ``module.`` prefix when it ran under DataParallel).
The result loads into the SYSU config
``projects/idkl/configs/idkl-code_r50_1xb120-160e_sysu.py``
(``--cfg-options load_from=DST`` or ``tools/test.py CONFIG DST``).

Mapping (official -> vireid):

- ``backbone.shared_module_fr.model_sh_fr.{conv1,bn1,layer1,layer2}`` ->
  ``backbone.trunk``;
- ``backbone.shared_module_bh.model_sh_bh.{layer3,layer4}`` ->
  ``backbone.shared``;
- ``backbone.special.special_module.{layer3,layer4}`` ->
  ``backbone.specific``;
- ``backbone.IN`` -> ``purifier.norm``; ``backbone.mask1`` (the gate on
  the IN map) -> ``purifier.gate_in``, ``backbone.mask2`` ->
  ``purifier.gate_f`` (``channel_attention.0`` -> ``reduce``, ``.2`` ->
  ``expand``);
- ``bn_neck`` / ``classifier`` -> ``head.bn`` / ``head.classifier``;
  ``bn_neck_sp`` / ``classifier_sp`` -> ``sp_head.*``;
- ``D_special`` -> ``disc_sp``, ``D_shared_pseu`` -> ``disc_sh``,
  ``C_sp_f`` -> ``loss_iip.classifier``.

Dropped (built but never used by the official forward), and listed: the
parts of the three ResNet-50 copies outside the ranges above (including
their ``fc``) and ``backbone.special_att``. Any other key is an error
naming it.

Example::

    python tools/model_converters/idkl_official_to_vireid.py \
        official/model_best.pth checkpoints/idkl_sysu_vireid.pth
"""
import argparse
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Tuple

sys.path[:0] = [osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'plugins')]

#: (official prefix, used top-level module names, vireid prefix)
_STREAMS = (
    ('backbone.shared_module_fr.model_sh_fr.',
     ('conv1', 'bn1', 'layer1', 'layer2'), 'backbone.trunk.'),
    ('backbone.shared_module_bh.model_sh_bh.', ('layer3', 'layer4'),
     'backbone.shared.'),
    ('backbone.special.special_module.', ('layer3', 'layer4'),
     'backbone.specific.'),
)
_GATE = {'channel_attention.0.': 'reduce.', 'channel_attention.2.': 'expand.'}
_PLAIN = (
    ('backbone.IN.', 'purifier.norm.'),
    ('bn_neck_sp.', 'sp_head.bn.'),
    ('bn_neck.', 'head.bn.'),
    ('classifier_sp.', 'sp_head.classifier.'),
    ('classifier.', 'head.classifier.'),
    ('D_special.', 'disc_sp.'),
    ('D_shared_pseu.', 'disc_sh.'),
    ('C_sp_f.', 'loss_iip.classifier.'),
)
_DROPPED_MODULES = ('backbone.special_att.', )


class UnmappedKeysError(KeyError):
    """Raised when official keys fit neither the mapping nor the drop list."""


def convert_state_dict(state: Dict) -> Tuple['OrderedDict', List[str]]:
    """Map an official ``Baseline`` state dict to vireid's IDKL keys.

    Args:
        state (dict[str, Tensor]): Official keys, optionally with a
            ``module.`` prefix.

    Returns:
        tuple: ``(vireid state dict, dropped official keys)``.

    Raises:
        UnmappedKeysError: Naming every key that is neither mapped nor a
            known unused module.
    """
    out, dropped, unknown = OrderedDict(), [], []
    for key, value in state.items():
        k = key[len('module.'):] if key.startswith('module.') else key
        new = None
        for src, used, dst in _STREAMS:
            if k.startswith(src):
                rest = k[len(src):]
                if rest.split('.', 1)[0] in used:
                    new = dst + rest
                else:
                    dropped.append(key)
                    new = ''
                break
        if new is None:
            m = re.match(r'backbone\.mask([12])\.(channel_attention\.[02]\.)'
                         r'(.*)$', k)
            if m:
                gate = 'gate_in.' if m.group(1) == '1' else 'gate_f.'
                new = 'purifier.' + gate + _GATE[m.group(2)] + m.group(3)
        if new is None:
            for src, dst in _PLAIN:
                if k.startswith(src):
                    new = dst + k[len(src):]
                    break
        if new is None and k.startswith(_DROPPED_MODULES):
            dropped.append(key)
            new = ''
        if new is None:
            unknown.append(key)
        elif new:
            out[new] = value
    if unknown:
        raise UnmappedKeysError(
            f'{len(unknown)} official keys have no vireid counterpart and are '
            f'not known unused modules: {", ".join(unknown)}')
    return out, dropped


def convert(src: str, dst: str) -> List[str]:
    """Read ``src`` (weights only), convert and write ``dst``.

    Args:
        src (str): Official checkpoint (a state dict, or a dict holding one
            under ``state_dict`` / ``model``).
        dst (str): Output path; holds ``state_dict`` and ``meta``.

    Returns:
        list[str]: The dropped official keys.
    """
    import torch

    from vireid.utils.compat import safe_torch_load
    obj = safe_torch_load(src, map_location='cpu', trusted=False)
    if isinstance(obj, dict):
        for wrapper in ('state_dict', 'model'):
            if isinstance(obj.get(wrapper), dict):
                obj = obj[wrapper]
                break
    if not isinstance(obj, dict) or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f'{src}: expected a state dict of tensors')
    state, dropped = convert_state_dict(obj)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(
        dict(
            state_dict=state,
            meta=dict(
                converted_from=osp.basename(src),
                converter='idkl_official_to_vireid',
                config='projects/idkl/configs/'
                'idkl-code_r50_1xb120-160e_sysu.py',
                dropped_keys=len(dropped))), dst)
    return dropped


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official IDKL Baseline state dict')
    parser.add_argument('dst', help='output vireid checkpoint')
    args = parser.parse_args(argv)
    dropped = convert(args.src, args.dst)
    print(f'wrote {args.dst}; dropped {len(dropped)} unused official keys:')
    groups = OrderedDict()
    for k in dropped:
        k = k[len('module.'):] if k.startswith('module.') else k
        parts = k.split('.')
        head = '.'.join(parts[:4] if parts[1] != 'special_att' else parts[:2])
        groups[head] = groups.get(head, 0) + 1
    for head, n in groups.items():
        print(f'  {head}.* ({n} keys)')


if __name__ == '__main__':
    main()
