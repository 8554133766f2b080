// Operations: the new-job form fields per type, SMS length counter, live job/operation statuses,
// selection of lines for a job on the lines list. No inline scripts (CSP).
(function () {
  "use strict";

  const FINAL = ["done", "failed", "cancelled"];
  const BADGE = {done: "success", failed: "danger", cancelled: "secondary", awaiting_operator: "info",
    in_progress: "primary", running: "primary", pending: "warning"};

  function badge(el, status) {
    const span = el.querySelector("[data-status]") || el;
    span.dataset.status = status;
    const labels = span.dataset.statusLabels ? JSON.parse(span.dataset.statusLabels) : {};
    span.textContent = labels[status] || status;
    span.className = "badge text-bg-" + (BADGE[status] || "light");
  }

  // --- new-job form: only the chosen type's fields are enabled (and submitted) ---
  function jobForm() {
    const select = document.querySelector("[data-job-type]");
    if (!select) return;
    const sync = () => document.querySelectorAll("fieldset[data-type]").forEach((fs) => {
      const on = fs.dataset.type === select.value;
      fs.disabled = !on;
      fs.hidden = !on;
    });
    select.addEventListener("change", sync);
    sync();
  }

  // --- SMS: encoding, length and segments as the user types ---
  const GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const GSM7_EXT = "^{}\\[~]|€\f";
  function smsInfo(text) {
    let gsm = true, units = 0;
    for (const ch of text) {
      if (GSM7.includes(ch)) units += 1;
      else if (GSM7_EXT.includes(ch)) units += 2;
      else { gsm = false; break; }
    }
    if (!gsm) units = Array.from(text).length;
    const single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    const segments = units <= single ? 1 : Math.ceil(units / multi);
    return {encoding: gsm ? "GSM-7" : "UCS-2", units, segments};
  }
  function smsCounters() {
    document.querySelectorAll("[data-sms-counter]").forEach((area) => {
      const out = document.getElementById(area.dataset.smsCounter);
      const update = () => {
        const i = smsInfo(area.value);
        out.textContent = `${i.units} · ${i.encoding} · ${i.segments} SMS` + (i.segments > 5 ? " (max 5)" : "");
        out.classList.toggle("text-danger", i.segments > 5);
      };
      area.addEventListener("input", update);
      update();
    });
  }

  // --- live statuses ---
  function pollJobs() {
    document.querySelectorAll("[data-job-id]").forEach((bar) => {
      const id = bar.dataset.jobId;
      const tick = () => {
        fetch(`/api/v1/jobs/${id}`, {credentials: "same-origin", headers: {Accept: "application/json"}})
          .then((r) => (r.ok ? r.json() : null))
          .then((job) => {
            if (!job) return;
            const p = job.progress;
            bar.dataset.status = job.status;
            bar.setAttribute("aria-valuenow", p.percent);
            const inner = bar.querySelector(".progress-bar");
            inner.style.width = p.percent + "%";
            inner.textContent = p.percent + "%";
            const counts = document.querySelector(`[data-job-counts="${id}"]`);
            if (counts) ["done", "failed", "remaining", "total"].forEach((k) => {
              const el = counts.querySelector(`[data-count="${k}"]`);
              if (el) el.textContent = p[k];
            });
            document.querySelectorAll(`[data-job-status="${id}"]`).forEach((el) => badge(el, job.status));
            if (job.status === "running" || job.status === "pending") setTimeout(tick, 1000);
            else {
              inner.classList.remove("progress-bar-animated", "progress-bar-striped");
              document.querySelectorAll(`[data-while-running="${id}"]`).forEach((el) => { el.hidden = true; });
            }
          })
          .catch(() => setTimeout(tick, 3000));
      };
      if (bar.dataset.status === "running" || bar.dataset.status === "pending") setTimeout(tick, 500);
    });
  }

  function pollOperations() {
    document.querySelectorAll("[data-operation-id]").forEach((el) => {
      const span = el.querySelector("[data-status]") || el;
      if (FINAL.includes(span.dataset.status)) return;
      const id = el.dataset.operationId;
      const tick = () => {
        fetch(`/api/v1/operations/${id}`, {credentials: "same-origin", headers: {Accept: "application/json"}})
          .then((r) => (r.ok ? r.json() : null))
          .then((op) => {
            if (!op) return;
            badge(el, op.status);
            if (!FINAL.includes(op.status)) setTimeout(tick, 1500);
          })
          .catch(() => setTimeout(tick, 3000));
      };
      setTimeout(tick, 1000);
    });
  }

  // --- lines list: tick lines, then act on them ---
  function lineSelection() {
    const all = document.querySelector("[data-select-all]");
    const boxes = () => Array.from(document.querySelectorAll("input[data-line-select]"));
    const bar = document.querySelector("[data-job-bar]");
    if (!bar) return;
    const count = bar.querySelector("[data-selected-count]");
    const update = () => {
      const n = boxes().filter((b) => b.checked).length;
      if (count) count.textContent = n;
      bar.querySelectorAll("[data-needs-selection]").forEach((b) => { b.disabled = n === 0; });
    };
    if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); update(); });
    boxes().forEach((b) => b.addEventListener("change", update));
    update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    jobForm();
    smsCounters();
    pollJobs();
    pollOperations();
    lineSelection();
  });
})();
