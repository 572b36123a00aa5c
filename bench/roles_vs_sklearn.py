#!/usr/bin/python3
"""Role mining: sentinel's k-means++ and silhouette against scikit-learn's, on the same matrix.

For each data set, build/bench/roles_bench mines the roles (k by silhouette over 2..30, seed 42)
and writes the weighted, L2-normalised users x resources matrix it clustered. Then, in the same
run and on that matrix:
  - sentinel: k-means++ at the chosen k with 10 restarts (CPU time), inertia, and the silhouette
    on every row (CPU time);
  - scikit-learn: KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=42) (CPU time,
    one thread), inertia, silhouette_score on every row (CPU time);
  - cross-checks: scikit-learn's silhouette_score of sentinel's clustering (it must equal
    sentinel's own figure), and the adjusted Rand index between the two clusterings.

Data: the reference system's sample_iam_logs_2000x50.csv (events), and Amazon's access file
(approved requests; the user is the role tuple) from $SENTINEL_DATA_DIR (else ../shared/data).

Run with Debian's /usr/bin/python3 (scikit-learn 1.2.1):
    /usr/bin/python3 bench/roles_vs_sklearn.py [build]
Prints figures; asserts nothing.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

# One thread on both sides: CPU times then compare work, not cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score, silhouette_score  # noqa: E402


def data_dir():
    env = os.environ.get("SENTINEL_DATA_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def load(prefix):
    with open(prefix + ".rows") as fh:
        rows, cols = map(int, fh.readline().split())
        data = np.loadtxt(fh, ndmin=2)
    x = sp.csr_matrix((data[:, 2], (data[:, 0].astype(int), data[:, 1].astype(int))),
                      shape=(rows, cols))
    labels = np.loadtxt(prefix + ".labels", dtype=int)
    return x, labels


def run(bench, name, args, tmp):
    prefix = os.path.join(tmp, name.replace(" ", "_"))
    res = subprocess.run([bench, *args, "--dump", prefix], capture_output=True, text=True)
    if res.returncode != 0:
        print(f"{name}: roles_bench failed: {res.stderr.strip()}")
        return
    lines = res.stdout.strip().splitlines()
    ours = json.loads(lines[-1])
    x, our_labels = load(prefix)
    k = ours["k"]
    c0 = time.process_time()
    km = KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=42).fit(x)
    sk_fit = time.process_time() - c0
    c0 = time.process_time()
    sk_sil = silhouette_score(x, km.labels_)
    sk_sil_cpu = time.process_time() - c0
    sk_of_ours = silhouette_score(x, our_labels)
    ari = adjusted_rand_score(our_labels, km.labels_)
    print(f"\n== {name}: {x.shape[0]} users x {x.shape[1]} resources, {x.nnz} non-zeros")
    for line in lines[:-1]:
        print("  " + line)
    print(f"  {'':28} {'sentinel':>12} {'scikit-learn':>13}")
    print(f"  {'k (chosen by sentinel)':28} {k:>12} {k:>13}")
    print(f"  {'k-means++ fit, 10 restarts':28} {ours['fit_cpu']:>10.3f} s {sk_fit:>11.3f} s")
    print(f"  {'inertia':28} {ours['inertia']:>12.3f} {km.inertia_:>13.3f}")
    print(f"  {'silhouette, all rows':28} {ours['silhouette_all']:>12.4f} {sk_sil:>13.4f}")
    print(f"  {'silhouette time':28} {ours['silhouette_cpu']:>10.3f} s {sk_sil_cpu:>11.3f} s")
    print(f"  scikit-learn's silhouette_score of sentinel's clustering: {sk_of_ours:.6f} "
          f"(sentinel: {ours['silhouette_all']:.6f}); adjusted Rand index between the two "
          f"clusterings: {ari:.3f}")
    print(f"  sentinel's whole mining (k by silhouette over 2..30, descriptions): "
          f"{ours['mine_seconds']:.2f} s wall, {ours['mine_cpu']:.2f} s CPU")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    bench = os.path.join(build, "bench", "roles_bench")
    root = data_dir()
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; CPU times, one thread")
    sets = [
        ("reference 2000x50", ["--input",
                               os.path.join(root, "reference", "sample_iam_logs_2000x50.csv")]),
        ("Amazon role tuples", ["--amazon", os.path.join(root, "amazon-access", "train.csv")]),
        ("Amazon role codes", ["--amazon", os.path.join(root, "amazon-access", "train.csv"),
                               "--amazon-user", "role_code"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in sets:
            if not os.path.exists(args[1]):
                print(f"\n== {name}: {args[1]} is missing; skipped")
                continue
            run(bench, name, args, tmp)


if __name__ == "__main__":
    main()
