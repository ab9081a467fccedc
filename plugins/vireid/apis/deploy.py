# Copyright (c) vireid contributors. All rights reserved.
"""ONNX export of a vireid model's test feature (``tools/deployment``).

The exported graph is exactly what the test metric sees, one graph per
modality:

- input ``image``: float32 ``N x 3 x H x W``, RGB, **0-255** (the data
  preprocessor's mean/std normalisation is inside the graph), ``N``
  dynamic, ``H x W`` the config's test size;
- output ``feature``: float32 ``N x C``, the ``pred_feature`` entry the
  config's ``VIReIDMetric`` evaluates (raw; L2-normalise it for the cosine
  distance), with the model's flip test-time augmentation when
  ``flip_test=True``.

Two-stream backbones route each image through its modality's shallow
layers; a graph is traced with the modality fixed, so a deployment runs the
``visible`` graph on colour images and the ``infrared`` graph on infrared
ones (no data-dependent control flow in either graph). The exporter is
generic: it needs a model whose ``predict_outs`` (or ``'tensor'`` mode)
returns a dict of ``N x C`` tensors and which reads the modality through
``get_modality`` (as :class:`~vireid.models.VIReIDModel` and its
subclasses do); the output is matched to the metric's feature by running
``predict`` once.
"""
import contextlib
import os.path as osp
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

__all__ = ['OPSET', 'FeatureGraph', 'export_onnx', 'verify_onnx',
           'test_input_shape', 'modality_graph_paths']

#: ONNX opset of the exported graphs (torch's TorchScript exporter).
OPSET = 17
MODALITY_NAMES = ('visible', 'infrared')


def test_input_shape(cfg) -> Tuple[int, int]:
    """``(H, W)`` the config's test pipeline gives an image.

    Args:
        cfg (Config): A vireid config.

    Returns:
        tuple[int, int]: The network input size.
    """
    from .inference import _build_pipelines
    _, from_array = _build_pipelines(cfg)
    img = np.zeros((128, 64, 3), np.uint8)
    out = from_array(dict(img=img, img_shape=(128, 64), ori_shape=(128, 64),
                          img_path='<probe>', rel_path='<probe>',
                          gt_label=-1, pid=-1, camid=-1, modality=0,
                          is_query=False))
    return tuple(int(s) for s in out['inputs'].shape[1:])


def modality_graph_paths(out: str, modalities: Sequence[int]
                         ) -> Dict[int, str]:
    """Output file per modality: ``out`` for one, else
    ``<stem>.visible.onnx`` and ``<stem>.infrared.onnx``.

    Args:
        out (str): The requested ``.onnx`` path.
        modalities (Sequence[int]): Modalities to export.

    Returns:
        dict[int, str]: Modality -> file.
    """
    if len(modalities) == 1:
        return {modalities[0]: out}
    stem = out[:-5] if out.endswith('.onnx') else out
    return {m: f'{stem}.{MODALITY_NAMES[m]}.onnx' for m in modalities}


def _feature_graph_cls():
    import torch
    import torch.nn as nn

    class _FeatureGraph(nn.Module):
        """``image (0-255) -> feature`` for one modality."""

        def __init__(self, model: nn.Module, modality: int,
                     output_key: str) -> None:
            super().__init__()
            self.model = model
            self.modality = int(modality)
            self.output_key = output_key
            pre = model.data_preprocessor
            self.register_buffer('mean', pre.mean.detach().clone().float()
                                 .view(1, -1, 1, 1), persistent=False)
            self.register_buffer('std', pre.std.detach().clone().float()
                                 .view(1, -1, 1, 1), persistent=False)

        def outputs(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
            """All of the model's prediction outputs for normalised
            ``x``."""
            model = self.model
            modality = self.modality
            original = model.get_modality

            def fixed(data_samples, batch_size, device=None):
                return modality

            model.get_modality = fixed
            try:
                if hasattr(model, 'predict_outs'):
                    return model.predict_outs(x, None)
                return model(x, None, mode='tensor')
            finally:
                model.get_modality = original

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            x = (image - self.mean) / self.std
            return self.outputs(x)[self.output_key]

    return _FeatureGraph


def _output_key(model, key: str) -> str:
    """The ``predict_outs`` key whose values are ``pred_feature[key]``
    (found once per model and feature by running ``predict``)."""
    import torch

    from vireid.structures import VIReIDDataSample
    cache = model.__dict__.setdefault('_vireid_onnx_keys', {})
    if key in cache:
        return cache[key]
    cls = _feature_graph_cls()
    h, w = test_input_shape(model.cfg)
    model.eval()
    g = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (2, 3, h, w), generator=g).float()
    probe = cls(model, 0, output_key='').eval()
    with torch.no_grad():
        x = (image - probe.mean) / probe.std
        samples = [VIReIDDataSample(metainfo=dict(modality=0))
                   for _ in range(2)]
        pred = model.predict(x, samples)
        ref = torch.stack([
            (s.pred_feature[key] if isinstance(s.pred_feature, dict) else
             s.pred_feature) for s in pred
        ])
        outs = probe.outputs(x)
    for name, val in outs.items():
        if isinstance(val, torch.Tensor) and val.shape == ref.shape and \
                torch.equal(val.detach(), ref):
            cache[key] = name
            return name
    raise ValueError(
        f'{type(model).__name__}: no output of predict_outs '
        f'({sorted(outs)}) equals pred_feature[{key!r}]; the exporter needs '
        f'the predicted feature to be one of the model\'s tensor outputs')


