#!/usr/bin/python3
"""Access-request prediction: `sentinel predict cv` against scikit-learn's RandomForestClassifier
on Amazon's employee access requests (Kaggle 2013; ../shared/data/amazon-access/train.csv).

Same folds on both sides: sentinel draws the stratified, seeded folds and writes each row's fold
(`--folds-out`); scikit-learn is fitted and scored on exactly those folds. scikit-learn's forest
sees the nine columns as their integer ids (ordinal; the usual random-forest baseline on these
data), with `--onehot` also one-hot encoded (sparse). sentinel's models see their own encoding
(out-of-fold target statistics and frequencies of each column and pair of columns), computed
inside each fold. Times are CPU seconds summed over the folds (one thread on both sides);
sentinel's fit includes its encoding, its CSV reading is excluded like scikit-learn's.

Run with Debian's /usr/bin/python3 (scikit-learn 1.2.1):
    /usr/bin/python3 bench/predict_vs_sklearn.py [build/sentinel] [--folds 5] [--seed 1]
        [--trees 100] [--onehot]
Prints figures; asserts nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import OneHotEncoder


def data_dir():
    env = os.environ.get("SENTINEL_DATA_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def sentinel_cv(binary, path, folds, seed, extra, folds_out=None):
    cmd = [binary, "predict", "cv", "--input", path, "--folds", str(folds), "--seed", str(seed),
           "--json", *extra]
    if folds_out:
        cmd += ["--folds-out", folds_out]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {res.stderr}")
    d = json.loads(res.stdout)
    return d["auc"], sum(d["fit_seconds"]), sum(d["predict_seconds"])


def sklearn_cv(x, y, fold, folds, seed, trees):
    aucs, fit_s, pred_s = [], 0.0, 0.0
    for f in range(folds):
        tr, te = fold != f, fold == f
        rf = RandomForestClassifier(n_estimators=trees, n_jobs=1, random_state=seed)
        t0 = time.process_time()
        rf.fit(x[tr], y[tr])
        t1 = time.process_time()
        p = rf.predict_proba(x[te])[:, 1]
        t2 = time.process_time()
        fit_s += t1 - t0
        pred_s += t2 - t1
        aucs.append(roc_auc_score(y[te], p))
    return aucs, fit_s, pred_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sentinel", nargs="?", default="build/sentinel")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trees", type=int, default=100, help="trees of both random forests")
    ap.add_argument("--onehot", action="store_true", help="also scikit-learn on one-hot columns")
    args = ap.parse_args()
    path = os.path.join(data_dir(), "amazon-access", "train.csv")
    if not os.path.exists(path):
        sys.exit(f"{path} is missing (set SENTINEL_DATA_DIR)")
    raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)
    y, x = raw[:, 0], raw[:, 1:]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fpath = os.path.join(tmp, "folds.txt")
        auc, fit, pred = sentinel_cv(args.sentinel, path, args.folds, args.seed, [], fpath)
        fold = np.loadtxt(fpath, dtype=np.int64)
        rows.append(("sentinel boosted trees (defaults, 4 x 300)", auc, fit, pred))
        auc, fit, pred = sentinel_cv(args.sentinel, path, args.folds, args.seed, ["--bags", "1"])
        rows.append(("sentinel boosted trees (one bag, 300)", auc, fit, pred))
        auc, fit, pred = sentinel_cv(args.sentinel, path, args.folds, args.seed,
                                     ["--algorithm", "forest", "--trees", str(args.trees),
                                      "--bags", "1"])
        rows.append((f"sentinel random forest ({args.trees})", auc, fit, pred))
    assert len(fold) == len(y)
    auc, fit, pred = sklearn_cv(x, y, fold, args.folds, args.seed, args.trees)
    rows.append((f"scikit-learn RandomForest ({args.trees}), ids", auc, fit, pred))
    if args.onehot:
        oh = OneHotEncoder(handle_unknown="ignore").fit_transform(x).tocsr()
        auc, fit, pred = sklearn_cv(oh, y, fold, args.folds, args.seed, args.trees)
        rows.append((f"scikit-learn RandomForest ({args.trees}), one-hot", auc, fit, pred))

    import sklearn
    print(f"Amazon access requests: {len(y)} rows, {int(y.sum())} approved; {args.folds} folds "
          f"(seed {args.seed}), the same folds for every model; scikit-learn {sklearn.__version__}")
    print(f"{'model':44s} {'mean AUC':>9s} {'min':>7s} {'max':>7s} {'fit s':>8s} {'predict s':>10s}")
    for name, a, f, p in rows:
        print(f"{name:44s} {np.mean(a):9.4f} {min(a):7.4f} {max(a):7.4f} {f:8.2f} {p:10.3f}")
    sk = rows[3]
    print()
    print(f"against {sk[0]}: AUC ratio, fit time and predict time of scikit-learn / sentinel")
    for name, a, f, p in rows[:3]:
        print(f"  {name:42s} AUC {np.mean(a) / np.mean(sk[1]):.3f}   fit {sk[2] / f:5.2f}x"
              f"   predict {sk[3] / max(p, 1e-9):5.2f}x")


if __name__ == "__main__":
    main()
