# Copyright (c) vireid contributors. All rights reserved.
"""mmengine metrics; importing this package registers them in METRICS."""
from .vireid_metric import (VIReIDMetric, describe_protocol,
                            format_results_table)

__all__ = ['VIReIDMetric', 'describe_protocol', 'format_results_table']
