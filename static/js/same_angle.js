// 同角度拍摄: while taking the after-photo of a fix, the before-photo lies faintly over the
// camera preview, so the fix is shown from the same place and angle. Where the browser has
// no camera access (or it is refused) the before-photo is shown beside the file field
// instead; without scripts the ticket page already shows before and after side by side.
(function () {
  "use strict";

  function text(el, key, fallback) { return el.getAttribute(key) || fallback; }

  function sideBySide(box, src, hint) {
    box.textContent = "";
    var side = document.createElement("div");
    side.className = "same-angle-side";
    var img = document.createElement("img");
    img.src = src;
    img.alt = hint;
    var p = document.createElement("p");
    p.className = "help";
    p.textContent = hint;
    side.appendChild(img);
    side.appendChild(p);
    box.appendChild(side);
  }

  function addFile(input, file) {
    var transfer = new window.DataTransfer();
    Array.prototype.forEach.call(input.files || [], function (f) { transfer.items.add(f); });
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function openCamera(box, input, src, labels) {
    return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        box.textContent = "";
        var frame = document.createElement("div");
        frame.className = "same-angle";
        var video = document.createElement("video");
        video.setAttribute("playsinline", "");
        video.muted = true;
        video.srcObject = stream;
        var ghost = document.createElement("img");
        ghost.className = "same-angle-ghost";
        ghost.src = src;
        ghost.alt = "";
        frame.appendChild(video);
        frame.appendChild(ghost);
        var take = document.createElement("button");
        take.type = "button";
        take.className = "button primary";
        take.textContent = labels.take;
        var stop = document.createElement("button");
        stop.type = "button";
        stop.className = "button";
        stop.textContent = labels.cancel;
        function close() {
          stream.getTracks().forEach(function (track) { track.stop(); });
          box.textContent = "";
          box.appendChild(labels.opener);
        }
        take.addEventListener("click", function () {
          var canvas = document.createElement("canvas");
          canvas.width = video.videoWidth || 1280;
          canvas.height = video.videoHeight || 720;
          canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) {
            if (blob) addFile(input, new File([blob], "after-" + Date.now() + ".jpg", { type: "image/jpeg" }));
            close();
          }, "image/jpeg", 0.9);
        });
        stop.addEventListener("click", close);
        box.appendChild(frame);
        box.appendChild(take);
        box.appendChild(stop);
        video.play();
      });
  }

  function setUp() {
    var form = document.querySelector("#act-submit_fix form");
    var before = document.querySelector("[data-before-photo]");
    if (!form || !before) return;
    var input = form.querySelector('input[type="file"][name="photos"]');
    if (!input) return;
    var src = before.getAttribute("data-before-photo");
    var box = document.createElement("div");
    box.className = "same-angle-box";
    var hint = text(form, "data-same-angle-hint", "请对照整改前照片的位置和角度拍摄整改后照片。");
    var picker = input.closest(".photo-picker") || input.parentNode;
    picker.parentNode.insertBefore(box, picker.nextSibling);
    var canCapture = navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer;
    if (!canCapture) { sideBySide(box, src, hint); return; }
    var opener = document.createElement("button");
    opener.type = "button";
    opener.className = "button";
    opener.textContent = text(form, "data-same-angle-open", "对照整改前照片拍摄");
    var labels = {
      take: text(form, "data-same-angle-take", "拍照"),
      cancel: text(form, "data-same-angle-cancel", "取消"),
      opener: opener
    };
    opener.addEventListener("click", function () {
      openCamera(box, input, src, labels).catch(function () { sideBySide(box, src, hint); });
    });
    box.appendChild(opener);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
