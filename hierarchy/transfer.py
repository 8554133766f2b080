"""Export the tree with line placements as CSV/XLSX, and import the same format.

One row per node (``msisdn`` empty: path, node_id, kind, cost_centre) and one row per line
(path of its node, msisdn, employee fields). Paths are node names from the root joined by
" / " ("Москва / Продажи"; an empty path is the company's root). On import a node row with a
``node_id`` renames and/or moves that node to its path; a path that does not exist yet is
created; a line row moves the line to its path and sets its employee fields. The import is
planned first (the preview: what will be created, renamed, moved, changed, and every row's
errors with its number) and applied only when there is no error, all or nothing.

Files are read by the one upload reader (``core.uploads``: size, zip entry count,
uncompressed size and ratio, row cap, UTF-8 for CSV, checked before and while parsing);
cells starting with = + - @ are refused (formula injection). The export is written by the one
download writer (``core.downloads``), which escapes such cells with a leading apostrophe.
"""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from core.audit import record
from core.db import utcnow
from core.downloads import FORMULA_START, csv_bytes, xlsx_bytes
from core.errors import InvalidInput
from core.extensions import db
from core.uploads import read_table_data
from corp.models import Line, line_search_text
from corp.validators import ValidationError, normalize_msisdn
from hierarchy import editing
from hierarchy.models import Node
from hierarchy.service import visible_nodes
from roles import access
from roles.permissions import within_scopes

COLUMNS = ("path", "node_id", "kind", "cost_centre", "msisdn", "employee_name",
           "employee_position", "employee_email", "personnel_number")
EMPLOYEE_COLUMNS = {"employee_name": "name", "employee_position": "position",
                    "employee_email": "email", "personnel_number": "personnel_number"}
SEPARATOR = " / "
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 150 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_ROWS = 150_000
MAX_CELL = 500
MAX_ERRORS = 500
SAMPLE = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# The stored form (what the export writes) needs no parsing.
_STORED_MSISDN = re.compile(r"9[0-9]{9}")


# --- export ------------------------------------------------------------------------------------


def _display_paths(nodes) -> dict[int, str]:
    names = {n.id: n.name for n in nodes}
    out = {}
    for n in nodes:
        ids = [int(x) for x in n.path.strip("/").split("/") if x][1:]  # without the root
        out[n.id] = SEPARATOR.join(names.get(i, "?") for i in ids)
    return out


def export_rows(actor):
    """A row per visible node and per line in the actor's view scope (``COLUMNS`` order)."""
    nodes = visible_nodes(actor)
    paths = _display_paths(nodes)
    for node in sorted(nodes, key=lambda n: paths[n.id]):
        if node.parent_id is None:
            continue
        yield [paths[node.id], str(node.id), node.kind, node.cost_centre or "", "", "", "", "",
               ""]
    lines = db.session.execute(
        select(Line.node_id, Line.msisdn, Line.employee_name, Line.employee_position,
               Line.employee_email, Line.personnel_number)
        .join(Node, Node.id == Line.node_id)
        .where(Line.company_id == actor.company_id,
               access.scope_filter(actor, "lines.view", Node.path))
        .order_by(Node.path, Line.msisdn)
    )
    for node_id, msisdn, name, position, email, personnel in lines:
        yield [paths.get(node_id, ""), "", "", "", msisdn, name, position, email, personnel]


def export_scope(actor) -> str:
    """The part of the tree an export covers, for its download record: the scope paths of
    the actor's ``lines.view`` ("/" = the whole company)."""
    return " ".join(access.scopes(actor, "lines.view"))[:200]


def export_csv(actor) -> bytes:
    """The export as CSV, UTF-8 with a BOM so that Excel reads the Cyrillic right."""
    return csv_bytes(COLUMNS, export_rows(actor))


def export_xlsx(actor) -> bytes:
    """The export as an XLSX workbook (every cell text, formula-like text escaped)."""
    return xlsx_bytes(COLUMNS, export_rows(actor), sheet_title=_("Hierarchy"))


# --- reading an upload -------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


def _refuse(message: str):
    raise InvalidInput({"file": message})


