"""Benchmark EnforcerCache.allowed with 1 and 1,000 companies: memo hits, cold checks, reloads."""

import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

# Runnable as "python bench/bench_permissions.py" from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roles.enforcer import CompanyPolicy, EnforcerCache

SEED = 20240601
USERS_PER_COMPANY = 50
CUSTOM_ROLES = 3
CUSTOM_ROLE_SIZE = 8
MEMO_SAMPLES = 20_000
MEMO_POOL = 1_000  # distinct queries replayed for memo hits (< memo_size of one company)
COLD_SAMPLES = 3_000
RELOAD_SAMPLES = 50
MEMORY_SAMPLES = 20

MODULES = {
    "lines": ["view", "block", "unblock", "terminate", "change_tariff", "rename", "export"],
    "numbers": ["view", "order", "port_in", "reserve"],
    "services": ["view", "connect", "disconnect", "configure"],
    "billing": ["view", "edit", "set_limit"],
    "bills": ["view", "download", "dispute"],
    "payments": ["view", "create", "promise"],
    "reports": ["view", "export", "schedule"],
    "employees": ["view", "create", "edit", "deactivate"],
    "roles": ["view", "assign", "edit"],
    "hierarchy": ["view", "edit", "move"],
    "orders": ["view", "create", "cancel"],
    "documents": ["view", "sign", "upload"],
    "tickets": ["view", "create", "close"],
    "company": ["view", "edit"],
}
PERMISSIONS = [f"{module}.{action}" for module, actions in MODULES.items() for action in actions]


def _pick(prefixes, count, rnd):
    """Pick *count* permissions, those of the given modules first."""
    preferred = [p for p in PERMISSIONS if p.split(".")[0] in prefixes]
    rest = [p for p in PERMISSIONS if p not in preferred]
    rnd.shuffle(rest)
    return (preferred + rest)[:count]


_RND = random.Random(SEED)
# The 5 predefined roles, the same permission sets in every company (role ids are per company).
PREDEFINED = [
    _pick(["lines", "numbers", "services", "billing", "employees"], 20, _RND),  # administrator
    _pick(["lines", "services", "numbers"], 18, _RND),  # line manager
    _pick(["billing", "bills", "payments", "reports"], 14, _RND),  # accountant
    _pick(["lines", "bills", "reports"], 10, _RND),  # viewer
    _pick(["employees", "roles", "hierarchy"], 12, _RND),  # department head
]


def company_tree(company_id):
    """Return the materialised paths of a company's 125 department nodes."""
    base = company_id * 1000
    paths = []
    for a in range(5):
        top = f"/{base + a}/"
        paths.append(top)
        for b in range(4):
            mid = f"{top}{base + 10 + a * 4 + b}/"
            paths.append(mid)
            paths.extend(f"{mid}{base + 100 + (a * 4 + b) * 5 + c}/" for c in range(5))
    return paths


def company_policy(company_id, version=1):
    """Generate a company: 5 predefined + 3 custom roles, 50 users with scoped assignments."""
    rnd = random.Random(SEED * 7919 + company_id)
    role_permissions = []
    for k, perms in enumerate(PREDEFINED):
        role_permissions += [(company_id * 10 + k, p) for p in perms]
    for k in range(CUSTOM_ROLES):
        role_id = company_id * 10 + len(PREDEFINED) + k
        role_permissions += [(role_id, p) for p in rnd.sample(PERMISSIONS, CUSTOM_ROLE_SIZE)]
    roles = sorted({r for r, _p in role_permissions})
    tree = company_tree(company_id)
    by_depth = {d: [p for p in tree if p.count("/") == d + 1] for d in (1, 2, 3)}
    assignments = []
    for u in range(USERS_PER_COMPANY):
        for _ in range(rnd.choice((1, 1, 2))):
            depth = rnd.choices((0, 1, 2, 3), weights=(1, 3, 4, 2))[0]
            scope = "/" if depth == 0 else rnd.choice(by_depth[depth])
            assignments.append((company_id * 100 + u, rnd.choice(roles), scope))
    return CompanyPolicy(company_id, version, tuple(role_permissions), tuple(assignments))


