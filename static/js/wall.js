// Wall mode: one screen of panels at a time, turned by itself. The page works without this file
// (the panels then flow down a scrolling page).
(function () {
  "use strict";

  var main = document.querySelector("main.wall-page");
  if (!main) return;
  var state = { page: 0, paused: false, timer: null, pages: [] };

  function columnsOf(grid) {
    return parseInt(window.getComputedStyle(grid).getPropertyValue("--wall-columns"), 10) || 4;
  }

  function spanOf(panel, columns) {
    if (panel.classList.contains("span-all")) return columns;
    if (panel.classList.contains("span-3")) return Math.min(3, columns);
    if (panel.classList.contains("span-2")) return Math.min(2, columns);
    return 1;
  }

  // The panels, in the board's order, packed into pages of one row of columns each: a panel
  // that does not fit beside the others starts the next page. A short panel (wall-short) takes
  // half a column's height, so two stack in one column; the last column of a page widens to
  // fill the row, and a short panel left alone in its column takes the whole height.
  function layOut() {
    var grid = main.querySelector(".board-grid");
    if (!grid) return [];
    var columns = columnsOf(grid);
    var pages = [];
    var page = null;
    Array.prototype.forEach.call(grid.children, function (panel) {
      panel.hidden = false;
      panel.style.gridColumn = panel.style.gridRow = "";
      panel.classList.remove("is-cut");
      if (window.getComputedStyle(panel).display === "none") return; // not for the wall
      var span = spanOf(panel, columns);
      var short = span === 1 && panel.classList.contains("wall-short");
      if (short && page && page.halfFree) {
        page.items.push({ panel: panel, column: page.halfFree.column, span: 1, row: 2 });
        page.halfFree = null;
        return;
      }
      if (!page || page.used + span > columns) {
        page = { items: [], used: 0, halfFree: null };
        pages.push(page);
      }
      var item = { panel: panel, column: page.used + 1, span: span, row: short ? 1 : 0 };
      page.items.push(item);
      if (short) page.halfFree = item;
      page.used += span;
    });
    pages.forEach(function (each) {
      each.items.forEach(function (item) {
        if (item === each.halfFree) item.row = 0; // alone in its column: the whole height
        if (item.column + item.span - 1 === each.used) item.span += columns - each.used;
      });
    });
    return pages;
  }

  function show(index) {
    var pages = state.pages;
    if (!pages.length) return;
    state.page = ((index % pages.length) + pages.length) % pages.length;
    pages.forEach(function (page, number) {
      page.items.forEach(function (item) {
        item.panel.hidden = number !== state.page;
        item.panel.style.gridColumn = item.column + " / span " + item.span;
        item.panel.style.gridRow = item.row ? item.row + " / span 1" : "1 / span 2";
      });
    });
    // A panel longer than the screen is cut with a fade at its foot, never scrolled.
    Array.prototype.forEach.call(main.querySelectorAll(".is-cut"), function (panel) { panel.classList.remove("is-cut"); });
    pages[state.page].items.forEach(function (item) {
      item.panel.classList.toggle("is-cut", item.panel.scrollHeight > item.panel.clientHeight + 1);
    });
    var of = main.querySelector("[data-wall-page-of]");
    if (of) {
      of.textContent = of.getAttribute("data-label").replace("{k}", state.page + 1).replace("{n}", pages.length);
    }
    var dots = main.querySelector("[data-wall-dots]");
    if (dots) {
      dots.textContent = "";
      pages.forEach(function (page, number) {
        var dot = document.createElement("i");
        if (number === state.page) dot.className = "on";
        dots.appendChild(dot);
      });
    }
  }

  function seconds() {
    var head = main.querySelector("[data-wall]");
    return parseInt(head && head.getAttribute("data-page-seconds"), 10) || 20;
  }

  function schedule() {
    window.clearTimeout(state.timer);
    if (state.paused || state.pages.length < 2) return;
    state.timer = window.setTimeout(function () {
      show(state.page + 1);
      schedule();
    }, 1000 * seconds());
  }

  function setUp() {
    main.classList.add("wall-paged");
    state.pages = layOut();
    var pager = main.querySelector("[data-wall-pager]");
    if (pager) pager.hidden = state.pages.length < 2;
    var pause = main.querySelector("[data-wall-pause]");
    if (pause) pause.textContent = pause.getAttribute(state.paused ? "data-play-label" : "data-pause-label");
    show(state.page);
    schedule();
  }

  main.addEventListener("click", function (event) {
    if (event.target.closest("[data-wall-next]")) {
      show(state.page + 1);
      schedule();
    } else if (event.target.closest("[data-wall-pause]")) {
      state.paused = !state.paused;
      setUp();
    }
  });
  document.addEventListener("ledger:refreshed", setUp); // fresh figures: same page, new panels
  var resized = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resized);
    resized = window.setTimeout(setUp, 200);
  });
  setUp();
})();