def read_upload(data: bytes, filename: str):
    """The rows of an uploaded CSV or XLSX as (row number, {column: text}), and row errors."""
    if not data:
        _refuse(_("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        _refuse(_("The file is too large (%(n)s MB at most).", n=MAX_UPLOAD_BYTES // 2**20))
    if filename.lower().endswith(".xlsx") and data[:2] != b"PK":
        _refuse(_("The file is not a valid XLSX workbook."))
    source = read_table_data(data, max_rows=MAX_ROWS + 1,
                             max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES,
                             max_zip_entries=MAX_ZIP_ENTRIES, max_ratio=200)
    header = None
    rows, errors = [], []
    for number, raw in enumerate(source, start=1):
        if header is None:
            header = [str(c).strip().lower().lstrip("\ufeff") for c in raw]
            missing = [c for c in ("path", "msisdn") if c not in header]
            if missing:
                _refuse(_("The first row must name the columns; missing: %(c)s.",
                          c=", ".join(missing)))
            continue
        if not any(str(c).strip() for c in raw):
            continue
        values = {}
        for column, cell in zip(header, raw, strict=False):
            if column not in COLUMNS:
                continue
            text, problem = _clean_cell(cell)
            if problem:
                errors.append(RowError(number, column, problem))
            values[column] = text
        rows.append((number, values))
    if header is None:
        _refuse(_("The file is empty."))
    return rows, errors, [c for c in COLUMNS if c in header]


def _clean_cell(cell) -> tuple[str, str | None]:
    text = str(cell)
    if len(text) > MAX_CELL:
        return "", _("Too long (%(n)s characters at most).", n=MAX_CELL)
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_START:
        return text[1:].strip(), None  # our own escape of a formula-like value
    if text.startswith(FORMULA_START):
        return "", _("Starts with = + - or @ (a formula): refused.")
    if _CONTROL.search(text) or "\n" in text:
        return "", _("Contains control characters or line breaks.")
    return text.strip(), None


# --- planning ----------------------------------------------------------------------------------


@dataclass
class Plan:
    """What an import would do, and why it cannot when it has errors."""

    errors: list = field(default_factory=list)
    rows: int = 0
    created: list = field(default_factory=list)  # path tuples, parents first
    new_kind: dict = field(default_factory=dict)  # path tuple -> kind / cost centre of created
    new_cost_centre: dict = field(default_factory=dict)
    renamed: list = field(default_factory=list)  # (node_id, old path, new path)
    moved_nodes: list = field(default_factory=list)
    node_updates: dict = field(default_factory=dict)  # node_id -> {field: value}
    node_changes: list = field(default_factory=list)  # (node_id, path, {field: (old, new)})
    line_moves: list = field(default_factory=list)  # (line_id, msisdn, from node, to key)
    employee_updates: list = field(default_factory=list)  # (line_id, msisdn, before, after)
    new_parent: dict = field(default_factory=dict)  # node_id -> parent key
    new_name: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)  # path -> node id or ("new", path)

    def error(self, row, column, message):
        self.errors.append(RowError(row, column, message))

    @property
    def changes(self) -> int:
        return (len(self.created) + len(self.renamed) + len(self.moved_nodes)
                + len(self.node_changes) + len(self.line_moves) + len(self.employee_updates))

    def preview(self) -> dict:
        join = SEPARATOR.join
        return {
            "rows": self.rows,
            "errors": [e.as_dict() for e in sorted(self.errors, key=lambda e: e.row)][:MAX_ERRORS],
            "error_count": len(self.errors),
            "created": [join(p) for p in self.created],
            "renamed": [{"node_id": i, "from": join(a), "to": join(b)} for i, a, b in self.renamed],
            "moved_nodes": [{"node_id": i, "from": join(a), "to": join(b)}
                            for i, a, b in self.moved_nodes],
            "changed_nodes": [{"node_id": i, "path": join(p),
                               "changes": {k: {"from": a, "to": b} for k, (a, b) in c.items()}}
                              for i, p, c in self.node_changes],
            "moved_lines": len(self.line_moves),
            "moved_lines_sample": [{"msisdn": m, "from": join(a), "to": join(b)}
                                   for _i, m, a, b in self.line_moves[:SAMPLE]],
            "employee_changes": len(self.employee_updates),
            "employee_changes_sample": [{"msisdn": m, "before": a, "after": b}
                                        for _i, m, a, b in self.employee_updates[:SAMPLE]],
            "changes": self.changes,
        }


def _parse_path(text: str):
    if not text.strip():
        return ()
    parts = tuple(" ".join(p.split()) for p in text.split("/"))
    for part in parts:
        editing.clean_name(part)
    if len(parts) > editing.MAX_DEPTH:
        raise InvalidInput({"path": _("Too deep (%(n)s levels at most).", n=editing.MAX_DEPTH)})
    return parts


def plan_import(actor, rows, columns) -> Plan:
    """Work out every change the rows ask for, checking every rule; changes nothing.

    Six phases, each a method of ``_ImportPlanner``: parse the rows; the new path of every
    existing node; what each path names (creating nodes as needed); the node rows' moves,
    renames and fields; the result must still be a tree; then the line rows."""
    planner = _ImportPlanner(actor, Plan(rows=len(rows)), columns)
    planner.parse_rows(rows)
    planner.new_paths()
    planner.resolve_paths()
    planner.plan_node_rows()
    planner.check_tree()
    _plan_lines(actor, planner.plan, planner.line_rows, columns, planner.keys, planner.cur,
                planner.existing_anchor, planner.manageable)
    return planner.plan


class _ImportPlanner:
    """The state the phases of ``plan_import`` share: the company's nodes, their current and
    new paths, and what each path of the file names."""

    def __init__(self, actor, plan: Plan, columns):
        self.plan, self.columns = plan, columns
        self.manage = access.scopes(actor, editing.MANAGE)
        view = access.scopes(actor, "lines.view")
        self.nodes = {n.id: n for n in db.session.scalars(
            select(Node).where(Node.company_id == actor.company_id))}
        self.current = {}  # node id -> path tuple (names below the root)
        self.by_old_path = {self.cur(node_id): node_id for node_id in self.nodes}
        self.visible = {n.id for n in self.nodes.values()
                        if within_scopes(n.path, view) or self.manageable(n.path)}
        # Paths resolve only to nodes the actor can know (visible ones and their ancestors):
        # a path through another part of the tree reads exactly like one that does not exist.
        self.known = {int(x) for i in self.visible
                      for x in self.nodes[i].path.strip("/").split("/") if x}
        self.node_rows, self.line_rows = [], []
        self.seen_ids, self.seen_paths = {}, {}
        self.new = {}  # node id -> its path after the import
        self.keys = {}  # path tuple -> node id, or ("new", path) for a node to create

    def manageable(self, path: str) -> bool:
        return within_scopes(path, self.manage)

    def cur(self, node_id):
        """A node's path (names below the root) as the tree is now."""
        if node_id not in self.current:
            node = self.nodes[node_id]
            self.current[node_id] = () if node.parent_id is None else self.cur(
                node.parent_id) + (node.name,)
        return self.current[node_id]

    def parse_rows(self, rows) -> None:
        """1. Parse rows; node rows with an id fix that node's new path."""
        plan, nodes = self.plan, self.nodes
        seen_msisdn = {}
        parsed = {}  # path text -> tuple of names, or the error message
        for number, values in rows:
            text = values.get("path", "")
            if text not in parsed:
                try:
                    parsed[text] = _parse_path(text)
                except InvalidInput as error:
                    parsed[text] = str(next(iter(error.errors.values()))[0])
            path = parsed[text]
            if isinstance(path, str):
                plan.error(number, "path", path)
                continue
            raw_msisdn = values.get("msisdn", "")
            if raw_msisdn:
                try:
                    msisdn = (raw_msisdn if _STORED_MSISDN.fullmatch(raw_msisdn)
                              else normalize_msisdn(raw_msisdn))
                except ValidationError:
                    plan.error(number, "msisdn", _("Unknown MSISDN."))
                    continue
                if msisdn in seen_msisdn:
                    plan.error(number, "msisdn", _(
                        "The number appears twice (first on row %(n)s).", n=seen_msisdn[msisdn]))
                    continue
                seen_msisdn[msisdn] = number
                self.line_rows.append((number, path, msisdn, values))
                continue
            if not path:
                continue  # the root: nothing to change
            if path in self.seen_paths:
                plan.error(number, "path", _("Duplicate path (first on row %(n)s).",
                                             n=self.seen_paths[path]))
                continue
            self.seen_paths[path] = number
            node_id = None
            if values.get("node_id"):
                try:
                    node_id = int(values["node_id"])
                except ValueError:
                    plan.error(number, "node_id", _("Not a node id."))
                    continue
                if node_id not in nodes or node_id not in self.visible:
                    plan.error(number, "node_id", _("Unknown node id."))
                    continue
                if nodes[node_id].parent_id is None:
                    plan.error(number, "node_id", _("The company's root cannot be changed."))
                    continue
                if node_id in self.seen_ids:
                    plan.error(number, "node_id", _(
                        "The node appears twice (first on row %(n)s).", n=self.seen_ids[node_id]))
                    continue
                self.seen_ids[node_id] = number
            self.node_rows.append((number, path, node_id, values))

    def new_paths(self) -> None:
        """2. New paths of every existing node: its row's path, or its parent's new path +
        name."""
        row_path = {node_id: path for _n, path, node_id, _v in self.node_rows if node_id}
        nodes, new, keys = self.nodes, self.new, self.keys

        def newpath(node_id):
            if node_id not in new:
                node = nodes[node_id]
                if node_id in row_path:
                    new[node_id] = row_path[node_id]
                elif node.parent_id is None:
                    new[node_id] = ()
                else:
                    new[node_id] = newpath(node.parent_id) + (node.name,)
            return new[node_id]

        for node_id in nodes:
            path = newpath(node_id)
            if path in keys:
                other = keys[path]
                number = self.seen_ids.get(node_id) or self.seen_ids.get(other) or 0
                self.plan.error(number, "path", _(
                    "Duplicate path: \"%(p)s\" would name two nodes.", p=SEPARATOR.join(path)))
                continue
            keys[path] = node_id
        self.plan.keys = keys

    def resolve(self, path):
        """A path names the node that will be there, else the node that is there now (so
        rows written before a rename still find it), else a node to create (parents first)."""
        keys = self.keys
        if path in keys and (isinstance(keys[path], tuple) or keys[path] in self.known):
            return keys[path]
        if (path in self.by_old_path and self.by_old_path[path] in self.known
                and self.new.get(self.by_old_path[path]) != path):
            keys[path] = self.by_old_path[path]
            return keys[path]
        self.resolve(path[:-1])
        keys[path] = ("new", path)
        self.plan.created.append(path)
        return keys[path]

    def row_of(self, path) -> int:
        """The row that names ``path``: its node row, else its first line row."""
        return self.seen_paths.get(path) or _first_line_row(self.line_rows, path)

    def parent_key(self, key):
        if isinstance(key, tuple):
            return self.resolve(key[1][:-1])
        if key in self.plan.new_parent:
            return self.plan.new_parent[key]
        return self.nodes[key].parent_id

    def existing_anchor(self, key):
        """The nearest existing node of a key (itself, or the node a new path hangs on)."""
        while isinstance(key, tuple):
            key = self.resolve(key[1][:-1])
        return self.nodes[key]

    def resolve_paths(self) -> None:
        """3. What every path of the file names; new nodes only under manageable ones."""
        for _number, path, node_id, _values in self.node_rows:
            if node_id is None:
                self.resolve(path)
            else:
                self.resolve(path[:-1])
        for _number, path, _msisdn, _values in self.line_rows:
            self.resolve(path)
        for path in self.plan.created:
            anchor = self.existing_anchor(self.keys[path])
            if not self.manageable(anchor.path):
                # Name what the file says, never the existing node found above it: a scoped
                # manager learns nothing about the tree outside their scope.
                self.plan.error(
                    self.row_of(path), "path",
                    _("You may not add nodes under \"%(p)s\".",
                      p=SEPARATOR.join(path[:-1]) or _("the root")))

    def plan_node_rows(self) -> None:
        """4. Node rows: moves, renames, kind and cost centre."""
        plan, keys = self.plan, self.keys
        for number, path, node_id, values in self.node_rows:
            key = node_id if node_id is not None else keys[path]
            kind = values.get("kind", "")
            if kind and kind not in editing.EDITABLE_KINDS:
                plan.error(number, "kind", _("Choose one of: %(k)s.",
                                             k=", ".join(editing.EDITABLE_KINDS)))
                continue
            cost_centre = values.get("cost_centre", "") if "cost_centre" in self.columns else None
            if cost_centre:
                try:
                    editing.clean_cost_centre(cost_centre)
                except InvalidInput as error:
                    plan.error(number, "cost_centre", next(iter(error.errors.values()))[0])
                    continue
            if isinstance(key, tuple):
                plan.new_kind[path] = kind or "department"
                plan.new_cost_centre[path] = cost_centre or None
                continue
            node = self.nodes[key]
            old = self.cur(node.id)
            changes = {}
            if kind and kind != node.kind:
                changes["kind"] = (node.kind, kind)
            if cost_centre is not None and (cost_centre or None) != node.cost_centre:
                changes["cost_centre"] = (node.cost_centre, cost_centre or None)
            new_parent = keys[path[:-1]] if node_id is not None else node.parent_id
            moves = new_parent != node.parent_id
            renames = node_id is not None and path[-1] != node.name
            if not (changes or moves or renames):
                continue
            if not self.manageable(node.path):
                plan.error(number, "path", _("You may not change \"%(p)s\".",
                                             p=SEPARATOR.join(old)))
                continue
            if moves:
                if not self.manageable(self.existing_anchor(new_parent).path):
                    plan.error(number, "path", _("You may not move nodes to \"%(p)s\".",
                                                 p=SEPARATOR.join(path[:-1]) or _("the root")))
                    continue
                plan.moved_nodes.append((node.id, old, path))
                plan.new_parent[node.id] = new_parent
            if renames:
                plan.renamed.append((node.id, old, path))
                plan.new_name[node.id] = path[-1]
            if changes:
                plan.node_changes.append((node.id, path, changes))
                plan.node_updates[node.id] = {k: b for k, (_a, b) in changes.items()}

    def check_tree(self) -> None:
        """5. The resulting tree must be a tree: no cycle, no two siblings of the same name."""
        plan, seen_ids = self.plan, self.seen_ids
        for node_id in plan.new_parent:
            seen, key = {node_id}, self.parent_key(node_id)
            while key is not None:
                if key in seen:
                    plan.error(seen_ids.get(node_id, 0), "path", _(
                        "This move would put \"%(p)s\" inside itself.",
                        p=SEPARATOR.join(self.cur(node_id))))
                    break
                seen.add(key)
                key = self.parent_key(key)
        siblings = {}
        for node_id, node in self.nodes.items():
            if node.parent_id is None:
                continue
            name = plan.new_name.get(node_id, node.name)
            slot = (self.parent_key(node_id), name)
            if slot in siblings:
                plan.error(seen_ids.get(node_id) or seen_ids.get(siblings[slot]) or 0, "path",
                           _("Two nodes named \"%(n)s\" would share a parent.", n=name))
            siblings[slot] = node_id
        for path in plan.created:
            slot = (self.parent_key(("new", path)), path[-1])
            if slot in siblings and self.manageable(self.existing_anchor(("new", path)).path):
                plan.error(self.row_of(path), "path",
                           _("Two nodes named \"%(n)s\" would share a parent.", n=path[-1]))
            siblings[slot] = ("new", path)


def _first_line_row(line_rows, path) -> int:
    return next((n for n, p, _m, _v in line_rows if p[: len(path)] == path), 0)


def _plan_lines(actor, plan, line_rows, columns, keys, cur, anchor_of, manageable):
    if not line_rows:
        return
    employee_columns = [c for c in EMPLOYEE_COLUMNS if c in columns]
    wanted = [m for _n, _p, m, _v in line_rows]
    found = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start:start + 5000]
        for row in db.session.execute(
            select(Line.id, Line.msisdn, Line.node_id, Line.employee_name,
                   Line.employee_position, Line.employee_email, Line.personnel_number, Node.path)
            .join(Node, Node.id == Line.node_id)
            .where(Line.company_id == actor.company_id, Line.msisdn.in_(chunk),
                   access.scope_filter(actor, "lines.view", Node.path)
                   | access.scope_filter(actor, editing.MANAGE, Node.path))
        ):
            found[row.msisdn] = row
    for number, path, msisdn, values in line_rows:
        line = found.get(msisdn)
        if line is None:
            plan.error(number, "msisdn", _("Unknown MSISDN."))
            continue
        target = keys[path]
        moves = target != line.node_id
        before, after = {}, {}
        for column in employee_columns:
            key = EMPLOYEE_COLUMNS[column]
            value = " ".join(values.get(column, "").split())
            old = getattr(line, column)
            if value != old:
                before[key], after[key] = old, value
        if after:
            try:
                editing.clean_employee(after)
            except InvalidInput as error:
                for key, messages in error.errors.items():
                    column = next(c for c, k in EMPLOYEE_COLUMNS.items() if k == key)
                    plan.error(number, column, messages[0])
                continue
        if not moves and not after:
            continue
        if not manageable(line.path):
            plan.error(number, "msisdn", _("You may not change this line."))
            continue
        if moves:
            if not manageable(anchor_of(target).path):
                plan.error(number, "path", _("You may not move lines to \"%(p)s\".",
                                             p=SEPARATOR.join(path) or _("the root")))
                continue
            plan.line_moves.append((line.id, msisdn, cur(line.node_id), path))
        if after:
            full = {"name": line.employee_name, "position": line.employee_position,
                    "email": line.employee_email, "personnel_number": line.personnel_number}
            plan.employee_updates.append((line.id, msisdn, before, full | after))


