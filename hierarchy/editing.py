"""Changing the tree and placing lines on it: create, rename, move, delete, move lines, edit
the employee of a line.

Scope rule: a user holding ``hierarchy.manage`` on a node manages that subtree only. Every
node touched (the node, its old and new parent) and every line moved must lie in that scope;
a node or line the actor cannot even see is a 404. Node moves rewrite the descendants' paths
with one UPDATE (prefix replace) and bump the company's policy version, because role scopes
are node paths.
"""

import re

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, update

from auth.models import User
from core.audit import record, record_refusal
from core.db import utcnow
from core.downloads import FORMULA_START
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from core.validation import clean_email
from corp.models import Line, LineEvent, line_search_text
from corp.service import filtered_lines
from hierarchy.models import NODE_KINDS, Node
from roles import access
from roles.models import Assignment

MANAGE = "hierarchy.manage"
EDITABLE_KINDS = tuple(k for k in NODE_KINDS if k != "root")
NAME_MAX = 120
COST_CENTRE_MAX = 40
MAX_DEPTH = 30
EMPLOYEE_LIMITS = {"name": 200, "position": 200, "email": 200, "personnel_number": 40}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- validation shared by the editor, the API and the spreadsheet import ----------------------


def clean_name(value) -> str:
    """A node name: 1–120 characters, no "/", no control characters, no formula start."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput({"name": _("Enter a name.")})
    name = " ".join(value.split())
    if len(name) > NAME_MAX:
        raise InvalidInput(
            {"name": _("The name is too long (%(n)s characters at most).", n=NAME_MAX)})
    if "/" in name or _CONTROL.search(value):
        raise InvalidInput({"name": _("The name may not contain \"/\" or control characters.")})
    if name.startswith(FORMULA_START):
        raise InvalidInput({"name": _("The name may not start with = + - or @.")})
    return name


def clean_kind(value) -> str:
    if value not in EDITABLE_KINDS:
        raise InvalidInput({"kind": _("Choose one of: %(k)s.", k=", ".join(EDITABLE_KINDS))})
    return value


def clean_cost_centre(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput({"cost_centre": _("The cost centre must be text.")})
    value = value.strip()
    if not value:
        return None
    if len(value) > COST_CENTRE_MAX:
        raise InvalidInput(
            {"cost_centre": _("The cost centre is too long (%(n)s characters at most).",
                              n=COST_CENTRE_MAX)}
        )
    if _CONTROL.search(value) or value.startswith(FORMULA_START):
        raise InvalidInput({"cost_centre": _("The cost centre contains characters not allowed.")})
    return value


def clean_employee(fields: dict) -> dict:
    """Employee fields of a line (any subset of name, position, email, personnel_number)."""
    cleaned, errors = {}, {}
    for key, value in fields.items():
        if key not in EMPLOYEE_LIMITS:
            errors[key] = _("Unknown field.")
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = _("Must be text.")
            continue
        value = " ".join(value.split())
        if len(value) > EMPLOYEE_LIMITS[key]:
            errors[key] = _("Too long (%(n)s characters at most).", n=EMPLOYEE_LIMITS[key])
        elif _CONTROL.search(value):
            errors[key] = _("Contains control characters.")
        elif value.startswith(("=", "@")):  # "+7…" and "-" are common here; the export
            # neutralises every formula start anyway (core.downloads.safe_cell)
            errors[key] = _("May not start with = or @.")
        elif key == "email" and value and clean_email(value) is None:
            errors[key] = _("Enter a valid e-mail address.")
        else:
            cleaned[key] = value
    if errors:
        raise InvalidInput(errors)
    return cleaned


# --- helpers -----------------------------------------------------------------------------------


def node_state(node: Node) -> dict:
    """What the audit log keeps of a node."""
    return {
        "name": node.name,
        "kind": node.kind,
        "cost_centre": node.cost_centre,
        "parent_id": node.parent_id,
        "path": node.path,
        "responsible_user_id": node.responsible_user_id,
    }


def manageable_node(actor, node_id, field: str = "node_id") -> Node:
    """A node the actor may manage: 404 when not visible, 403 (audited) when only visible."""
    if not isinstance(node_id, int) or isinstance(node_id, bool):
        raise InvalidInput({field: _("Give a node id.")})
    node = db.session.scalar(
        select(Node).where(Node.id == node_id, Node.company_id == actor.company_id)
    )
    if node is None or not (access.can(actor, "lines.view", node.path) or access.can(
            actor, MANAGE, node.path)):
        raise NotFound(_("No such node."))
    access.check_object(actor, MANAGE, node.path, action="hierarchy.denied",
                        object_type="node", object_id=str(node.id))
    return node


def _check_sibling_name(company_id, parent_id, name, exclude_id=None) -> None:
    query = select(Node.id).where(
        Node.company_id == company_id, Node.parent_id == parent_id, Node.name == name
    )
    if exclude_id is not None:
        query = query.where(Node.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(
            _("A node named \"%(name)s\" already exists there.", name=name), code="duplicate_name"
        )


def _responsible(actor, user_id):
    if user_id is None:
        return None
    user = db.session.scalar(
        select(User).where(User.id == user_id, User.company_id == actor.company_id)
    ) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise InvalidInput({"responsible_user_id": _("No such user in your company.")})
    return user.id


def _check_manage(actor, node: Node) -> None:
    """403 (audited) unless the actor manages the node's subtree (another company: 404)."""
    if node.company_id != actor.company_id:
        raise NotFound(_("No such node."))
    access.check_object(actor, MANAGE, node.path, action="hierarchy.denied",
                        object_type="node", object_id=str(node.id))


