/* Accessibility repairs of the book's pages, loaded on every page (_config.yml: html_js_files).
 *
 * The book's own markup (explorers, figures, tables, headings) is accessible as written; this
 * script repairs what the theme and the ipywidgets manager write, each repair for one finding of
 * axe-core (tests/browser/test_accessibility.py runs it on every page of both editions):
 *
 * 1. The theme's search buttons show "Search Ctrl+K" but are named "Search" (label-content-name-mismatch):
 *    their name comes from what they show instead.
 * 2. The colour-mode button's icons carry titles ("Light", "Dark", "System Settings") that are not its
 *    name, "Color mode" (label-content-name-mismatch): the icons are decoration, hidden from the
 *    accessibility tree; the button says which mode is set.
 * 3. A hidden cell output's toggle shows "Show code cell output" but is named "Toggle hidden content"
 *    (label-content-name-mismatch): its name comes from what it shows.
 * 4. The bibliography is a role="list" whose entries are role="doc-biblioentry", which a list may not
 *    hold (aria-required-children): they become list items.
 * 5. The sliders of saved widgets (ipywidgets' noUiSlider handles, role="slider") have no name
 *    (aria-input-field-name): each takes its widget's label ("learning rate η"); the two handles of a
 *    range slider get "… (lower end)" and "… (upper end)". Widgets render after the page loads, so a
 *    MutationObserver names them as they appear.
 */
(function () {
  "use strict";

  function textOf(element) {
    return (element.textContent || "").replace(/\s+/g, " ").trim();
  }

  function repairTheme(root) {
    root.querySelectorAll("button.search-button__button[aria-label]").forEach(function (button) {
      if (textOf(button)) {
        button.removeAttribute("aria-label");
      }
    });
    root.querySelectorAll("button.theme-switch-button").forEach(function (button) {
      // Font Awesome may turn the <i> icons into <svg> with a <title> after this runs: repaired
      // again on every change of the page (see start()).
      button.querySelectorAll("i, svg").forEach(function (icon) {
        icon.setAttribute("aria-hidden", "true");
        icon.removeAttribute("title");
        icon.removeAttribute("aria-labelledby");
        icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
      });
    });
    root.querySelectorAll("details > summary[aria-label]").forEach(function (summary) {
      if (textOf(summary)) {
        summary.removeAttribute("aria-label");
      }
    });
    root.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach(function (entry) {
      entry.setAttribute("role", "listitem");
    });
  }

  function widgetLabel(handle) {
    // The slider's own widget holds its label beside the slider's container; walk up to the
    // first element that has a label of its own (a selection slider nests one level deeper).
    for (var node = handle.parentElement; node && node !== document.body; node = node.parentElement) {
      var label = node.querySelector(":scope > .widget-label");
      if (label && textOf(label)) {
        return textOf(label);
      }
      if (node.classList.contains("widget-box")) {
        return "";  // left the slider's widget: never borrow a neighbour's label
      }
    }
    return "";
  }

  function nameSliders(root) {
    root.querySelectorAll('.noUi-handle[role="slider"]:not([aria-label]):not([aria-labelledby])')
      .forEach(function (handle) {
        var name = widgetLabel(handle);
        if (!name) {
          return;
        }
        var handles = handle.closest(".noUi-target").querySelectorAll('.noUi-handle[role="slider"]');
        if (handles.length === 2) {
          name += handle === handles[0] ? " (lower end)" : " (upper end)";
        }
        handle.setAttribute("aria-label", name);
      });
  }

  function repair() {
    repairTheme(document);
    nameSliders(document);
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) {
      return;
    }
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      repair();
    });
  }

  function start() {
    repair();
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
    // The theme writes its buttons' tooltips on load; repair once more after it.
    window.addEventListener("load", repair);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