class Store:
    """The 'database': generated policies, with a version per company."""

    def __init__(self, company_ids):
        self.policies = {c: company_policy(c) for c in company_ids}
        self.trees = {c: company_tree(c) for c in company_ids}
        self.loads = 0

    def __call__(self, company_id):
        self.loads += 1
        return self.policies[company_id]

    def bump(self, company_id):
        old = self.policies[company_id]
        self.policies[company_id] = CompanyPolicy(
            company_id, old.version + 1, old.role_permissions, old.assignments
        )
        return old.version + 1


def queries(store, company_ids, count, rnd):
    """Random (company, user, permission, path) checks, ~40 % of them within a grant."""
    out = []
    for _ in range(count):
        c = rnd.choice(company_ids)
        policy = store.policies[c]
        if rnd.random() < 0.4:
            # What a page mostly asks: something one of the user's roles grants, in scope.
            user, role, scope = rnd.choice(policy.assignments)
            permission = rnd.choice([p for r, p in policy.role_permissions if r == role])
            path = rnd.choice([p for p in store.trees[c] if p.startswith(scope)] or [scope])
        else:
            user = c * 100 + rnd.randrange(USERS_PER_COMPANY + 5)  # a few unknown users
            permission = rnd.choice(PERMISSIONS)
            path = "/" if rnd.random() < 0.05 else rnd.choice(store.trees[c])
        out.append((c, user, permission, path))
    return out


def timed(cache, store, sample):
    """Time each allowed() call; return (latencies in µs, fraction granted)."""
    latencies = []
    granted = 0
    clock = time.perf_counter_ns
    for c, user, permission, path in sample:
        version = store.policies[c].version
        start = clock()
        ok = cache.allowed(c, version, user, permission, path)
        latencies.append((clock() - start) / 1000)
        granted += ok
    return latencies, granted / len(sample)


