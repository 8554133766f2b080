"""Unit tests of roles.enforcer: scope-prefix semantics, versioning, LRU, isolation, threads."""

import random
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roles.enforcer import CompanyPolicy, EnforcerCache, minimise_scopes

BLOCK = "lines.block"
VIEW = "lines.view"
EXPORT = "reports.export"

OPERATOR = 10  # role granting lines.block + lines.view
VIEWER = 11  # role granting lines.view only


def policy(company_id=1, version=1, role_permissions=None, assignments=()):
    """Build a CompanyPolicy with the two default roles unless told otherwise."""
    if role_permissions is None:
        role_permissions = ((OPERATOR, BLOCK), (OPERATOR, VIEW), (VIEWER, VIEW))
    return CompanyPolicy(company_id, version, tuple(role_permissions), tuple(assignments))


class FakeDB:
    """An in-memory loader: one current CompanyPolicy per company, with a call counter."""

    def __init__(self, *policies):
        self.policies = {p.company_id: p for p in policies}
        self.calls = []

    def __call__(self, company_id):
        self.calls.append(company_id)
        return self.policies[company_id]

    def put(self, new_policy):
        self.policies[new_policy.company_id] = new_policy


def single(assignments, **kwargs):
    """Return (cache, db) for company 1 at version 1 with the given assignments."""
    db = FakeDB(policy(assignments=assignments, **kwargs))
    return EnforcerCache(db), db


# --- scope prefix semantics ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/1/5/23/", True),  # deeper node of the subtree
        ("/1/5/23/77/", True),
        ("/1/5/", True),  # the scope node itself
        ("/1/50/", False),  # shares the characters "/1/5" but is a sibling
        ("/1/50/23/", False),
        ("/1/", False),  # the parent
        ("/", False),  # company-wide objects
        ("/2/5/", False),
    ],
)
def test_scope_grants_its_subtree_only(path, expected):
    cache, _db = single([(7, OPERATOR, "/1/5/")])
    assert cache.allowed(1, 1, 7, BLOCK, path) is expected


def test_company_wide_scope_covers_everything():
    cache, _db = single([(7, OPERATOR, "/")])
    for path in ("/", "/1/", "/1/5/", "/1/50/23/", "/9/"):
        assert cache.allowed(1, 1, 7, BLOCK, path)


def test_several_assignments_combine():
    cache, _db = single([(7, OPERATOR, "/1/5/"), (7, VIEWER, "/1/"), (7, OPERATOR, "/3/")])
    assert cache.allowed(1, 1, 7, BLOCK, "/1/5/23/")
    assert cache.allowed(1, 1, 7, BLOCK, "/3/4/")
    assert not cache.allowed(1, 1, 7, BLOCK, "/1/6/")
    assert cache.allowed(1, 1, 7, VIEW, "/1/6/")  # via VIEWER on /1/
    assert not cache.allowed(1, 1, 7, VIEW, "/2/")


def test_role_without_the_permission_denies():
    cache, _db = single([(7, VIEWER, "/")])
    assert cache.allowed(1, 1, 7, VIEW, "/1/")
    assert not cache.allowed(1, 1, 7, BLOCK, "/1/")
    assert not cache.allowed(1, 1, 7, "no.such.permission", "/1/")


def test_unknown_user_and_empty_policy_deny():
    cache, _db = single([(7, OPERATOR, "/")])
    assert not cache.allowed(1, 1, 999, BLOCK, "/1/")
    empty, _ = single([], role_permissions=())
    assert not empty.allowed(1, 1, 7, BLOCK, "/")
    assert empty.scopes(1, 1, 7, BLOCK) == []
    assert empty.permissions_at(1, 1, 7, "/") == set()


def test_user_and_role_with_the_same_id_do_not_collide():
    # casbin's g(a, b) is true when a == b; the "user:"/"role:" prefixes prevent user 10
    # from being mistaken for role 10.
    cache, _db = single([(7, OPERATOR, "/")])
    assert not cache.allowed(1, 1, OPERATOR, BLOCK, "/")


