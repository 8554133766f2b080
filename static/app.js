// Behaviour shared by every page; no inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });

  // The navbar stays on one line: menu entries that do not fit move into "More" (last first),
  // and come back when there is room again. Below the lg breakpoint the menu is a list anyway.
  const more = document.querySelector("[data-nav-more]");
  const bar = more && more.closest(".navbar-collapse");
  if (!bar) return;
  const nav = more.parentElement;
  const menu = more.querySelector(".dropdown-menu");
  const wide = window.matchMedia("(min-width: 992px)");
  const overflowing = () => {
    const shown = Array.from(nav.children).filter((li) => li.offsetWidth);
    if (new Set(shown.map((li) => li.offsetTop)).size > 1) return true;  // wrapped
    const edge = bar.parentElement.getBoundingClientRect().right;
    return Array.from(bar.children).some((el) => el.getBoundingClientRect().right > edge + 1);
  };
  const fit = () => {
    menu.querySelectorAll("a").forEach((a) => {  // start from every entry on the bar
      a.classList.replace("dropdown-item", "nav-link");
      const li = a.parentElement;
      li.className = "nav-item";
      nav.insertBefore(li, more);
    });
    more.classList.add("d-none");
    if (!wide.matches) return;
    const entries = Array.from(nav.children).filter((li) => li !== more);
    while (entries.length && overflowing()) {
      if (more.classList.contains("d-none")) more.classList.remove("d-none");
      const li = entries.pop();
      li.className = "";
      li.querySelector("a").classList.replace("nav-link", "dropdown-item");
      menu.prepend(li);
    }
  };
  fit();
  window.addEventListener("resize", fit);
});
