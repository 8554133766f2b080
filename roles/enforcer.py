"""Per-company, versioned pycasbin enforcers with scope-path (prefix) domain matching.

Design
------
* One small ``casbin.Enforcer`` per company, built from ``roles/rbac_model.conf`` with the
  company's rows added in memory.  pycasbin evaluates the matcher once per policy row, so a
  single enforcer holding every company's rows costs time proportional to the number of
  tenants (measured ~9 ms/check at 100 companies, ~86 ms at 1,000).  Per-company enforcers
  keep a check proportional to one company's ~100 rows, and tenant isolation is structural:
  a company's enforcer simply contains nothing of another company.
* Versioned: the caller reads ``companies.policy_version`` on every request and passes it in.
  A cached enforcer is used only while its version equals that number; otherwise the loader
  is called and the enforcer rebuilt.  Gunicorn workers share no memory, so this is how a
  change made in one process reaches the others on their next request.
* Grouping rules are ``(user, role, scope_path)``.  A domain matching function registered on
  the "g" role manager makes a rule in domain ``"/1/5/"`` apply to any request domain that
  starts with it (``"/1/5/23/"``), so one assignment covers a whole subtree.  Paths always
  start and end with "/": without the trailing slash ``"/1/5"`` would also cover ``"/1/50/"``.
* pycasbin's DomainManager builds and keeps one role manager per distinct request domain, each
  holding every link that applies there (~30 KB for 50 users).  Asking with raw node paths
  would grow that per node ever touched, so a request path is first mapped to its *anchor*:
  the deepest scope path of the company that is a prefix of it.  The scopes that are prefixes
  of a path are nested, so they are exactly the scopes that are prefixes of its anchor, and
  the answer is unchanged while casbin keeps at most one role manager per scope path.
* A bounded memo per enforcer caches answers keyed by (user, permission, anchor); it lives on
  the cache entry, so a rebuild (new version) starts with an empty memo.
* LRU over companies with one lock for the map, and striped locks so that a company is
  loaded once when several threads miss at the same time.
* Every call into a casbin enforcer holds one process-wide lock.  pycasbin makes no
  thread-safety promise (role managers are built lazily inside ``enforce``), and it runs
  ``ast.parse`` on the matcher in every ``enforce``: on CPython < 3.11.8 concurrent
  ``ast.parse`` calls race on a global recursion counter and raise
  ``SystemError: AST constructor recursion depth mismatch`` (gh-106905; reproduced here with
  8 threads on separate enforcers).  casbin is pure Python, so under the GIL the lock costs
  no throughput; memo hits do not take it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import casbin

MODEL_PATH = str(Path(__file__).with_name("rbac_model.conf"))

# Not a valid path (they all start with "/"), so no scope ever covers it: the domain used
# for a request path that no assignment of the company covers.
_NO_SCOPE = ""
_LOCK_STRIPES = 64
# Serialises all calls into casbin (see the module docstring).
CASBIN_LOCK = threading.Lock()


@dataclass(frozen=True)
class CompanyPolicy:
    """A snapshot of one company's roles and assignments, as read by the loader."""

    company_id: int
    version: int
    role_permissions: tuple[tuple[int, str], ...]  # (role_id, permission)
    assignments: tuple[tuple[int, int, str], ...]  # (user_id, role_id, scope_path)


def _is_path(path: object) -> bool:
    """Tell whether *path* is a materialised path such as "/" or "/1/5/"."""
    return isinstance(path, str) and path.startswith("/") and path.endswith("/")


def _scope_covers(request_path: str, scope_path: str) -> bool:
    """Domain matching function: the request path lies in the subtree at scope_path."""
    return request_path.startswith(scope_path)


def _anchor(path: str, scope_paths: frozenset[str]) -> str:
    """Return the deepest scope path that is a prefix of *path*, or _NO_SCOPE."""
    # Visit every prefix of path ending in "/", deepest first: with scopes that end in "/"
    # these are the only candidates for path.startswith(scope).
    end = len(path)
    while end > 0:
        prefix = path[:end]
        if prefix in scope_paths:
            return prefix
        end = path.rfind("/", 0, end - 1) + 1
    return _NO_SCOPE


def minimise_scopes(paths) -> list[str]:
    """Drop every path covered by a shorter one in *paths*; sorted, "/" covers everything."""
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return sorted(kept)


def build_enforcer(policy: CompanyPolicy) -> casbin.Enforcer:
    """Build a casbin enforcer holding *policy*'s rows, in memory, with prefix domains."""
    for _user, _role, scope in policy.assignments:
        if not _is_path(scope):
            raise ValueError(f"scope path must start and end with '/': {scope!r}")
    enforcer = casbin.Enforcer(MODEL_PATH)
    # DomainManager's default name matcher is an equality lambda; having any matcher makes
    # every per-domain role manager rescan all roles for each link (quadratic build on the
    # first check in each domain) for no effect, since our names are exact.
    enforcer.add_named_matching_func("g", None)
    # Registered before any link is added; pycasbin's DomainManager builds per-domain role
    # managers lazily from all links and drops them whenever this function changes, so the
    # links are (re)built with prefix matching either way.
    enforcer.add_named_domain_matching_func("g", _scope_covers)
    # add_policies rejects the whole batch if one rule already exists, and
    # add_grouping_policies then still adds role links for rows it did not store: dedupe.
    p_rules = [[f"role:{r}", perm] for r, perm in dict.fromkeys(policy.role_permissions)]
    g_rules = [[f"user:{u}", f"role:{r}", s] for u, r, s in dict.fromkeys(policy.assignments)]
    if p_rules:
        enforcer.add_policies(p_rules)
    if g_rules:
        enforcer.add_grouping_policies(g_rules)
    return enforcer