def test_duplicate_rows_from_the_loader_are_harmless():
    rows = ((OPERATOR, BLOCK), (OPERATOR, BLOCK), (VIEWER, VIEW))
    cache, _db = single([(7, OPERATOR, "/1/"), (7, OPERATOR, "/1/")], role_permissions=rows)
    assert cache.allowed(1, 1, 7, BLOCK, "/1/2/")
    assert cache.scopes(1, 1, 7, BLOCK) == ["/1/"]


@pytest.mark.parametrize("bad", ["/1/5", "1/5/", "", "/1/5/23"])
def test_paths_without_slashes_are_rejected(bad):
    cache, _db = single([(7, OPERATOR, "/1/5/")])
    with pytest.raises(ValueError):
        cache.allowed(1, 1, 7, BLOCK, bad)


def test_scope_without_trailing_slash_is_rejected_at_load():
    cache, _db = single([(7, OPERATOR, "/1/5")])
    with pytest.raises(ValueError):
        cache.allowed(1, 1, 7, BLOCK, "/1/5/")


def test_loader_returning_another_company_is_rejected():
    cache = EnforcerCache(lambda company_id: policy(company_id=2))
    with pytest.raises(ValueError):
        cache.allowed(1, 1, 7, BLOCK, "/")


def test_casbin_keeps_one_role_manager_per_scope_not_per_node():
    cache, _db = single([(7, OPERATOR, "/1/5/"), (8, VIEWER, "/2/")])
    for node in range(200):
        cache.allowed(1, 1, 7, BLOCK, f"/1/5/{node}/")
        cache.allowed(1, 1, 7, BLOCK, f"/9/{node}/")
    domains = cache.enforcer(1, 1).get_role_manager().rm_map
    assert set(domains) <= {"/1/5/", "/2/", ""}


# --- scopes() and permissions_at() -----------------------------------------------------


def test_scopes_are_minimised():
    cache, _db = single(
        [
            (7, OPERATOR, "/1/5/23/"),
            (7, OPERATOR, "/1/5/"),
            (7, OPERATOR, "/1/50/"),
            (7, VIEWER, "/2/"),  # VIEWER lacks lines.block
            (8, OPERATOR, "/3/"),  # another user
        ]
    )
    assert cache.scopes(1, 1, 7, BLOCK) == ["/1/5/", "/1/50/"]
    assert cache.scopes(1, 1, 7, VIEW) == ["/1/5/", "/1/50/", "/2/"]
    assert cache.scopes(1, 1, 7, EXPORT) == []
    assert cache.scopes(1, 1, 7, "") == []  # "" is a wildcard in casbin's filters


def test_company_wide_scope_swallows_the_others():
    cache, _db = single([(7, OPERATOR, "/1/5/"), (7, VIEWER, "/"), (7, VIEWER, "/4/")])
    assert cache.scopes(1, 1, 7, VIEW) == ["/"]
    assert cache.scopes(1, 1, 7, BLOCK) == ["/1/5/"]


def test_scopes_result_is_a_fresh_list():
    cache, _db = single([(7, OPERATOR, "/1/")])
    cache.scopes(1, 1, 7, BLOCK).append("/oops/")
    assert cache.scopes(1, 1, 7, BLOCK) == ["/1/"]


def test_minimise_scopes():
    assert minimise_scopes([]) == []
    assert minimise_scopes(["/1/5/", "/1/50/", "/1/5/7/"]) == ["/1/5/", "/1/50/"]
    assert minimise_scopes(["/2/", "/", "/1/"]) == ["/"]


def test_permissions_at():
    cache, _db = single(
        [(7, OPERATOR, "/1/5/"), (7, VIEWER, "/1/")],
        role_permissions=((OPERATOR, BLOCK), (OPERATOR, VIEW), (VIEWER, VIEW), (VIEWER, EXPORT)),
    )
    assert cache.permissions_at(1, 1, 7, "/1/5/23/") == {BLOCK, VIEW, EXPORT}
    assert cache.permissions_at(1, 1, 7, "/1/6/") == {VIEW, EXPORT}
    assert cache.permissions_at(1, 1, 7, "/1/50/") == {VIEW, EXPORT}
    assert cache.permissions_at(1, 1, 7, "/") == set()
    assert cache.permissions_at(1, 1, 999, "/1/5/") == set()
    cache.permissions_at(1, 1, 7, "/1/6/").add("mutated")
    assert cache.permissions_at(1, 1, 7, "/1/6/") == {VIEW, EXPORT}