def _too_deep() -> str:
    return _("The tree may be %(n)s levels deep at most.", n=MAX_DEPTH)


def _expire_nodes() -> None:
    """Paths changed behind the ORM's back: reload every node held in the session."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Node):
            db.session.expire(obj)


# --- nodes -------------------------------------------------------------------------------------


def create_node(actor, *, name, parent_id, kind="department", cost_centre=None,
                responsible_user_id=None) -> Node:
    """A new node under a parent the actor manages."""
    parent = manageable_node(actor, parent_id, "parent_id")
    name = clean_name(name)
    kind = clean_kind(kind)
    cost_centre = clean_cost_centre(cost_centre)
    responsible = _responsible(actor, responsible_user_id)
    if parent.depth + 1 > MAX_DEPTH:
        raise InvalidInput({"parent_id": _too_deep()})
    _check_sibling_name(actor.company_id, parent.id, name)
    node = Node(company_id=actor.company_id, parent_id=parent.id, name=name, kind=kind,
                cost_centre=cost_centre, responsible_user_id=responsible, depth=parent.depth + 1,
                path="")
    db.session.add(node)
    db.session.flush()
    node.path = f"{parent.path}{node.id}/"
    db.session.flush()
    record("hierarchy.node_create", actor=actor, object_type="node", object_id=node.id,
           after=node_state(node))
    return node


def update_node(actor, node: Node, changes: dict) -> Node:
    """Rename, re-kind, set cost centre or responsible person, and/or move under a new parent."""
    _check_manage(actor, node)
    before = node_state(node)
    allowed = {"name", "kind", "cost_centre", "parent_id", "responsible_user_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput({k: _("Unknown field.") for k in sorted(unknown)})
    if node.parent_id is None and ({"parent_id", "kind"} & set(changes)):
        raise InvalidInput({"parent_id": _("The company's root cannot be moved or re-kinded.")})
    name = clean_name(changes["name"]) if "name" in changes else node.name
    if "kind" in changes:
        node.kind = clean_kind(changes["kind"])
    if "cost_centre" in changes:
        node.cost_centre = clean_cost_centre(changes["cost_centre"])
    if "responsible_user_id" in changes:
        node.responsible_user_id = _responsible(actor, changes["responsible_user_id"])
    moving = "parent_id" in changes and changes["parent_id"] != node.parent_id
    if moving:
        new_parent = manageable_node(actor, changes["parent_id"], "parent_id")
        _check_sibling_name(actor.company_id, new_parent.id, name, exclude_id=node.id)
        move_subtree(actor, node, new_parent)
    elif name != node.name:
        _check_sibling_name(actor.company_id, node.parent_id, name, exclude_id=node.id)
    node.name = name
    db.session.flush()
    after = node_state(node)
    if after != before:
        record("hierarchy.node_update", actor=actor, object_type="node", object_id=node.id,
               before=before, after=after)
    return node


def move_subtree(actor, node: Node, new_parent: Node) -> None:
    """Re-hang a node under a new parent: one UPDATE rewrites every descendant's path."""
    if new_parent.path.startswith(node.path):
        raise Conflict(
            _("\"%(node)s\" cannot be moved into itself or one of its own sub-nodes.",
              node=node.name), code="cycle",
        )
    old_prefix, new_prefix = node.path, f"{new_parent.path}{node.id}/"
    delta = new_parent.depth + 1 - node.depth
    deepest = db.session.scalar(
        select(func.max(Node.depth)).where(
            Node.company_id == node.company_id, Node.path.startswith(old_prefix, autoescape=True)
        )
    ) or node.depth
    if deepest + delta > MAX_DEPTH:
        raise InvalidInput({"parent_id": _too_deep()})
    db.session.flush()
    db.session.execute(
        update(Node)
        .where(Node.company_id == node.company_id,
               Node.path.startswith(old_prefix, autoescape=True))
        .values(path=literal(new_prefix) + func.substr(Node.path, len(old_prefix) + 1),
                depth=Node.depth + delta)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Node).where(Node.id == node.id).values(parent_id=new_parent.id)
        .execution_options(synchronize_session=False)
    )
    _expire_nodes()
    access.bump_policy_version(node.company_id)


