// Checks the accessibility test runs inside each page (evaluated through the DevTools
// protocol beside axe-core, so the page's Content-Security-Policy stays as it is).
// Never served to users.
window.vmA11y = (() => {
  const FOCUSABLE = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';

  const describe = (el) => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '')
    + (el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : '')
    + Array.from(el.classList).slice(0, 3).map((c) => '.' + c).join('');

  // Colours as [r, g, b, alpha] from a computed "rgb(…)"/"rgba(…)" value.
  const rgba = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  // WCAG relative luminance and contrast ratio.
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  // The colour a ring drawn outside an element is seen against: the first opaque
  // background among its ancestors (white at the end).
  const behind = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };

  return {
    // Every link target of the page, without its fragment (downloads marked as such skipped).
    links: () => Array.from(document.querySelectorAll('a[href]'))
      .filter((a) => !a.hasAttribute('download'))
      .map((a) => a.href.split('#')[0]),

    // Pages behind a GET form (a report, a line's call detail): the URL the form submits with
    // its defaults, and one per option of a select named in ``variantKeys`` (the report kind).
    // GET forms only read, like links; POST forms are never submitted.
    formLinks: (variantKeys) => {
      const out = [];
      document.querySelectorAll('form').forEach((form) => {
        if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') return;
        // getAttribute: a control named "action" shadows form.action (the audit filter).
        const url = new URL(form.getAttribute('action') || location.href, location.href);
        url.search = new URLSearchParams(new FormData(form)).toString();
        out.push(url.href);
        form.querySelectorAll('select[name]').forEach((select) => {
          if (!variantKeys.includes(select.name)) return;
          Array.from(select.options).forEach((option) => {
            const variant = new URL(url.href);
            variant.searchParams.set(select.name, option.value);
            out.push(variant.href);
          });
        });
      });
      return out;
    },

    // Open collapsed sections so that axe checks what they hold; the tree's nodes, which
    // load their content when opened, stay as they are.
    openDetails: () => document.querySelectorAll('details:not([open])').forEach((d) => {
      if (!d.dataset.linesUrl) d.open = true;
    }),

    // axe-core's rules with the given tags; one entry per rule, with every target.
    axe: (tags, extraRules) => axe.run(document, {
      runOnly: {type: 'tag', values: tags},
      rules: Object.fromEntries(extraRules.map((r) => [r, {enabled: true}])),
      resultTypes: ['violations'],
    }).then((r) => r.violations.map((v) => ({
      id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')),
    }))),

    // The data-testid (or tag) of the first element the Tab key reaches.
    firstFocusable: () => {
      const el = document.querySelector(FOCUSABLE);
      return el ? (el.dataset.testid || el.tagName.toLowerCase()) : null;
    },

    // Focus each visible control (after a key press, so focus counts as keyboard focus) and
    // measure its ring against what is behind it (WCAG 2.4.7 and 1.4.11: at least 3:1).
    focusRings: () => {
      const found = new Set();
      for (const el of Array.from(document.querySelectorAll(FOCUSABLE)).slice(0, 300)) {
        if (el.disabled || el.closest('details:not([open]) > :not(summary)')) continue;
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
        el.focus({preventScroll: true});
        if (document.activeElement !== el) continue;
        const s = getComputedStyle(el);
        let problem = null;
        if (!el.matches(':focus-visible')) {
          problem = 'no :focus-visible';
        } else if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) {
          problem = `outline ${s.outlineStyle} ${s.outlineWidth}`;
        } else {
          const ratio = contrast(rgba(s.outlineColor), behind(el));
          if (ratio < 3) problem = `ring ${s.outlineColor} is ${ratio.toFixed(2)}:1 against its background`;
        }
        if (problem) found.add(`${describe(el)} (${problem})`);
      }
      if (document.activeElement) document.activeElement.blur();
      return Array.from(found);
    },

    // Is the page wider than the window, and which elements stick out.
    overflow: () => {
      const width = window.innerWidth;
      const wide = [];
      if (document.documentElement.scrollWidth > width) {
        for (const el of document.body.querySelectorAll('*')) {
          const right = el.getBoundingClientRect().right;
          const parent = el.parentElement;
          const scrolled = el.closest('.table-responsive')
            && getComputedStyle(el).position !== 'absolute';  // absolute ones may escape it
          if (right > width + 1 && !scrolled
              && (el.children.length === 0 || parent.getBoundingClientRect().right <= width + 1)) {
            wide.push(`${describe(el)} (${Math.round(right)}px)`);
          }
          if (wide.length >= 5) break;
        }
      }
      return {scrollWidth: document.documentElement.scrollWidth, width, wide};
    },
  };
})();
