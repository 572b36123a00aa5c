#!/usr/bin/python3
"""Isolation Forest: `sentinel iforest` against scikit-learn's IsolationForest.

Quality: every ODDS data set (Rayana, ODDS library, via pyod) under pyod's benchmark protocol
(standardise with the training part's statistics, random 60/40 split, fit on 60%, ROC AUC on
40%, mean of 10 splits; 100 trees, subsample min(256, n)), next to pyod's published IForest
ROC AUC (odds-published/pyod_docs_tables_roc.csv). Split seeds cannot match across languages,
so both sides run the same protocol with their own seeds.

Speed: fit and scoring CPU time on a large random matrix (1,000,000 x 20 by default), the CSV
parsing excluded on both sides.

Run with Debian's /usr/bin/python3 (scikit-learn 1.2.1):
    /usr/bin/python3 bench/iforest_vs_sklearn.py [build/sentinel] [--rows N] [--no-speed]
The data directory is $SENTINEL_DATA_DIR, else ../shared/data beside the repository.
Prints figures; asserts nothing.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

SPLITS = 10


def data_dir():
    env = os.environ.get("SENTINEL_DATA_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def published(root):
    """pyod's IForest column: data set -> ROC AUC (docs table; notebook run as a fallback)."""
    out = {}
    for name in ("pyod_notebooks_roc.csv", "pyod_docs_tables_roc.csv"):
        path = os.path.join(root, "odds-published", name)
        if not os.path.exists(path):
            continue
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                out[row["Data"]] = float(row["IForest"])
    return out


def ours(sentinel, path, extra=()):
    cmd = [sentinel, "iforest", "--input", path, "--json", "--splits", str(SPLITS), *extra]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {res.stderr.strip()}")
    return json.loads(res.stdout)


def sklearn_pyod(X, y):
    """pyod's benchmark protocol with scikit-learn's IsolationForest."""
    rocs, prs = [], []
    for s in range(SPLITS):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=s)
        scaler = StandardScaler().fit(Xtr)
        Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
        f = IsolationForest(n_estimators=100, max_samples=min(256, len(Xtr)), random_state=s)
        f.fit(Xtr)
        score = -f.score_samples(Xte)
        if len(set(yte)) < 2:
            continue
        rocs.append(roc_auc_score(yte, score))
        prs.append(average_precision_score(yte, score))
    return float(np.mean(rocs)), float(np.mean(prs))


def quality(sentinel, root):
    odds = os.path.join(root, "odds")
    pub = published(root)
    names = sorted(f[:-4] for f in os.listdir(odds) if f.endswith(".csv"))
    print(f"ROC AUC, pyod protocol, {SPLITS} splits each (PR AUC in brackets)")
    head = (f"{'data set':<11} {'n':>6} {'d':>4}  {'ours':>15}  {'sklearn':>15}  {'pyod':>6}"
            f"  {'|ours-pyod|':>11}  within band")
    print(head)
    print("-" * len(head))
    within = total = 0
    for name in names:
        path = os.path.join(odds, name + ".csv")
        data = np.loadtxt(path, delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1].astype(int)
        n, d = X.shape
        o = ours(sentinel, path)
        sk_roc, sk_pr = sklearn_pyod(X, y)
        p = pub.get(name)
        band = 0.02 if n >= 1000 else 0.05
        if p is None:
            diff, verdict = "", "(not published)"
        else:
            delta = abs(o["roc_auc_mean"] - p)
            ok = delta <= band
            within += ok
            total += 1
            diff, verdict = f"{delta:.4f}", f"{'yes' if ok else 'no'} (+-{band})"
        print(f"{name:<11} {n:>6} {d:>4}  {o['roc_auc_mean']:.4f} ({o['pr_auc_mean']:.4f})"
              f"  {sk_roc:.4f} ({sk_pr:.4f})  {'' if p is None else f'{p:.4f}':>6}"
              f"  {diff:>11}  {verdict}")
    print(f"within band: {within} of {total} published data sets")
    print()

    print(f"The authors' protocol (whole set, {SPLITS} runs) on iforest-reference/")
    for fname in ("breastw_683.csv", "shuttle_49097.csv"):
        path = os.path.join(root, "iforest-reference", fname)
        if not os.path.exists(path):
            continue
        o = ours(sentinel, path, ("--protocol", "whole", "--no-header", "--label-last"))
        data = np.loadtxt(path, delimiter=",")
        X, y = data[:, :-1], data[:, -1].astype(int)
        sk = []
        for s in range(SPLITS):
            f = IsolationForest(n_estimators=100, max_samples=min(256, len(X)), random_state=s)
            sk.append(roc_auc_score(y, -f.fit(X).score_samples(X)))
        print(f"  {fname:<18} ours {o['roc_auc_mean']:.4f}  sklearn {np.mean(sk):.4f}")
    print()


def speed(sentinel, rows, cols):
    rng = np.random.default_rng(12345)
    X = rng.standard_normal((rows, cols)).astype(np.float32)
    y = np.zeros(rows, dtype=np.int8)
    out = rng.choice(rows, size=max(rows // 1000, 2), replace=False)
    X[out] += rng.choice([-6.0, 6.0], size=(len(out), cols)).astype(np.float32)
    y[out] = 1
    print(f"Speed: {rows} x {cols} float32, {len(out)} outliers; 100 trees, psi 256; CPU time")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        path = fh.name
        fh.write(",".join(f"x{j + 1}" for j in range(cols)) + ",y\n")
        chunk = 100000
        for i in range(0, rows, chunk):
            block = np.column_stack([X[i:i + chunk], y[i:i + chunk]])
            np.savetxt(fh, block, delimiter=",", fmt=["%.7g"] * cols + ["%d"])
    try:
        o = ours(sentinel, path, ("--protocol", "whole", "--splits", "1", "--time"))
    finally:
        os.unlink(path)
    # ours() passes --splits 10 first; the later --splits 1 wins in getopt.
    our_fit, our_ns = o["fit_seconds"], o["score_ns_per_row"]

    f = IsolationForest(n_estimators=100, max_samples=256, n_jobs=1, random_state=0)
    t0 = time.process_time()
    f.fit(X)
    t1 = time.process_time()
    score = -f.score_samples(X)
    t2 = time.process_time()
    sk_fit, sk_ns = t1 - t0, (t2 - t1) * 1e9 / rows
    sk_auc = roc_auc_score(y, score)

    print(f"{'':<9} {'fit s':>9} {'score ns/row':>13} {'ROC AUC':>8}")
    print(f"{'ours':<9} {our_fit:>9.4f} {our_ns:>13.1f} {o['roc_auc_mean']:>8.4f}")
    print(f"{'sklearn':<9} {sk_fit:>9.4f} {sk_ns:>13.1f} {sk_auc:>8.4f}")
    print(f"{'ratio':<9} {sk_fit / our_fit:>8.1f}x {sk_ns / our_ns:>12.1f}x   (sklearn / ours)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sentinel", nargs="?", default="build/sentinel")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-quality", action="store_true")
    args = ap.parse_args()
    if not os.access(args.sentinel, os.X_OK):
        sys.exit(f"{args.sentinel}: not an executable; pass the sentinel binary's path")
    root = data_dir()
    if not args.no_quality:
        if not os.path.isdir(os.path.join(root, "odds")):
            sys.exit(f"{root}/odds: missing; set SENTINEL_DATA_DIR")
        quality(args.sentinel, root)
    if not args.no_speed:
        speed(args.sentinel, args.rows, args.cols)


if __name__ == "__main__":
    main()