# --- versions, LRU, isolation ----------------------------------------------------------


def test_same_version_does_not_call_the_loader_again():
    cache, db = single([(7, OPERATOR, "/")])
    for _ in range(5):
        assert cache.allowed(1, 1, 7, BLOCK, "/1/")
        cache.scopes(1, 1, 7, BLOCK)
        cache.permissions_at(1, 1, 7, "/2/")
    assert db.calls == [1]
    assert cache.enforcer(1, 1) is cache.enforcer(1, 1)


def test_version_bump_reloads_and_new_policy_takes_effect():
    cache, db = single([(7, OPERATOR, "/")])
    assert cache.allowed(1, 1, 7, BLOCK, "/1/")  # memoised True
    old = cache.enforcer(1, 1)
    db.put(policy(version=2, assignments=[(7, VIEWER, "/")]))
    assert not cache.allowed(1, 2, 7, BLOCK, "/1/")
    assert cache.allowed(1, 2, 7, VIEW, "/1/")
    assert cache.scopes(1, 2, 7, BLOCK) == []
    assert db.calls == [1, 1]
    assert cache.enforcer(1, 2) is not old


def test_entry_is_keyed_by_the_loaded_version():
    # The row was bumped between the caller's read and the loader's: the entry holds v3.
    db = FakeDB(policy(version=3, assignments=[(7, OPERATOR, "/")]))
    cache = EnforcerCache(db)
    assert cache.allowed(1, 2, 7, BLOCK, "/")
    assert cache.allowed(1, 3, 7, BLOCK, "/")
    assert db.calls == [1]


def test_invalidate():
    db = FakeDB(policy(1, assignments=[(7, OPERATOR, "/")]), policy(2))
    cache = EnforcerCache(db)
    cache.allowed(1, 1, 7, BLOCK, "/")
    cache.allowed(2, 1, 7, BLOCK, "/")
    cache.invalidate(1)
    cache.allowed(1, 1, 7, BLOCK, "/")
    cache.allowed(2, 1, 7, BLOCK, "/")
    assert db.calls == [1, 2, 1]
    cache.invalidate()
    cache.allowed(1, 1, 7, BLOCK, "/")
    cache.allowed(2, 1, 7, BLOCK, "/")
    assert db.calls == [1, 2, 1, 1, 2]
    cache.invalidate(42)  # unknown company: no error


def test_lru_evicts_the_least_recently_used_company():
    db = FakeDB(*(policy(c, assignments=[(7, OPERATOR, "/")]) for c in (1, 2, 3)))
    cache = EnforcerCache(db, max_companies=2)
    cache.allowed(1, 1, 7, BLOCK, "/")
    cache.allowed(2, 1, 7, BLOCK, "/")
    cache.allowed(1, 1, 7, BLOCK, "/")  # 1 is now more recent than 2
    cache.allowed(3, 1, 7, BLOCK, "/")  # evicts 2
    assert db.calls == [1, 2, 3]
    cache.allowed(1, 1, 7, BLOCK, "/")
    cache.allowed(3, 1, 7, BLOCK, "/")
    assert db.calls == [1, 2, 3]
    cache.allowed(2, 1, 7, BLOCK, "/")
    assert db.calls == [1, 2, 3, 2]


def test_memo_is_bounded():
    cache = EnforcerCache(FakeDB(policy(assignments=[(7, OPERATOR, "/")])), memo_size=10)
    for user in range(100):
        cache.allowed(1, 1, user, BLOCK, "/")
    assert cache.allowed(1, 1, 7, BLOCK, "/")
    assert len(cache._entries[1].memo) <= 10


def test_companies_are_isolated():
    # Same user id, same role ids, different companies.
    db = FakeDB(
        policy(1, assignments=[(7, OPERATOR, "/")]),
        policy(2, role_permissions=((OPERATOR, VIEW),), assignments=[(7, OPERATOR, "/4/")]),
        policy(3),
    )
    cache = EnforcerCache(db)
    assert cache.allowed(1, 1, 7, BLOCK, "/4/")
    assert not cache.allowed(2, 1, 7, BLOCK, "/4/")
    assert cache.allowed(2, 1, 7, VIEW, "/4/")
    assert not cache.allowed(2, 1, 7, VIEW, "/5/")
    assert not cache.allowed(3, 1, 7, VIEW, "/")
    assert cache.scopes(1, 1, 7, VIEW) == ["/"]
    assert cache.scopes(2, 1, 7, VIEW) == ["/4/"]
    assert cache.scopes(3, 1, 7, VIEW) == []
    assert cache.permissions_at(2, 1, 7, "/4/") == {VIEW}
    assert cache.permissions_at(3, 1, 7, "/4/") == set()


