# Copyright (c) vireid contributors. All rights reserved.
"""ONNX export of every shipped method: one graph per modality, dynamic
batch, onnxruntime within 1e-4 of PyTorch and equal to the metric's
feature."""
import numpy as np
import pytest
import torch

from tests.test_apis.helpers import save_weights, tiny_config
from vireid.apis import extract_features, init_model

# One config per shipped method; add new methods (IDKL, MTRL) here.
METHOD_CONFIGS = [
    'projects/agw/demo.py',  # AGW
    'projects/agw/caj_config.py',  # CAJ
    'projects/icre/demo.py',  # ICRE [RECON]
    'projects/idkl/demo.py',  # IDKL
    'projects/mtrl/demo.py',  # MTRL [RECON]
]


@pytest.mark.parametrize('config', METHOD_CONFIGS)
def test_export_verify_each_method(config, tmp_path):
    pytest.importorskip('onnxruntime')
    from vireid.apis.deploy import export_onnx, verify_onnx
    cfg = tiny_config(config)
    # both graphs and the flip-TTA path once (AGW), the infrared graph of
    # every other method (for speed; the graphs differ only in the stem)
    first = config == METHOD_CONFIGS[0]
    cfg.model.flip_test = first
    model = init_model(cfg)
    paths = export_onnx(model, str(tmp_path / 'm.onnx'),
                        modalities=(0, 1) if first else (1, ))
    if first:
        assert sorted(paths) == [0, 1]
        assert paths[0].endswith('m.visible.onnx')
    else:
        assert paths == {1: str(tmp_path / 'm.onnx')}
    for m, path in paths.items():
        assert verify_onnx(model, path, m, batch=3) <= 1e-4
    # the graph's output is what extract_features (the metric) sees
    import onnxruntime as ort
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (64, 32, 3), dtype=np.uint8)
            for _ in range(4)]
    sess = ort.InferenceSession(paths[1], providers=['CPUExecutionProvider'])
    batch = np.stack(imgs).transpose(0, 3, 1, 2).astype(np.float32)
    got = sess.run(['feature'], dict(image=batch))[0]
    ref = extract_features(model, imgs, modality='infrared')
    assert np.abs(got - ref).max() <= 1e-4


def test_tool_writes_and_verifies(tmp_path, capsys):
    pytest.importorskip('onnxruntime')
    from tools.deployment.pytorch2onnx import main
    cfg = tiny_config('projects/agw/demo.py')
    config = str(tmp_path / 'tiny.py')
    cfg.dump(config)
    ckpt = save_weights(init_model(cfg), str(tmp_path / 'w.pth'))
    out = main([config, ckpt, '--out', str(tmp_path / 'x.onnx'),
                '--modality', 'visible', '--verify'])
    printed = capsys.readouterr().out
    assert list(out) == [0] and out[0][0] == str(tmp_path / 'x.onnx')
    assert 'onnxruntime vs PyTorch max abs diff' in printed
    assert 'opset 17' in printed and out[0][1] <= 1e-4
    assert torch.load(ckpt, weights_only=True)  # loaded untrusted
