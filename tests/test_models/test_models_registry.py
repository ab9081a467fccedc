# Copyright (c) vireid contributors. All rights reserved.
import subprocess
import sys

from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import init_default_scope

NAMES = ('VIReIDDataPreprocessor', 'TwoStreamResNet', 'TorchreidBackbone',
         'NonLocalBlock2d', 'GeMPooling', 'BNNeckHead', 'CrossEntropyLoss',
         'TripletLoss', 'WRTripletLoss', 'VIReIDModel')


def test_all_registered_in_vireid_scope():
    from vireid.registry import MODELS
    init_default_scope('vireid')
    for name in NAMES:
        assert MODELS.get(name) is not None, name
        assert name in MODELS.module_dict, name
    # reachable from the mmengine root through the scope prefix
    assert MMENGINE_MODELS.get('vireid.GeMPooling') is MODELS.get('GeMPooling')


def test_import_does_not_load_torchreid():
    code = ('import sys, vireid.models; '
            'assert "torchreid" not in sys.modules, "torchreid imported"')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
