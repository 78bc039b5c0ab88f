// The review desk's keyboard and small conveniences. Every action is a plain form, so the
// pages work without this file; it only adds shortcuts, row clicks and flag focus.
(function () {
  "use strict";

  var submitting = false;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function press(button) {
    if (!button || submitting) return;
    var form = button.form;
    if (!form) { button.click(); return; }
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  }

  document.addEventListener("submit", function () {
    submitting = true;
    document.body.classList.add("busy");
  });
  window.addEventListener("pageshow", function () {
    submitting = false;
    document.body.classList.remove("busy");
  });

  // Selects that apply at once (the queue's status).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Table rows and cards that open an item when clicked anywhere.
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, textarea, select, form")) return;
      window.location.href = row.getAttribute("data-href");
    });
  });

  // The queue: j/k move through rows, Enter or o opens.
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  var rowIndex = -1;
  function selectRow(index) {
    if (!rows.length) return;
    rowIndex = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row) { row.classList.remove("sel"); });
    rows[rowIndex].classList.add("sel");
    revealInWindow(rows[rowIndex]);
  }

  // The first row is selected from the start, so Enter opens the top of the list.
  if (rows.length && !document.getElementById("review-root")) selectRow(0);

  // The chat view: one focused flag at a time, its message and spans lit.
  var root = document.getElementById("review-root");
  var flags = Array.prototype.slice.call(document.querySelectorAll(".flags-panel .flag[data-flag]"));
  var flagIndex = -1;

  function focusFlag(index, scroll) {
    if (!flags.length) return;
    flagIndex = (index + flags.length) % flags.length;
    var card = flags[flagIndex];
    var number = card.getAttribute("data-flag");
    flags.forEach(function (f) { f.classList.remove("focused"); });
    document.querySelectorAll(".msg.focused").forEach(function (m) { m.classList.remove("focused"); });
    document.querySelectorAll("mark.lit, .pin.lit").forEach(function (m) { m.classList.remove("lit"); });
    card.classList.add("focused");
    var message = card.hasAttribute("data-message") ?
      document.getElementById("m" + card.getAttribute("data-message")) : null;
    if (message) {
      message.classList.add("focused");
      message.querySelectorAll("mark[data-flags]").forEach(function (mark) {
        if (mark.getAttribute("data-flags").split(" ").indexOf(number) >= 0) mark.classList.add("lit");
      });
      message.querySelectorAll('.pin[data-flag="' + number + '"]').forEach(function (pin) { pin.classList.add("lit"); });
    }
    if (scroll !== false) {
      revealInPanel(card);
      if (message) revealInWindow(message);
    }
  }

  // Scroll only when the thing is out of sight, so a short chat keeps its header in view.
  function revealInWindow(element) {
    var rect = element.getBoundingClientRect();
    var top = 56, bottom = window.innerHeight - 40;
    if (rect.top < top || rect.bottom > bottom) element.scrollIntoView({ block: "center" });
  }

  function revealInPanel(card) {
    var panel = card.closest(".flags-panel");
    if (!panel || panel.scrollHeight <= panel.clientHeight) { revealInWindow(card); return; }
    var box = panel.getBoundingClientRect();
    var rect = card.getBoundingClientRect();
    if (rect.top < box.top) panel.scrollTop -= box.top - rect.top + 8;
    else if (rect.bottom > box.bottom)
      panel.scrollTop += Math.min(rect.bottom - box.bottom + 8, rect.top - box.top - 8);
  }

  // The flag list ends just above the shortcut bar, wherever the page is scrolled.
  var panel = document.querySelector(".flags-panel");
  var keysBar = document.querySelector("footer.keys");
  function fitPanel() {
    if (!panel) return;
    if (window.matchMedia("(max-width: 1100px)").matches) { panel.style.maxHeight = ""; return; }
    var top = Math.max(panel.getBoundingClientRect().top, 56);
    var bottom = window.innerHeight - (keysBar ? keysBar.offsetHeight : 0) - 8;
    panel.style.maxHeight = Math.max(240, bottom - top) + "px";
  }
  var fitting = false;
  function fitSoon() {
    if (fitting) return;
    fitting = true;
    window.requestAnimationFrame(function () { fitting = false; fitPanel(); });
  }
  fitPanel();
  window.addEventListener("resize", fitSoon);
  window.addEventListener("scroll", fitSoon, { passive: true });

  function indexOfNumber(number) {
    for (var i = 0; i < flags.length; i++) {
      if (flags[i].getAttribute("data-flag") === String(number)) return i;
    }
    return -1;
  }

  if (root && flags.length) {
    var after = root.getAttribute("data-after");
    var focus = root.getAttribute("data-focus");
    var start = -1;
    if (after) {
      // After a decision: the next flag still waiting for review, else stay.
      var from = indexOfNumber(after);
      for (var step = 1; step <= flags.length && from >= 0; step++) {
        var candidate = flags[(from + step) % flags.length];
        if (candidate.classList.contains("pending")) { start = (from + step) % flags.length; break; }
      }
      if (start < 0) start = from;
    }
    if (start < 0 && focus) start = indexOfNumber(focus);
    if (start < 0) start = 0;
    focusFlag(start, true);

    flags.forEach(function (card, i) {
      card.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, textarea, select")) return;
        focusFlag(i, false);
      });
    });
    document.querySelectorAll(".pin[data-flag]").forEach(function (pin) {
      pin.addEventListener("click", function (event) {
        event.preventDefault();
        var i = indexOfNumber(pin.getAttribute("data-flag"));
        if (i >= 0) focusFlag(i, true);
      });
    });
  }

  function act(name) {
    if (flagIndex < 0) return;
    var card = flags[flagIndex];
    var button = card.querySelector('[data-act="' + name + '"]');
    if (!button && name === "teach") button = card.querySelector('[data-act="confirm_teach"]');
    press(button);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (document.activeElement && typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (typing(event.target) || submitting) return;
    var key = event.key;
    if (flags.length) {
      if (key === "j") { focusFlag(flagIndex + 1); event.preventDefault(); return; }
      if (key === "k") { focusFlag(flagIndex - 1); event.preventDefault(); return; }
      if (key === "c") { act("confirm"); event.preventDefault(); return; }
      if (key === "d") { act("dismiss"); event.preventDefault(); return; }
      if (key === "t") { act("teach"); event.preventDefault(); return; }
    } else if (rows.length) {
      if (key === "j") { selectRow(rowIndex + 1); event.preventDefault(); return; }
      if (key === "k") { selectRow(rowIndex - 1); event.preventDefault(); return; }
      if ((key === "Enter" || key === "o") && rowIndex >= 0) {
        window.location.href = rows[rowIndex].getAttribute("data-href");
        event.preventDefault();
        return;
      }
    }
    var shortcut = document.querySelector('[data-key="' + key + '"]');
    if (shortcut) {
      event.preventDefault();
      var tag = shortcut.tagName.toLowerCase();
      if (tag === "a") window.location.href = shortcut.href;
      else if (tag === "input") shortcut.focus();
      else press(shortcut);
    }
  });
})();