class _Entry:
    """A cached enforcer with its version, the company's scope paths and the answer memo."""

    __slots__ = ("version", "enforcer", "scope_paths", "memo")

    def __init__(self, version: int, enforcer: casbin.Enforcer, scope_paths: frozenset[str]):
        self.version = version
        self.enforcer = enforcer
        self.scope_paths = scope_paths
        self.memo: dict = {}


class EnforcerCache:
    """LRU of per-company enforcers, rebuilt when the company's policy version changes."""

    def __init__(
        self,
        loader: Callable[[int], CompanyPolicy],
        max_companies: int = 256,
        memo_size: int = 1024,
    ):
        """Cache up to *max_companies* enforcers; *memo_size* answers each (0 = no memo)."""
        if max_companies < 1:
            raise ValueError("max_companies must be at least 1")
        self._loader = loader
        self._max_companies = max_companies
        self._memo_size = memo_size
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def _cached(self, company_id: int, version: int) -> _Entry | None:
        """Return the entry if it holds *version*, marking it recently used."""
        with self._lock:
            entry = self._entries.get(company_id)
            if entry is not None and entry.version == version:
                self._entries.move_to_end(company_id)
                return entry
        return None

    def _entry(self, company_id: int, current_version: int) -> _Entry:
        """Return the company's entry at *current_version*, loading it if needed."""
        entry = self._cached(company_id, current_version)
        if entry is not None:
            return entry
        # Load outside the map lock (the loader hits the database), but only one thread
        # per company: the others wait here and then find the fresh entry.
        with self._load_locks[hash(company_id) % _LOCK_STRIPES]:
            entry = self._cached(company_id, current_version)
            if entry is not None:
                return entry
            policy = self._loader(company_id)
            if policy.company_id != company_id:
                raise ValueError(
                    f"loader returned company {policy.company_id} for company {company_id}"
                )
            scope_paths = frozenset(scope for _u, _r, scope in policy.assignments)
            with CASBIN_LOCK:
                enforcer = build_enforcer(policy)
            # Keyed by the loader's version, not the caller's: if the row changed between
            # the two reads the entry must not claim a version whose data it does not hold.
            entry = _Entry(policy.version, enforcer, scope_paths)
            with self._lock:
                self._entries[company_id] = entry
                self._entries.move_to_end(company_id)
                while len(self._entries) > self._max_companies:
                    self._entries.popitem(last=False)
            return entry

    def _remember(self, entry: _Entry, key, value):
        """Store *value* in the entry's memo (caller holds CASBIN_LOCK); return it."""
        if self._memo_size > 0:
            if len(entry.memo) >= self._memo_size:
                # Evict the oldest insertion: cheap, and hot keys are re-added at once.
                del entry.memo[next(iter(entry.memo))]
            entry.memo[key] = value
        return value

    def enforcer(self, company_id: int, current_version: int) -> casbin.Enforcer:
        """Return the company's enforcer for *current_version*; call it under CASBIN_LOCK."""
        return self._entry(company_id, current_version).enforcer

    def allowed(
        self, company_id: int, version: int, user_id: int, permission: str, path: str
    ) -> bool:
        """Tell whether the user holds *permission* on the node at materialised *path*."""
        if not _is_path(path):
            # A path without its trailing slash would silently match the wrong subtrees.
            raise ValueError(f"path must start and end with '/': {path!r}")
        entry = self._entry(company_id, version)
        anchor = _anchor(path, entry.scope_paths)
        key = (user_id, permission, anchor)
        result = entry.memo.get(key)
        if result is not None:
            return result
        with CASBIN_LOCK:
            result = entry.enforcer.enforce(f"user:{user_id}", anchor, permission)
            return self._remember(entry, key, bool(result))

    def scopes(self, company_id: int, version: int, user_id: int, permission: str) -> list[str]:
        """Return the minimal scope paths on which the user holds *permission*."""
        entry = self._entry(company_id, version)
        if not permission:
            return []  # casbin's policy filters treat "" as "any value"
        key = ("scopes", user_id, permission)
        result = entry.memo.get(key)
        if result is None:
            with CASBIN_LOCK:
                enforcer = entry.enforcer
                roles = {sub for sub, _act in enforcer.get_filtered_policy(1, permission)}
                assigned = enforcer.get_filtered_grouping_policy(0, f"user:{user_id}")
                paths = (scope for _user, role, scope in assigned if role in roles)
                result = self._remember(entry, key, tuple(minimise_scopes(paths)))
        return list(result)

    def permissions_at(self, company_id: int, version: int, user_id: int, path: str) -> set[str]:
        """Return every permission the user holds on the node at materialised *path*."""
        if not _is_path(path):
            raise ValueError(f"path must start and end with '/': {path!r}")
        entry = self._entry(company_id, version)
        anchor = _anchor(path, entry.scope_paths)
        key = ("permissions", user_id, anchor)
        result = entry.memo.get(key)
        if result is None:
            with CASBIN_LOCK:
                enforcer = entry.enforcer
                # Same role manager and domain matching as enforce() uses for g().
                roles = enforcer.get_roles_for_user_in_domain(f"user:{user_id}", anchor)
                perms = frozenset(
                    act for role in roles for _sub, act in enforcer.get_filtered_policy(0, role)
                )
                result = self._remember(entry, key, perms)
        return set(result)

    def invalidate(self, company_id: int | None = None) -> None:
        """Drop one company's enforcer, or all of them when *company_id* is None."""
        with self._lock:
            if company_id is None:
                self._entries.clear()
            else:
                self._entries.pop(company_id, None)