def pct(values, q):
    """Return the q-th percentile of *values*."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def warm(cache, store, company_ids):
    """Build the enforcers of the given companies; return the mean build time in ms."""
    start = time.perf_counter()
    for c in company_ids:
        cache.enforcer(c, store.policies[c].version)
    return (time.perf_counter() - start) / len(company_ids) * 1000


def scenario(n_companies, rnd):
    """Measure memo-hit and cold latencies with n_companies resident; return a result dict."""
    company_ids = list(range(1, n_companies + 1))
    store = Store(company_ids)
    result = {"companies": n_companies}

    hot = EnforcerCache(store, max_companies=n_companies)
    result["build_ms"] = warm(hot, store, company_ids)
    pool = queries(store, company_ids, MEMO_POOL, rnd)
    for q in pool:  # fill the memo
        hot.allowed(q[0], 1, q[1], q[2], q[3])
    sample = [rnd.choice(pool) for _ in range(MEMO_SAMPLES)]
    result["memo"], result["memo_granted"] = timed(hot, store, sample)

    cold = EnforcerCache(store, max_companies=n_companies, memo_size=0)
    warm(cold, store, company_ids)
    sample = queries(store, company_ids, COLD_SAMPLES, rnd)
    timed(cold, store, sample)  # builds casbin's lazy per-domain role managers
    result["cold"], result["cold_granted"] = timed(cold, store, sample)

    result["rows"] = statistics.mean(len(store.policies[c].role_permissions) for c in company_ids)
    result["links"] = statistics.mean(len(store.policies[c].assignments) for c in company_ids)
    result["loads"] = store.loads
    return result, store, hot


def reloads(store, cache, rnd):
    """Bump versions of random companies; time the rebuild and the first check after it."""
    rebuild, first_check = [], []
    for c in rnd.sample(sorted(store.policies), RELOAD_SAMPLES):
        version = store.bump(c)
        start = time.perf_counter_ns()
        cache.enforcer(c, version)
        rebuild.append((time.perf_counter_ns() - start) / 1000)
        version = store.bump(c)
        user, permission, path = c * 100 + 1, PREDEFINED[0][0], store.trees[c][7]
        start = time.perf_counter_ns()
        cache.allowed(c, version, user, permission, path)
        first_check.append((time.perf_counter_ns() - start) / 1000)
    return rebuild, first_check


def memory(rnd):
    """Return (KiB per enforcer with its role managers built, KiB of a full memo)."""
    company_ids = list(range(5001, 5001 + MEMORY_SAMPLES))
    store = Store(company_ids)
    cache = EnforcerCache(store, max_companies=MEMORY_SAMPLES, memo_size=0)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for c in company_ids:
        # Every node and every permission once: all of casbin's lazy structures get built.
        for path in ["/", *store.trees[c]]:
            for permission in {p for _r, p in store.policies[c].role_permissions}:
                if rnd.random() < 0.05:
                    cache.allowed(c, 1, c * 100 + rnd.randrange(50), permission, path)
    gc.collect()
    per_enforcer = (tracemalloc.get_traced_memory()[0] - base) / MEMORY_SAMPLES / 1024
    tracemalloc.stop()

    memo_cache = EnforcerCache(store, max_companies=1)
    c = company_ids[0]
    memo_cache.enforcer(c, 1)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(1024):
        memo_cache.allowed(c, 1, c * 100 + i % 60, PERMISSIONS[i % len(PERMISSIONS)], "/")
    memo_kib = (tracemalloc.get_traced_memory()[0] - base) / 1024
    tracemalloc.stop()
    return per_enforcer, memo_kib


def main():
    """Run the scenarios and print the table."""
    started = time.perf_counter()
    rnd = random.Random(SEED)
    one, _store1, _ = scenario(1, rnd)
    many, store_many, cache_many = scenario(1000, rnd)
    rebuild, first_check = reloads(store_many, cache_many, rnd)
    per_enforcer_kib, memo_kib = memory(rnd)

    print(
        f"Per company: {one['rows']:.0f} role→permission rows, "
        f"{USERS_PER_COMPANY} users, {many['links']:.0f} assignments (mean), 125 nodes; "
        f"{len(PERMISSIONS)} permissions in the catalogue"
    )
    print()
    header = f"{'allowed() latency, µs':<44}{'p50':>9}{'p95':>9}{'granted':>9}"
    print(header)
    print("-" * len(header))
    for label, key in (("memo hit", "memo"), ("cold (memo off, through casbin)", "cold")):
        for res in (one, many):
            name = f"{label}, {res['companies']:>4} co."
            lat = res[key]
            print(
                f"{name:<44}{pct(lat, 50):>9.1f}{pct(lat, 95):>9.1f}{res[key + '_granted']:>9.0%}"
            )
    print()
    for label, key in (("memo hit", "memo"), ("cold", "cold")):
        ratio = pct(many[key], 50) / pct(one[key], 50)
        ok = "OK" if ratio <= 1.5 and pct(many[key], 50) < 500 else "MISSED"
        print(
            f"p50 ratio 1,000 / 1 companies, {label:<8}: {ratio:5.2f}  "
            f"(target ≤ 1.5 and p50 < 500 µs: {ok})"
        )
    print()
    header = f"{'enforcer (re)build, µs':<44}{'p50':>9}{'p95':>9}"
    print(header)
    print("-" * len(header))
    print(f"{'rebuild after version bump':<44}{pct(rebuild, 50):>9.0f}{pct(rebuild, 95):>9.0f}")
    print(f"{'bump + first allowed()':<44}{pct(first_check, 50):>9.0f}{pct(first_check, 95):>9.0f}")
    print(f"{'mean initial build (warm-up)':<44}{many['build_ms'] * 1000:>9.0f}")
    print("(the in-memory loader takes no time: add the database query in production)")
    print()
    print(
        f"Memory: ~{per_enforcer_kib:.0f} KiB per enforcer with all its lazy role managers "
        f"built, + ~{memo_kib:.0f} KiB for a full 1,024-entry memo "
        f"(1,000 resident ≈ {(per_enforcer_kib + memo_kib) * 1000 / 1024:.0f} MiB worst case)"
    )
    print(f"Total benchmark time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
