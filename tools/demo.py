# Copyright (c) vireid contributors. All rights reserved.
"""`make demo`: the main job (placeholder until the baseline lands)."""
import os.path as osp
import sys

sys.path[:0] = [osp.dirname(osp.dirname(osp.abspath(__file__)))]


def main() -> None:
    import vireid.registry as vr
    from mmengine.registry import init_default_scope
    init_default_scope('vireid')
    for name in vr.__all__:
        reg = getattr(vr, name)
        reg.import_from_location()
        print(f'{name:28s} scope={reg.scope} members={len(reg.module_dict)}')


if __name__ == '__main__':
    main()