def delete_node(actor, node: Node, move_to_id=None) -> None:
    """Delete a node; its lines and sub-nodes go to ``move_to`` (required when it has any)."""
    _check_manage(actor, node)
    node_id = node.id
    if node.parent_id is None:
        raise Conflict(_("The company's root cannot be deleted."), code="root")
    line_count = db.session.scalar(select(func.count()).where(Line.node_id == node.id))
    children = db.session.scalars(select(Node).where(Node.parent_id == node.id)).all()
    holders = db.session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.node_id == node.id))
    if holders:
        raise Conflict(
            _("Users hold roles on this node: change their assignments before deleting it."),
            code="has_assignments",
        )
    before = node_state(node) | {"lines": line_count, "children": [c.id for c in children]}
    target = None
    if line_count or children:
        if move_to_id is None:
            raise Conflict(
                _("\"%(node)s\" still holds %(lines)s lines and %(children)s sub-nodes: "
                  "say where to move them.", node=node.name, lines=line_count,
                  children=len(children)),
                code="not_empty",
            )
        target = manageable_node(actor, move_to_id, "move_to")
        if target.path.startswith(node.path):
            raise Conflict(_("Move the contents outside the node being deleted."), code="cycle")
        for child in children:
            _check_sibling_name(actor.company_id, target.id, child.name)
        for child in children:
            move_subtree(actor, child, target)
        if line_count:
            _move_line_rows(actor, select(Line.id, Line.node_id).where(Line.node_id == node.id),
                            target)
    db.session.delete(db.session.get(Node, node.id))
    db.session.flush()
    access.bump_policy_version(actor.company_id)
    record("hierarchy.node_delete", actor=actor, object_type="node", object_id=node_id,
           before=before, after={"moved_to": target.id if target else None})


# --- lines -------------------------------------------------------------------------------------


