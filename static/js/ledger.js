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
      img.onload = function () { URL.revokeObjectURL(img.src); };
      img.src = URL.createObjectURL(file);
      fig.appendChild(img);
      box.appendChild(fig);
    });
  }

  // --- Photos are shrunk before they leave the phone --------------------------------------
  // A street staffer's 12-megapixel photo is 4-8 MB over a weak mobile signal; 1600 px on the
  // long side is plenty to see the problem and uploads in a tenth of the time. Anything that
  // goes wrong (an old browser, a picture it cannot decode) sends the original: the server
  // checks it and accepts it up to PHOTO_MAX_MB, and strips its metadata either way.
  var MAX_SIDE = 1600;
  var QUALITY = 0.82;
  var SHRINKABLE = /^image\/(jpeg|png|webp)$/;

  function canReplaceFiles() {
    try { return !!(new window.DataTransfer()).items; } catch (e) { return false; }
  }
  var shrinkSupported = !!(window.createImageBitmap && window.HTMLCanvasElement &&
    HTMLCanvasElement.prototype.toBlob && window.Promise && window.DataView && window.Blob &&
    Blob.prototype.arrayBuffer) && canReplaceFiles();

  function decode(file) {
    return window.createImageBitmap(file, { imageOrientation: "from-image" });
  }

  // Does this browser turn a photo upright by its EXIF Orientation when decoding it? A 2×1
  // picture tagged "rotate 90°" tells: it comes out 1×2 if so.
  var PROBE = "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDAP//////////////" +
    "////////////////////////////////////////////////////////////////////////wAALCAABAAIBAREA/8QAFAAB" +
    "AAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AN//Z";
  var turnsUpright = null;
  function probeOrientation() {
    if (!turnsUpright) {
      var raw = window.atob(PROBE);
      var bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      turnsUpright = decode(new Blob([bytes], { type: "image/jpeg" }))
        .then(function (bitmap) {
          var upright = bitmap.height > bitmap.width;
          if (bitmap.close) bitmap.close();
          return upright;
        })
        .catch(function () { return false; });
    }
    return turnsUpright;
  }

  // The original's EXIF segment (APP1), so the capture time and place the ledger keeps survive
  // the canvas, which writes none. null when there is none or the file is not a plain JPEG.
  function exifSegment(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) return null;
    var pos = 2;
    while (pos + 4 <= view.byteLength) {
      var marker = view.getUint16(pos);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;
      var length = view.getUint16(pos + 2);
      if (marker === 0xFFE1 && length >= 16 && view.getUint32(pos + 4) === 0x45786966 && view.getUint16(pos + 8) === 0) {
        return new Uint8Array(buffer.slice(pos, pos + 2 + length));
      }
      pos += 2 + length;
    }
    return null;
  }

  // The pixels were drawn upright: say so in the copied EXIF, or the server turns them again.
  function markUpright(segment) {
    var view = new DataView(segment.buffer);
    var tiff = 10; // FF E1, length, "Exif\0\0"
    var little = view.getUint16(tiff) === 0x4949;
    var ifd = tiff + view.getUint32(tiff + 4, little);
    var count = view.getUint16(ifd, little);
    for (var i = 0; i < count; i++) {
      var entry = ifd + 2 + i * 12;
      if (entry + 12 > view.byteLength) break;
      if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
    }
    return segment;
  }

  // The new JPEG with the original's EXIF after its JFIF header.
  function withExif(jpeg, segment) {
    return jpeg.arrayBuffer().then(function (buffer) {
      var view = new DataView(buffer);
      var at = 2;
      if (view.getUint16(2) === 0xFFE0) at = 4 + view.getUint16(4);
      return new Blob([buffer.slice(0, at), segment, buffer.slice(at)], { type: "image/jpeg" });
    });
  }

  function jpegName(name) {
    return (name || "photo").replace(/\.[^.\/]*$/, "") + ".jpg";
  }

  function shrinkOne(file) {
    if (!SHRINKABLE.test(file.type || "")) return Promise.resolve(file);
    var original = file.type === "image/jpeg" ? file.arrayBuffer() : null;
    return Promise.all([decode(file), probeOrientation(), original])
      .then(function (parts) {
        var bitmap = parts[0];
        var long = Math.max(bitmap.width, bitmap.height);
        if (long <= MAX_SIDE) {
          if (bitmap.close) bitmap.close();
          return file;
        }
        var scale = MAX_SIDE / long;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff"; // a PNG's transparent parts would turn black in a JPEG
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.imageSmoothingQuality = "high";
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        if (bitmap.close) bitmap.close();
        var exif = null;
        try {
          exif = parts[2] ? exifSegment(parts[2]) : null;
          if (exif && parts[1]) exif = markUpright(exif);
        } catch (e) {
          exif = null; // unreadable EXIF: the photo goes without it
        }
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); })
          .then(function (blob) {
            if (!blob) return file;
            return (exif ? withExif(blob, exif) : Promise.resolve(blob)).then(function (jpeg) {
              return new File([jpeg], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
            });
          });
      })
      .catch(function () { return file; });
  }

  function shrinkPhotos(input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var generation = (input.ledgerShrinkGeneration || 0) + 1;
    input.ledgerShrinkGeneration = generation;
    // One at a time: a cheap phone holds one decoded 12-megapixel photo at once, not nine.
    var done = files.reduce(function (chain, file) {
      return chain.then(function (out) {
        return shrinkOne(file).then(function (small) { out.push(small); return out; });
      });
    }, Promise.resolve([]))
      .then(function (smaller) {
        if (input.ledgerShrinkGeneration !== generation) return; // picked again meanwhile
        if (smaller.every(function (file, i) { return file === files[i]; })) return;
        var transfer = new window.DataTransfer();
        smaller.forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
        input.setAttribute("data-shrunk", String(smaller.length));
        previewPhotos(input);
      })
      .catch(function () { /* the originals stay in the input */ })
      .then(function () { if (input.ledgerShrinking === done) input.ledgerShrinking = null; });
    input.ledgerShrinking = done;
  }

  function shrinksPending(form) {
    return Array.prototype.map.call(form.querySelectorAll('input[type="file"]'), function (input) {
      return input.ledgerShrinking;
    }).filter(Boolean);
  }

  // "From the album": the photo field opens the camera straight away (capture), which on most
  // phones hides the gallery; this button opens the same field without it.
  if (window.matchMedia && window.matchMedia("(pointer: coarse)").matches) {
    document.querySelectorAll("[data-gallery-for]").forEach(function (button) { button.hidden = false; });
  }
  function restoreCapture(input) {
    if (input && input.hasAttribute("data-capture")) {
      input.setAttribute("capture", input.getAttribute("data-capture"));
      input.removeAttribute("data-capture");
    }
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var button = event.target.closest("[data-gallery-for]");
    if (button) {
      var input = document.getElementById(button.getAttribute("data-gallery-for"));
      if (!input) return;
      if (input.hasAttribute("capture")) {
        input.setAttribute("data-capture", input.getAttribute("capture"));
        input.removeAttribute("capture");
      }
      input.click();
      return;
    }
    // The camera button again: the camera again, even if the album was closed without a pick.
    var label = event.target.closest("label[for]");
    if (label) restoreCapture(document.getElementById(label.getAttribute("for")));
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches('input[type="file"]')) {
      restoreCapture(target);
      previewPhotos(target);
      if (shrinkSupported && target.hasAttribute("data-shrink-photos")) shrinkPhotos(target);
    }
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
  function showSending(form, label, submitter) {
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll('button[type="submit"]');
    var shown = submitter && submitter.form === form ? submitter : buttons[0];
    // Disabled after the browser has read the form: a disabled button's name is not sent.
    window.setTimeout(function () {
      Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    }, 0);
    if (shown && !shown.hasAttribute("data-label")) {
      shown.setAttribute("data-label", shown.textContent);
      shown.textContent = label;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var label = form.getAttribute("data-sending-label");
    if (!label) return;
    if (form.hasAttribute("data-sending")) { event.preventDefault(); return; }
    var submitter = event.submitter || null;
    var waiting = shrinksPending(form);
    if (waiting.length) {
      // Photos still being shrunk: send once they are (or after 30 s with whatever is ready).
      event.preventDefault();
      form.setAttribute("data-sending", "waiting");
      form.setAttribute("aria-busy", "true");
      var shown = submitter || form.querySelector('button[type="submit"]');
      if (shown && !shown.hasAttribute("data-label")) {
        shown.setAttribute("data-label", shown.textContent);
        shown.textContent = label;
      }
      var timeout = new Promise(function (resolve) { window.setTimeout(resolve, 30000); });
      Promise.race([Promise.all(waiting), timeout]).then(function () {
        form.querySelectorAll('input[type="file"]').forEach(function (input) { input.ledgerShrinking = null; });
        form.removeAttribute("data-sending");
        if (form.requestSubmit) {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          form.setAttribute("data-sending", "sent");
          form.submit();
        }
      });
      return;
    }
    form.setAttribute("data-sending", "sent");
    showSending(form, label, submitter);
  });

  // --- The phone's navigation shows that it scrolls ------------------------------------------
  // Nine links do not fit 360 px: the edge with more links beyond it fades out with an arrow,
  // and the current page's link is scrolled into view.
  var navWrap = document.querySelector(".mainnav-wrap");
  var nav = navWrap && navWrap.querySelector(".mainnav");
  if (nav) {
    var shadeNav = function () {
      var left = nav.scrollLeft;
      navWrap.classList.toggle("more-left", left > 1);
      navWrap.classList.toggle("more-right", left + nav.clientWidth < nav.scrollWidth - 1);
    };
    var current = nav.querySelector('[aria-current="page"]');
    if (current && current.offsetLeft + current.offsetWidth > nav.clientWidth) {
      nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
    }
    nav.addEventListener("scroll", shadeNav, { passive: true });
    window.addEventListener("resize", shadeNav);
    shadeNav();
  }

  // --- A photo opens large over the page ----------------------------------------------------
  // The before and after photos are links to the picture itself; with this script a tap (or
  // Enter) shows it over the page in a <dialog>: Esc, the close button or a tap beside it
  // closes it, and the focus goes back to the photo.
  var lightbox = null;
  function openLarge(link) {
    if (!window.HTMLDialogElement) return false;
    if (!lightbox) {
      lightbox = document.createElement("dialog");
      lightbox.className = "lightbox";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "button lightbox-close";
      close.addEventListener("click", function () { lightbox.close(); });
      var picture = document.createElement("img");
      lightbox.appendChild(close);
      lightbox.appendChild(picture);
      // A tap on the dark area around the picture closes it too.
      lightbox.addEventListener("click", function (event) { if (event.target === lightbox) lightbox.close(); });
      document.body.appendChild(lightbox);
    }
    var box = link.closest("[data-lightbox-close]");
    var thumb = link.querySelector("img");
    lightbox.querySelector(".lightbox-close").textContent = box ? box.getAttribute("data-lightbox-close") : "×";
    var large = lightbox.querySelector("img");
    large.src = link.href;
    large.alt = thumb ? thumb.alt : "";
    lightbox.setAttribute("aria-label", large.alt);
    lightbox.showModal();
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-lightbox]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (openLarge(link)) event.preventDefault();
  });

  // --- The unit chooser: type part of a name to narrow the list --------------------------------
  // Sixty units under six streets is a long scroll on a phone. A box above the select keeps
  // only the units (or whole streets) whose name holds what was typed; what is chosen always
  // stays. Without this script the select is a plain grouped list.
  function filterableSelect(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.placeholder = select.getAttribute("data-filter");
    box.setAttribute("autocomplete", "off");
    box.setAttribute("aria-controls", select.id);
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    var name = label ? label.textContent.replace(/[*\u2060]/g, "").trim() : ""; // without the required star
    box.setAttribute("aria-label", (name ? name + "：" : "") + box.placeholder);
    var count = document.createElement("small");
    count.className = "help select-filter-count";
    count.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(count, select.nextSibling);
    // What the select holds, read once: its groups with their options, and loose options.
    var items = Array.prototype.map.call(select.children, function (node) {
      return { node: node, options: node.tagName === "OPTGROUP" ? Array.prototype.slice.call(node.children) : null };
    });
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase();
      var hit = function (text) { return !words || text.toLowerCase().indexOf(words) >= 0; };
      var chosen = Array.prototype.filter.call(select.options, function (o) { return o.selected && o.value; })
        .map(function (o) { return o.value; });
      var found = [];
      select.textContent = "";
      items.forEach(function (item) {
        if (!item.options) {
          var match = item.node.value && hit(item.node.text);
          if (match) found.push(item.node);
          if (match || !item.node.value || chosen.indexOf(item.node.value) >= 0) select.appendChild(item.node);
          return;
        }
        var wholeGroup = words && hit(item.node.label);
        item.node.textContent = "";
        item.options.forEach(function (option) {
          var match = wholeGroup || hit(option.text);
          if (match) found.push(option);
          if (match || chosen.indexOf(option.value) >= 0) item.node.appendChild(option);
        });
        if (item.node.children.length) select.appendChild(item.node);
      });
      Array.prototype.forEach.call(select.options, function (o) { o.selected = chosen.indexOf(o.value) >= 0; });
      // One unit left for a single choice: it is the one meant.
      if (words && !select.multiple && found.length === 1 && !found[0].selected) {
        found[0].selected = true;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      count.textContent = words ? select.getAttribute("data-filter-count").replace("{n}", found.length) : "";
    });
  }
  document.querySelectorAll("select[data-filter]").forEach(filterableSelect);

  // --- A form that came back with errors -----------------------------------------------------
  // The page is drawn again from the top, so on a phone the errors sit a screen or more below
  // it. Bring the list of errors at the top of the form into view, put the cursor on the first
  // field in trouble, and show the address of the page the form belongs to (it was sent to the
  // act's own URL, which cannot be opened again).
  function inView(el) {
    var box = el.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function focusField(field) {
    var shown = field.closest(".field") || field;
    field.focus({ preventScroll: true });
    if (!inView(shown)) shown.scrollIntoView({ block: "nearest" });
  }

  var failed = document.querySelector("[data-failed-form]");
  if (failed) {
    var address = failed.getAttribute("data-page-url");
    if (address && window.history && window.history.replaceState) {
      // The form's #anchor only once the page has loaded: a page that finishes loading with a
      // fragment in its address is scrolled to it and the focus is taken away.
      var anchor = address.indexOf("#");
      window.history.replaceState(window.history.state, "", anchor < 0 ? address : address.slice(0, anchor));
      if (anchor >= 0) {
        var withAnchor = function () {
          window.setTimeout(function () { window.history.replaceState(window.history.state, "", address); }, 0);
        };
        if (document.readyState === "complete") withAnchor();
        else window.addEventListener("load", withAnchor);
      }
    }
    if (failed.tagName === "DETAILS") failed.open = true;
    var summary = failed.querySelector(".error-summary");
    var first = failed.querySelector("[aria-invalid=true]:not([type=hidden])") || summary;
    // The form's title too when it all fits on the screen; else from the list of errors down.
    failed.scrollIntoView({ block: "start" });
    var shownFirst = first && (first.closest(".field") || first);
    if (summary && (!inView(summary) || (shownFirst && !inView(shownFirst)))) summary.scrollIntoView({ block: "start" });
    if (first) focusField(first);
  }

  // A link in the list of errors: the field itself takes the focus, not only the scroll.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    focusField(field);
  });

  // Back to a page the browser kept in memory: its buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.removeAttribute("aria-busy");
      form.querySelectorAll('button[type="submit"]').forEach(function (button) {
        button.disabled = false;
        if (button.hasAttribute("data-label")) {
          button.textContent = button.getAttribute("data-label");
          button.removeAttribute("data-label");
        }
      });
    });
  });

  // The wall screen: new figures every few minutes, swapped in place; if the office network
  // is down the last board stays up (with its time) instead of a browser error page.
  var wall = document.querySelector("[data-refresh-seconds]");
  if (wall && window.fetch && window.DOMParser) {
    var every = 1000 * (parseInt(wall.getAttribute("data-refresh-seconds"), 10) || 120);
    var refresh = function () {
      fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.redirected) {
            window.location.reload(); // logged out: let the browser show the way back in
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          var main = document.querySelector("main");
          if (fresh && main) {
            main.innerHTML = fresh.innerHTML;
            document.dispatchEvent(new CustomEvent("ledger:refreshed")); // wall.js lays out its pages again
          }
        })
        .catch(function () { /* keep the last board up; try again next time */ })
        .then(function () { window.setTimeout(refresh, every); });
    };
    window.setTimeout(refresh, every);
  }
})();