# --- applying ----------------------------------------------------------------------------------


def apply_plan(actor, plan: Plan) -> None:
    """Make every change of an error-free plan in the current transaction (all or nothing)."""
    if plan.errors:
        raise InvalidInput({"file": _("The file has errors: nothing was changed.")})
    company_id = actor.company_id
    ids = {}  # path tuple of a created node -> id

    def key_id(key):
        return ids[key[1]] if isinstance(key, tuple) else key

    # Moved and renamed nodes get a temporary name first so that sibling names stay unique
    # at every step.
    touched = set(plan.new_parent) | set(plan.new_name)
    for node_id in touched:
        db.session.execute(update(Node).where(Node.id == node_id)
                           .values(name=f"\x01import-{node_id}")
                           .execution_options(synchronize_session=False))
    for path in plan.created:  # parents first
        node = Node(company_id=company_id, parent_id=key_id(plan.keys[path[:-1]]),
                    name=path[-1], kind=plan.new_kind.get(path, "department"),
                    cost_centre=plan.new_cost_centre.get(path), path="", depth=0)
        db.session.add(node)
        db.session.flush()
        ids[path] = node.id
    names = dict(db.session.execute(select(Node.id, Node.name).where(Node.id.in_(touched))).all())
    renamed_to = {i: b[-1] for i, _a, b in plan.renamed}
    for node_id in touched:
        values = {"name": plan.new_name.get(node_id) or renamed_to.get(node_id)}
        if values["name"] is None:
            values["name"] = _original_name(plan, node_id, names)
        if node_id in plan.new_parent:
            values["parent_id"] = key_id(plan.new_parent[node_id])
        db.session.execute(update(Node).where(Node.id == node_id).values(**values)
                           .execution_options(synchronize_session=False))
    for node_id, values in plan.node_updates.items():
        db.session.execute(update(Node).where(Node.id == node_id).values(**values)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    _rebuild_paths(company_id)
    if touched or plan.created:
        access.bump_policy_version(company_id)
    # Lines: one executemany, and a line history entry each.
    now = utcnow()
    if plan.line_moves:
        _write_line_moves(plan, key_id, now)
        summaries = {}
        for _i, _m, _a, path in plan.line_moves:
            if path not in summaries:
                summaries[path] = _("Moved to \"%(node)s\" (import)",
                                    node=SEPARATOR.join(path) or "/")[:300]
        editing.write_line_events(
            {"line_id": i, "created_at": now, "kind": "hierarchy.move", "summary": summaries[p]}
            for i, _m, _a, p in plan.line_moves)
    if plan.employee_updates:
        table = Line.__table__
        db.session.connection().execute(
            table.update().where(table.c.id == bindparam("line_id")).values(
                employee_name=bindparam("name"), employee_position=bindparam("position"),
                employee_email=bindparam("email"),
                personnel_number=bindparam("personnel_number"),
                search_text=bindparam("search_text"), version=table.c.version + 1,
                updated_at=now),
            [{"line_id": i, **after, "search_text": line_search_text(
                after["name"], after["position"], after["email"], after["personnel_number"])}
             for i, _m, _b, after in plan.employee_updates],
        )
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (Line, Node)):
            db.session.expire(obj)
    _audit_import(actor, plan)


