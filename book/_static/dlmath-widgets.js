/* Loaded (by _config.yml's nb_ipywidgets_js) on the pages that have saved
 * widgets, just before the ipywidgets HTML manager.
 *
 * 1. The manager finds its fonts next to the address of its AMD module, which
 *    require.js would place relative to the page (notebooks/@jupyter-widgets/…).
 *    Map the module to the folder the site serves it from (tools/book_extension.py).
 *    A global `require` object set before require.js loads is its configuration.
 * 2. The manager typesets LaTeX in widget labels with MathJax 2's API
 *    (MathJax.Hub.Queue), which MathJax 3 does not have: every widget would
 *    throw "Cannot read properties of undefined (reading 'Queue')". Give it a
 *    small bridge to MathJax 3's typesetPromise, once MathJax has loaded. Like
 *    Jupyter, the bridge reads $…$ in a label as inline maths.
 */
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (here) {
    var dist = new URL("vendored/html-manager/dist/", here).href;
    window.__jupyter_widgets_assets_path__ = dist;
    if (typeof window.require === "undefined") {
      window.require = { paths: { "@jupyter-widgets/html-manager/dist": dist.replace(/\/$/, "") } };
    }
  }

  function dollarsToDelimiters(element) {
    // Only plain-text labels: never rewrite markup.
    if (element.children.length > 0 || element.textContent.indexOf("$") < 0) {
      return;
    }
    element.textContent = element.textContent
      .replace(/\$\$([^$]+)\$\$/g, "\\[$1\\]")
      .replace(/\$([^$]+)\$/g, "\\($1\\)");
  }

  function typeset(element) {
    var mathjax = window.MathJax;
    if (!mathjax || typeof mathjax.typesetPromise !== "function") {
      return;
    }
    dollarsToDelimiters(element);
    var ready = mathjax.startup && mathjax.startup.promise ? mathjax.startup.promise : Promise.resolve();
    ready.then(function () {
      return mathjax.typesetPromise([element]);
    }).catch(function (error) {
      console.warn("[dlmath] MathJax could not typeset a widget label:", error);
    });
  }

  function installBridge() {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub) {
      return;
    }
    mathjax.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
            typeset(job[2]);
          }
        });
      },
    };
  }

  // MathJax is loaded with `defer`: it has run by the time DOMContentLoaded fires,
  // and the manager renders the widgets later still (on the window's load event).
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", installBridge);
  } else {
    installBridge();
  }
})();
