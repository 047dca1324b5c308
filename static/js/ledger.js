// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Show the photos a person picked before they send the form.
  function previewPhotos(input) {
    var box = document.querySelector('[data-preview-for="' + input.id + '"]');
    if (!box) return;
    box.querySelectorAll(".thumb.new").forEach(function (el) { el.remove(); });
    Array.prototype.forEach.call(input.files || [], function (file) {
      if (!file.type || file.type.indexOf("image/") !== 0) return;
      var fig = document.createElement("figure");
      fig.className = "thumb new";
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      fig.appendChild(img);
      box.appendChild(fig);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches('input[type="file"]')) previewPhotos(target);
    // The language list switches as soon as a language is picked; its button is for no-JS.
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) target.form.submit();
  });

  // Filters fold away on a phone so the tickets come first; a desk has room for them open.
  if (window.matchMedia && window.matchMedia("(min-width: 900px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (el) { el.open = true; });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // A summary being generated: follow its progress, then show it.
  var progressBox = document.querySelector("[data-progress-url]");
  if (progressBox && window.fetch) {
    var bar = progressBox.querySelector("progress");
    var text = progressBox.querySelector("[data-progress-text]");
    var poll = function () {
      fetch(progressBox.getAttribute("data-progress-url"), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (bar) bar.value = data.progress;
          if (text) text.textContent = data.progress + "%";
          if (data.status === "done" || data.status === "failed") window.location.reload();
          else window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 1000);
  }

  // A clear "sending" state, and no double submits on a slow connection.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var label = form.getAttribute("data-sending-label");
    if (!label) return;
    var button = form.querySelector('button[type="submit"]');
    if (!button) return;
    if (button.disabled) { event.preventDefault(); return; }
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = label;
    }, 0);
  });
})();
