// The tree: lines load when a node is opened; nodes move by drag and drop (HTML5 DnD).
document.addEventListener("DOMContentLoaded", () => {
  const tree = document.getElementById("vm-tree");
  if (!tree) return;
  const message = document.querySelector("[data-testid=tree-message]");

  // Opening a node loads its lines and, in a big tree, its sub-nodes (once).
  const loadInto = (box, url) => {
    if (!box || box.dataset.loaded) return;
    box.dataset.loaded = "1";
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => { box.innerHTML = html; })
      .catch(() => { box.dataset.loaded = ""; });
  };
  const opened = (details) => {
    const children = details.querySelector(":scope > .vm-node-children");
    if (children) loadInto(children, children.dataset.childrenUrl);
    loadInto(details.querySelector(":scope > .vm-node-lines"), details.dataset.linesUrl);
  };
  tree.querySelectorAll("details[open]").forEach(opened);
  // "toggle" does not bubble: listen in the capture phase so loaded nodes work too.
  tree.addEventListener("toggle", (event) => {
    if (event.target.matches("details[data-lines-url]") && event.target.open) opened(event.target);
  }, true);

  const setAll = (open) => {
    tree.querySelectorAll("details").forEach((d) => {
      if (d.querySelector(":scope > ul, :scope > .vm-node-children")) d.open = open;
    });
  };
  document.getElementById("vm-expand-all")?.addEventListener("click", () => setAll(true));
  document.getElementById("vm-collapse-all")?.addEventListener("click", () => setAll(false));

  let dragged = null;
  tree.addEventListener("dragstart", (event) => {
    const li = event.target.closest("li[draggable=true]");
    if (!li) return;
    dragged = li;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.dataset.nodeId);
    event.stopPropagation();
  });
  const target = (event) => {
    const li = event.target.closest("li[data-drop]");
    // Moves into a sub-node are refused by the server, whose message is shown.
    if (!li || !dragged || li === dragged) return null;
    return li;
  };
  tree.addEventListener("dragover", (event) => {
    const li = target(event);
    if (!li) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    tree.querySelectorAll(".vm-drop").forEach((el) => el.classList.remove("vm-drop"));
    li.querySelector(":scope > details > summary").classList.add("vm-drop");
  });
  tree.addEventListener("dragend", () => {
    tree.querySelectorAll(".vm-drop").forEach((el) => el.classList.remove("vm-drop"));
  });
  tree.addEventListener("drop", (event) => {
    const li = target(event);
    if (!li) return;
    event.preventDefault();
    const id = event.dataTransfer.getData("text/plain") || dragged.dataset.nodeId;
    const url = tree.dataset.api.replace(/0$/, id);
    message.classList.add("d-none");
    fetch(url, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": tree.dataset.csrf },
      body: JSON.stringify({ parent_id: Number(li.dataset.nodeId) }),
    }).then((r) => {
      if (r.ok) { window.location.reload(); return null; }
      return r.json().then((body) => {
        message.textContent = body.message || String(r.status);
        message.classList.remove("d-none");
      });
    });
    dragged = null;
  });
});