def _write_line_moves(plan: Plan, key_id, now) -> None:
    """Set the lines' new nodes: one executemany on SQLite (in-process, no round trips),
    one ``UPDATE … WHERE id IN (…)`` per target node and chunk elsewhere."""
    table = Line.__table__
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.execute(
            table.update().where(table.c.id == bindparam("line_id")).values(
                node_id=bindparam("target"), version=table.c.version + 1, updated_at=now),
            [{"line_id": i, "target": key_id(plan.keys[p])} for i, _m, _a, p in plan.line_moves])
        return
    targets: dict[int, list[int]] = {}
    for line_id, _m, _a, path in plan.line_moves:
        targets.setdefault(key_id(plan.keys[path]), []).append(line_id)
    for node_id, line_ids in targets.items():
        for start in range(0, len(line_ids), 5000):
            connection.execute(
                table.update().where(table.c.id.in_(line_ids[start:start + 5000]))
                .values(node_id=node_id, version=table.c.version + 1, updated_at=now))


def _original_name(plan, node_id, names):
    for i, a, _b in plan.moved_nodes:
        if i == node_id:
            return a[-1]
    return names[node_id]


def _audit_import(actor, plan: Plan) -> None:
    join = SEPARATOR.join
    record("hierarchy.import", actor=actor, object_type="hierarchy",
           before={"nodes": {str(i): join(a) for i, a, _b in plan.renamed + plan.moved_nodes},
                   "node_fields": {str(i): {k: a for k, (a, _b) in c.items()}
                                   for i, _p, c in plan.node_changes},
                   "lines": {str(i): join(a) for i, _m, a, _b in plan.line_moves},
                   "employees": {str(i): b for i, _m, b, _a in plan.employee_updates}},
           after={"created": [join(p) for p in plan.created],
                  "nodes": {str(i): join(b) for i, _a, b in plan.renamed + plan.moved_nodes},
                  "node_fields": {str(i): {k: b for k, (_a, b) in c.items()}
                                  for i, _p, c in plan.node_changes},
                  "lines": {str(i): join(b) for i, _m, _a, b in plan.line_moves},
                  "employees": {str(i): a for i, _m, _b, a in plan.employee_updates}},
           detail=f"{plan.changes} changes from {plan.rows} rows")