def _move_line_rows(actor, id_query, target: Node) -> int:
    """Move the lines selected by ``id_query`` (line id, node id) to ``target``; audit once."""
    rows = db.session.execute(id_query).all()
    moving = [(line_id, node_id) for line_id, node_id in rows if node_id != target.id]
    if not moving:
        return 0
    ids = [line_id for line_id, _node in moving]
    now = utcnow()
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        db.session.execute(
            update(Line).where(Line.id.in_(chunk))
            .values(node_id=target.id, version=Line.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    summary = _("Moved to \"%(node)s\"", node=target.name)[:300]
    write_line_events(
        {"line_id": i, "created_at": now, "kind": "hierarchy.move", "summary": summary}
        for i in ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Line):
            db.session.expire(obj)
    record(
        "lines.move", actor=actor, object_type="lines",
        object_id=str(ids[0]) if len(ids) == 1 else f"{len(ids)} lines",
        line_id=ids[0] if len(ids) == 1 else None,
        before={"node_of_line": {str(i): n for i, n in moving}},
        after={"node_id": target.id, "path": target.path, "count": len(ids)},
    )
    return len(ids)


def write_line_events(rows) -> None:
    """Add line history entries in one executemany."""
    rows = list(rows)
    if rows:
        db.session.connection().execute(LineEvent.__table__.insert(), rows)


def _check_lines_movable(actor, line_ids) -> None:
    """404 for lines the actor cannot see, 403 for visible lines outside the manage scope."""
    visible = set(db.session.scalars(
        select(Line.id).join(Node, Node.id == Line.node_id).where(
            Line.id.in_(line_ids), Line.company_id == actor.company_id,
            access.scope_filter(actor, "lines.view", Node.path) | access.scope_filter(
                actor, MANAGE, Node.path),
        )
    ))
    unknown = sorted(set(line_ids) - visible)
    if unknown:
        raise NotFound(_("Unknown lines: %(ids)s.", ids=", ".join(map(str, unknown[:20]))))
    managed = set(db.session.scalars(
        select(Line.id).join(Node, Node.id == Line.node_id).where(
            Line.id.in_(line_ids), access.scope_filter(actor, MANAGE, Node.path))
    ))
    if managed != visible:
        outside = sorted(visible - managed)
        record_refusal("hierarchy.denied", actor=actor, object_type="lines",
                       object_id=str(outside[0]),
                       detail=f"missing {MANAGE} on lines {outside[:20]}")
        raise PermissionDenied(_("You may not move some of these lines: %(ids)s.",
                                 ids=", ".join(map(str, outside[:20]))))


def move_lines(actor, line_ids, node_id) -> int:
    """Move the listed lines to a node; every line and the node must be in the manage scope."""
    if (not isinstance(line_ids, list) or not line_ids or len(line_ids) > 100_000
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in line_ids)):
        raise InvalidInput({"line_ids": _("Give a list of line ids (at most 100,000).")})
    target = manageable_node(actor, node_id)
    ids = sorted(set(line_ids))
    for start in range(0, len(ids), 5000):
        _check_lines_movable(actor, ids[start:start + 5000])
    moved = 0
    for start in range(0, len(ids), 5000):
        moved += _move_line_rows(
            actor, select(Line.id, Line.node_id).where(Line.id.in_(ids[start:start + 5000])),
            target,
        )
    return moved


def move_filtered_lines(actor, flt, node_id) -> int:
    """Move every line matching the lines-list filter (within the manage scope) to a node."""
    target = manageable_node(actor, node_id)
    matching = filtered_lines(actor, flt, MANAGE).with_only_columns(Line.id, Line.node_id)
    return _move_line_rows(actor, matching, target)


def update_employee(actor, line: Line, fields: dict) -> Line:
    """Change the employee of a line (name, position, e-mail, personnel number)."""
    access.check_object(actor, MANAGE, line.node.path, action="hierarchy.denied",
                        object_type="line", object_id=str(line.id), line_id=line.id)
    cleaned = clean_employee(fields)
    columns = {"name": "employee_name", "position": "employee_position",
               "email": "employee_email", "personnel_number": "personnel_number"}
    before = {k: getattr(line, columns[k]) for k in cleaned}
    for key, value in cleaned.items():
        setattr(line, columns[key], value)
    after = {k: getattr(line, columns[k]) for k in cleaned}
    if before != after:
        line.search_text = line_search_text(line.employee_name, line.employee_position,
                                            line.employee_email, line.personnel_number)
        db.session.add(LineEvent(line_id=line.id, kind="employee",
                                 summary=_("Employee changed: %(n)s", n=line.employee_name)[:300]))
        record("lines.employee_update", actor=actor, object_type="line", object_id=line.id,
               line_id=line.id, before=before, after=after)
    db.session.flush()
    return line
