"""Reference statistics for tests/ablation/stats.test.ts: reads {"samples": [[...], ...]} on stdin and
prints, for each sample, scipy's exact sign-flip p-value (n <= 16), its 95% percentile bootstrap
interval of the mean, and the t interval of the mean."""
import json
import sys

import numpy as np
from scipy import stats

spec = json.load(sys.stdin)
out = []
for xs in spec["samples"]:
    x = np.asarray(xs, dtype=np.float64)
    row = {}
    if len(x) <= 16:
        res = stats.permutation_test((x,), np.mean, permutation_type="samples", alternative="two-sided", n_resamples=np.inf)
        row["p"] = float(res.pvalue)
    b = stats.bootstrap((x,), np.mean, confidence_level=0.95, n_resamples=10000, method="percentile", random_state=np.random.default_rng(0))
    row["bootstrap"] = [float(b.confidence_interval.low), float(b.confidence_interval.high)]
    t = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    row["t"] = [float(t[0]), float(t[1])]
    row["std"] = float(x.std(ddof=1))
    out.append(row)
print(json.dumps(out))