def _rebuild_paths(company_id: int) -> None:
    """Recompute materialised paths and depths from parent ids; write the changed ones."""
    rows = db.session.execute(
        select(Node.id, Node.parent_id, Node.path, Node.depth)
        .where(Node.company_id == company_id)).all()
    parent = {r.id: r.parent_id for r in rows}
    computed = {}

    def path_of(node_id):
        if node_id not in computed:
            p = parent[node_id]
            computed[node_id] = (f"/{node_id}/" if p is None else path_of(p) + f"{node_id}/")
        return computed[node_id]

    changed = []
    for r in rows:
        path = path_of(r.id)
        depth = path.count("/") - 2
        if path != r.path or depth != r.depth:
            changed.append({"node_id": r.id, "new_path": path, "new_depth": depth})
    if changed:
        table = Node.__table__
        db.session.connection().execute(
            table.update().where(table.c.id == bindparam("node_id"))
            .values(path=bindparam("new_path"), depth=bindparam("new_depth")), changed)


def import_file(actor, data: bytes, filename: str, *, dry_run: bool = True) -> dict:
    """Read, plan and (unless ``dry_run`` or there are errors) apply an upload; the preview."""
    rows, cell_errors, columns = read_upload(data, filename)
    bad_rows = {e.row for e in cell_errors}
    plan = plan_import(actor, [r for r in rows if r[0] not in bad_rows], columns)
    plan.rows = len(rows)
    plan.errors[:0] = cell_errors
    preview = plan.preview()
    preview["applied"] = False
    if not dry_run and not plan.errors:
        apply_plan(actor, plan)
        preview["applied"] = True
    return preview
