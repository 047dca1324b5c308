// A point's place from the phone standing at it: read navigator.geolocation (WGS-84), show the
// reading and its accuracy, and send it with the form. The server refuses a rough reading too.
(function () {
  "use strict";

  var form = document.getElementById("locate-form");
  if (!form) return;
  var read = document.getElementById("locate-read");
  var save = document.getElementById("locate-save");
  var status = document.getElementById("locate-status");
  var limit = Number(status.getAttribute("data-limit"));

  function text(key) {
    // A <template>'s children live in its content fragment, out of the document's reach.
    var node = document.getElementById("locate-text").content.querySelector('[data-key="' + key + '"]');
    return node ? node.textContent : key;
  }

  if (!("geolocation" in navigator)) {
    status.textContent = text("unsupported");
    return;
  }
  read.hidden = false;
  read.addEventListener("click", function () {
    status.textContent = text("asking");
    save.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var c = position.coords;
        form.elements.latitude.value = c.latitude.toFixed(6);
        form.elements.longitude.value = c.longitude.toFixed(6);
        form.elements.accuracy.value = Math.round(c.accuracy);
        status.textContent = text("reading")
          .replace("{lat}", c.latitude.toFixed(6))
          .replace("{lng}", c.longitude.toFixed(6))
          .replace("{acc}", Math.round(c.accuracy));
        if (c.accuracy > limit) status.textContent += " " + text("too_rough");
        // Sent either way: the server's refusal is the one that counts, and says why.
        save.disabled = false;
      },
      function () {
        status.textContent = text("denied");
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  });
})();
