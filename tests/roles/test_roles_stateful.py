"""Random sequences of grant, revoke, create/edit custom role, move node and disable user,
checked after each step against a small independent model of who may see and do what.
No step may ever give anyone access to another company's lines."""


import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select, update

from core.errors import Conflict, NotFound
from core.extensions import db
from corp.models import Line
from hierarchy.models import Node
from roles import access
from roles import service as role_service
from roles import users as user_service
from roles.models import Role
from tests.factories import make_line, make_user

CHECKED = ("lines.view", "lines.block", "reports.view")
PERMS = st.lists(st.sampled_from(["lines.view", "lines.block", "reports.view", "lines.sms"]),
                 min_size=1, max_size=3, unique=True)


def move_node(node: Node, new_parent: Node) -> None:
    """Re-hang a node: its and its descendants' paths change, and the policy version."""
    old = node.path
    new = f"{new_parent.path}{node.id}/"
    for n in db.session.scalars(select(Node).where(Node.company_id == node.company_id,
                                                   Node.path.startswith(old))):
        n.path = new + n.path[len(old):]
        n.depth = n.path.count("/") - 2
    node.parent_id = new_parent.id
    db.session.flush()
    access.bump_policy_version(node.company_id)


class Policies(RuleBasedStateMachine):
    """Two companies, a few nodes with one line each, users, roles; the model mirrors them."""

    def __init__(self):
        super().__init__()
        self.tx = db.session.begin_nested()
        from auth.models import User

        self.admins = {1: db.session.scalar(select(User).where(
            User.email == "admin@romashka.example")), 2: db.session.scalar(select(User).where(
                User.email == "admin@vector.example"))}
        self.nodes, self.lines, self.parent, self.company_of = {}, {}, {}, {}
        for company, names in ((1, ("A1", "A2", "A3")), (2, ("B1", "B2"))):
            root = db.session.scalar(select(Node).where(Node.company_id == company,
                                                        Node.parent_id.is_(None)))
            for name in names:
                node = Node(company_id=company, parent_id=root.id, name=f"SM-{name}",
                            kind="department", depth=1)
                db.session.add(node)
                db.session.flush()
                node.path = f"{root.path}{node.id}/"
                self.nodes[name] = node
                self.parent[name] = None
                self.company_of[name] = company
                self.lines[name] = make_line(company, node)
        self.users = {}
        for company, names in ((1, ("u1", "u2")), (2, ("v1",))):
            for name in names:
                self.users[name] = make_user(company, email=f"sm.{name}@test.example")
        self.user_company = {"u1": 1, "u2": 1, "v1": 2}
        self.active = dict.fromkeys(self.users, True)
        # model: role name -> (company or None, permissions); assignments: set of triples
        self.role_ids = {}
        self.role_perms = {}
        self.role_company = {}
        for key in ("viewer", "line_operator", "accountant"):
            role = role_service.predefined_role(key)
            self.role_ids[key] = role.id
            self.role_perms[key] = set(role.permission_names)
            self.role_company[key] = None
        self.assignments = {}  # (user, role, node or None) -> assignment id
        self.custom = 0
        self._grant("u1", "viewer", "A1")
        self._grant("u2", "line_operator", "A2")
        self._grant("v1", "viewer", "B1")

    def teardown(self):
        self.tx.rollback()
        access.enforcer_cache().invalidate()
        db.session.info.clear()

    # --- the model -------------------------------------------------------------------

    def ancestors(self, name):
        out = [name]
        while self.parent[out[-1]]:
            out.append(self.parent[out[-1]])
        return out

    def allowed(self, user, permission, line_node):
        if not self.active[user] or self.company_of[line_node] != self.user_company[user]:
            return False
        chain = self.ancestors(line_node)
        return any(permission in self.role_perms[r] and (n is None or n in chain)
                   for (u, r, n) in self.assignments if u == user)

    # --- rules ----------------------------------------------------------------------

    def _grant(self, user, role, node):
        assignment = user_service.grant(
            self.admins[self.user_company[user]], self.users[user].id, self.role_ids[role],
            self.nodes[node].id if node else None)
        self.assignments[(user, role, node)] = assignment.id

    @rule(data=st.data(), user=st.sampled_from(["u1", "u2", "v1"]))
    def grant(self, data, user):
        company = self.user_company[user]
        role = data.draw(st.sampled_from(sorted(
            r for r, c in self.role_company.items() if c in (None, company))))
        node = data.draw(st.sampled_from(
            [None] + sorted(n for n, c in self.company_of.items() if c == company)))
        if (user, role, node) in self.assignments:
            with pytest.raises(Conflict):
                self._grant(user, role, node)
            return
        self._grant(user, role, node)

    @rule(data=st.data(), user=st.sampled_from(["u1", "u2", "v1"]))
    def grant_across_companies(self, data, user):
        """Another company's node or custom role is never found, whoever asks."""
        company = self.user_company[user]
        foreign_nodes = sorted(n for n, c in self.company_of.items() if c != company)
        foreign_roles = sorted(r for r, c in self.role_company.items() if c not in (None,
                                                                                   company))
        role = data.draw(st.sampled_from(foreign_roles or ["viewer"]))
        node = data.draw(st.sampled_from(foreign_nodes)) if role == "viewer" or \
            data.draw(st.booleans()) else None
        with pytest.raises(NotFound):
            user_service.grant(self.admins[company], self.users[user].id, self.role_ids[role],
                               self.nodes[node].id if node else None)

    @rule(data=st.data())
    def revoke(self, data):
        if not self.assignments:
            return
        key = data.draw(st.sampled_from(sorted(self.assignments, key=str)))
        user = key[0]
        user_service.revoke(self.admins[self.user_company[user]], self.users[user].id,
                            self.assignments.pop(key))

    @rule(company=st.sampled_from([1, 2]), perms=PERMS)
    def create_custom_role(self, company, perms):
        if self.custom >= 3:
            return
        self.custom += 1
        name = f"c{self.custom}"
        role = role_service.create_role(self.admins[company], f"SM {name}", perms)
        self.role_ids[name], self.role_perms[name] = role.id, set(perms)
        self.role_company[name] = company

    @rule(role=st.sampled_from(["c1", "c2", "c3"]), perms=PERMS,
          as_company=st.sampled_from([1, 2]))
    def edit_role(self, role, perms, as_company):
        if role not in self.role_ids:
            return
        try:
            role_service.update_role(self.admins[as_company], self.role_ids[role],
                                     permissions=perms)
        except NotFound:
            assert self.role_company[role] != as_company
            return
        assert self.role_company[role] == as_company, "another company's role was edited"
        self.role_perms[role] = set(perms)

    @rule(node=st.sampled_from(["A1", "A2", "A3", "B1", "B2"]),
          new_parent=st.sampled_from(["A1", "A2", "A3", "B1", "B2", None]))
    def move(self, node, new_parent):
        if new_parent is not None and (self.company_of[new_parent] != self.company_of[node]
                                       or node in self.ancestors(new_parent)):
            return
        target = self.nodes[new_parent] if new_parent else db.session.get(
            Node, db.session.scalar(select(Node.id).where(
                Node.company_id == self.company_of[node], Node.parent_id.is_(None))))
        move_node(self.nodes[node], target)
        self.parent[node] = new_parent

    @rule(user=st.sampled_from(["u1", "u2", "v1"]), active=st.booleans())
    def set_active(self, user, active):
        user_service.update_user(self.admins[self.user_company[user]], self.users[user].id,
                                 active=active)
        self.active[user] = active

    # --- the check ------------------------------------------------------------------

    @invariant()
    def access_matches_the_model(self):
        from corp.service import scoped_lines

        line_ids = {name: line.id for name, line in self.lines.items()}
        paths = dict(db.session.execute(select(Node.id, Node.path).where(
            Node.id.in_([n.id for n in self.nodes.values()]))).all())
        for user, row in self.users.items():
            for permission in CHECKED:
                seen = set(db.session.scalars(
                    scoped_lines(row, permission).where(Line.id.in_(line_ids.values()))
                    .with_only_columns(Line.id)))
                want = {line_ids[n] for n in line_ids if self.allowed(user, permission, n)}
                assert seen == want, (user, permission)
                for n in line_ids:
                    if self.company_of[n] == self.user_company[user]:
                        assert access.can(row, permission, paths[self.nodes[n].id]) == \
                            self.allowed(user, permission, n), (user, permission, n)


def test_random_policy_changes_match_the_model(app):
    db.session.execute(update(Role).where(Role.id < 0).values(name=Role.name))  # open tx
    run_state_machine_as_test(
        Policies,
        settings=settings(max_examples=40, stateful_step_count=12, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )



