/// <reference lib="dom" />
/**
 * Views by location hash (`#runs`, `#run/<id>`, `#search/<id>`, …), so a reload, the back button and
 * a shared link land where the user was. @module
 */

/** The current view and its argument (`#run/abc` → `{ view: "run", arg: "abc" }`). */
export function currentRoute(): { view: string; arg?: string } {
  const [view, ...rest] = location.hash.replace(/^#/, "").split("/");
  return { view: view || "runs", arg: rest.length ? decodeURIComponent(rest.join("/")) : undefined };
}

/** Goes to a view (a new history entry). */
export function go(view: string, arg?: string): void {
  location.hash = arg === undefined ? view : `${view}/${encodeURIComponent(arg)}`;
}

/** Shows the section of `view`, marks its nav link, and moves focus to its heading for screen readers. */
export function showView(view: string, focus: boolean): void {
  for (const s of document.querySelectorAll<HTMLElement>("main > section[data-view]")) {
    s.hidden = s.dataset.view !== view;
  }
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-view]")) {
    if (a.dataset.view === view || (view === "run" && a.dataset.view === "runs")) {
      a.setAttribute("aria-current", "page");
    } else a.removeAttribute("aria-current");
  }
  if (focus) {
    const h = document.querySelector<HTMLElement>(`main > section[data-view="${view}"] h2`);
    if (h) {
      h.tabIndex = -1;
      h.focus();
    }
  }
}