# --- threads -------------------------------------------------------------------------------


def versioned_policy(company_id, version):
    """Policy whose grant depends on the version: user 7 may block only in even versions."""
    role = OPERATOR if version % 2 == 0 else VIEWER
    return policy(company_id, version, assignments=[(7, role, f"/{company_id}/")])


def test_threads_hammering_while_versions_change():
    # Each thread sees its own "transaction snapshot" of the version, as a request does:
    # the loader then returns that version's policy, so every answer is exact.
    snapshot = threading.local()

    def loader(company_id):
        return versioned_policy(company_id, snapshot.version)

    cache = EnforcerCache(loader, max_companies=2, memo_size=16)
    errors = []

    def worker(seed):
        rnd = random.Random(seed)
        try:
            for _ in range(300):
                company = rnd.randint(1, 3)
                snapshot.version = rnd.randint(1, 4)
                path = f"/{company}/{rnd.randint(1, 3)}/"
                expected_block = snapshot.version % 2 == 0
                got = cache.allowed(company, snapshot.version, 7, BLOCK, path)
                assert got is expected_block
                assert cache.allowed(company, snapshot.version, 7, VIEW, path)
                assert not cache.allowed(company, snapshot.version, 7, VIEW, "/9/")
                assert cache.scopes(company, snapshot.version, 7, VIEW) == [f"/{company}/"]
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_misses_load_the_company_once():
    calls = []

    def slow_loader(company_id):
        calls.append(company_id)
        time.sleep(0.05)
        return policy(company_id, assignments=[(7, OPERATOR, "/")])

    cache = EnforcerCache(slow_loader)
    barrier = threading.Barrier(8)
    results = []

    def worker():
        barrier.wait()
        results.append(cache.allowed(1, 1, 7, BLOCK, "/1/"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert results == [True] * 8


# --- property test against an independent model -------------------------------------------

# Node ids chosen so that string prefixes that are not path prefixes occur ("/1/" vs "/12/").
NODE_IDS = st.sampled_from([1, 2, 12, 5, 50])
PATHS = st.lists(NODE_IDS, max_size=3).map(lambda ids: "/" + "".join(f"{i}/" for i in ids))
PERMS = st.sampled_from(["a.view", "a.edit", "b.view", "b.block"])
ROLES = st.integers(min_value=1, max_value=4)
USERS = st.integers(min_value=1, max_value=4)


def model_allowed(role_permissions, assignments, user, permission, path):
    """The reference: some assignment of the user covers path and its role grants it."""
    return any(
        u == user and (r, permission) in role_permissions and path[: len(s)] == s
        for u, r, s in assignments
    )


@settings(max_examples=150, deadline=None)
@given(
    role_permissions=st.lists(st.tuples(ROLES, PERMS), max_size=10),
    assignments=st.lists(st.tuples(USERS, ROLES, PATHS), max_size=8),
    queries=st.lists(st.tuples(USERS, PERMS, PATHS), min_size=1, max_size=15),
)
def test_allowed_matches_the_reference_model(role_permissions, assignments, queries):
    db = FakeDB(policy(role_permissions=role_permissions, assignments=assignments))
    cache = EnforcerCache(db)
    all_perms = {p for _r, p in role_permissions}
    for user, permission, path in queries + queries:  # twice: memo hits too
        expected = model_allowed(role_permissions, assignments, user, permission, path)
        assert cache.allowed(1, 1, user, permission, path) is expected
        scopes = cache.scopes(1, 1, user, permission)
        assert any(path.startswith(s) for s in scopes) is expected
        assert all(not a.startswith(b) for a in scopes for b in scopes if a != b)
        expected_perms = {
            p for p in all_perms if model_allowed(role_permissions, assignments, user, p, path)
        }
        assert cache.permissions_at(1, 1, user, path) == expected_perms