def FeatureGraph(model, modality: int, feature: Optional[str] = None):
    """The export module: ``image (0-255) -> feature`` for one modality.

    The output key of ``predict_outs`` is the one whose values equal the
    metric's ``pred_feature[feature]`` from ``predict`` (checked on a probe
    batch), so models that rename outputs in ``predict`` work too.

    Args:
        model (nn.Module): A model from :func:`vireid.apis.init_model`.
        modality (int): 0 visible, 1 infrared.
        feature (str, optional): ``pred_feature`` entry; defaults to the
            metric's.

    Returns:
        nn.Module: The graph module (eval mode).
    """
    from .inference import test_feature_key
    key = feature or test_feature_key(model.cfg)
    name = _output_key(model, key)
    return _feature_graph_cls()(model, modality, output_key=name).eval()


@contextlib.contextmanager
def _constant_pool_sizes() -> Iterator[None]:
    """Make adaptive-pooling output sizes constants while tracing.

    Only the batch axis is dynamic, so sizes computed from feature-map
    shapes (e.g. MPFR pooling every stage to the target stage's size) are
    constants of the exported graph; the TorchScript exporter cannot export
    adaptive pooling with a traced size otherwise.
    """
    import torch.nn.functional as F
    originals = {n: getattr(F, n) for n in ('adaptive_avg_pool2d',
                                            'adaptive_max_pool2d')}

    def constant(fn):
        def wrapped(input, output_size, *args, **kwargs):
            if isinstance(output_size, (tuple, list)):
                output_size = tuple(
                    None if s is None else int(s) for s in output_size)
            elif output_size is not None:
                output_size = int(output_size)
            return fn(input, output_size, *args, **kwargs)
        return wrapped

    for name, fn in originals.items():
        setattr(F, name, constant(fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(F, name, fn)


def export_onnx(model, out: str, modalities: Sequence[int] = (0, 1),
                feature: Optional[str] = None, opset: int = OPSET
                ) -> Dict[int, str]:
    """Export one graph per modality (dynamic batch).

    Args:
        model (nn.Module): A model from :func:`vireid.apis.init_model`.
        out (str): ``.onnx`` path (see :func:`modality_graph_paths`).
        modalities (Sequence[int]): Modalities to export.
        feature (str, optional): ``pred_feature`` entry; the metric's by
            default.
        opset (int): ONNX opset.

    Returns:
        dict[int, str]: Modality -> written file.
    """
    import os
    import warnings

    import torch
    paths = modality_graph_paths(out, list(modalities))
    h, w = test_input_shape(model.cfg)
    for m, path in paths.items():
        graph = FeatureGraph(model, m, feature)
        dummy = torch.randint(0, 256, (2, 3, h, w),
                              generator=torch.Generator().manual_seed(1)
                              ).float()
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with warnings.catch_warnings(), _constant_pool_sizes():
            warnings.simplefilter('ignore')  # tracer / deprecation notes
            torch.onnx.export(
                graph, (dummy, ), path, dynamo=False, opset_version=opset,
                input_names=['image'], output_names=['feature'],
                dynamic_axes=dict(image={0: 'batch'}, feature={0: 'batch'}),
                do_constant_folding=True)
    return paths


def verify_onnx(model, path: str, modality: int, batch: int = 3,
                seed: int = 0, feature: Optional[str] = None) -> float:
    """Max abs difference of onnxruntime's output to PyTorch's.

    Args:
        model (nn.Module): The exported model.
        path (str): The ``.onnx`` file of ``modality``.
        modality (int): 0 visible, 1 infrared.
        batch (int): Batch size of the random input (not the traced one,
            to exercise the dynamic batch axis).
        seed (int): Seed of the random 0-255 input.
        feature (str, optional): ``pred_feature`` entry.

    Returns:
        float: ``max |onnx - torch|`` over the features.
    """
    import onnx
    import onnxruntime as ort
    import torch
    onnx.checker.check_model(path)
    h, w = test_input_shape(model.cfg)
    image = torch.randint(0, 256, (batch, 3, h, w),
                          generator=torch.Generator().manual_seed(seed)
                          ).float()
    graph = FeatureGraph(model, modality, feature)
    with torch.no_grad():
        ref = graph(image).numpy()
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    got = sess.run(['feature'], dict(image=image.numpy()))[0]
    if got.shape != ref.shape:
        raise AssertionError(f'{path}: onnxruntime gives shape {got.shape}, '
                             f'PyTorch {ref.shape}')
    return float(np.abs(got - ref).max())
