// Safe Start web chat: posts each message as JSON and shows the replies; hears texts sent
// later (a team member's answer, MY PLAN) and the conversation so far over server-sent
// events, so a reload keeps the history. No libraries.
(function () {
  "use strict";

  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var button = document.getElementById("send");
  var log = document.getElementById("log");
  var error = document.getElementById("error");
  var intro = document.getElementById("intro");
  var words = document.querySelector(".chat").dataset;  // the page's texts, translated
  var maxText = parseInt(words.maxText, 10) || 1600;
  var sending = false;
  // A failed send keeps its id, so resending the same text is answered once, not twice.
  var failed = null;
  // The server sends the newest dev-outbox texts each time; show only the ones not yet shown
  // (only without server-sent events: with them, every text comes with its place, `seq`).
  var outboxSeen = [];
  var hearing = false;
  var shown = {};  // seq -> its message element

  function unseen(before, now) {
    for (var shift = 0; shift <= before.length; shift += 1) {
      var tail = before.slice(shift);
      var match = tail.length <= now.length && tail.every(function (text, i) {
        return now[i] === text;
      });
      if (match) { return now.slice(tail.length); }
    }
    return now;
  }

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // A message in its place in the conversation: after every shown one with a lower seq.
  function place(item, seq) {
    var after = null;
    Array.prototype.some.call(log.children, function (other) {
      var at = parseInt(other.dataset.seq || "", 10);
      if (at > seq) { after = other; return true; }
      return false;
    });
    log.insertBefore(item, after);
  }

  // An item the server kept: shown once, in order; the parent's own text, already on the
  // page without a seq (just typed), takes it instead of showing twice.
  function show(seq, kind, text) {
    if (shown[seq]) { return; }
    if (kind === "me") {
      var typed = Array.prototype.filter.call(log.querySelectorAll(".msg.me"), function (m) {
        return !m.dataset.seq && m.querySelector(".text").textContent === text;
      })[0];
      if (typed) {
        typed.dataset.seq = String(seq);
        shown[seq] = typed;
        return;
      }
    }
    shown[seq] = add(kind === "me" ? "me" : kind, text, seq);
  }

  function hear() {
    if (!window.EventSource) { return; }
    var events = new EventSource("/chat/events");
    ["me", "bot", "outbox"].forEach(function (kind) {
      events.addEventListener(kind, function (event) {
        hearing = true;
        var seq = parseInt(event.lastEventId, 10);
        show(seq, kind, JSON.parse(event.data).text);
      });
    });
    events.addEventListener("open", function () { hearing = true; });
  }

  function add(kind, text, seq) {
    var item = document.createElement("div");
    item.className = "msg " + kind;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = (kind === "me" ? words.you : kind === "outbox" ? words.outbox : words.bot) + " ";
    item.appendChild(who);
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.appendChild(body);
    if (seq) {
      item.dataset.seq = String(seq);
      place(item, seq);
    } else {
      log.appendChild(item);
    }
    // Small screens need the room once the conversation has started.
    intro.hidden = true;
    scrollToEnd();
    return item;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
    scrollToEnd();
  }

  function send(text, id) {
    sending = true;
    button.disabled = true;
    showError("");
    return fetch("/chat/messages", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ text: text, id: id })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          throw new Error(body.message || words.failed);
        }
        var items = body.items || [];
        if (items.length) {
          items.forEach(function (item) { show(item.seq, item.kind, item.text); });
        } else if (!hearing) {
          // With events on, a resend's replies (logged the first time) come from there.
          (body.replies || []).forEach(function (reply) { add("bot", reply); });
        }
        if (!hearing) {
          var outbox = body.outbox || [];
          unseen(outboxSeen, outbox).forEach(function (text) { add("outbox", text); });
          outboxSeen = outbox;
        }
        return true;
      });
    }).catch(function (failure) {
      showError(failure && failure.message && failure.message !== "Failed to fetch"
        ? failure.message : words.offline);
      return false;
    }).finally(function () {
      sending = false;
      button.disabled = false;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    var text = input.value.trim();
    if (!text) { showError(words.empty); input.focus(); return; }
    if (text.length > maxText) {
      showError(words.tooLong);
      return;
    }
    var id = failed && failed.text === text ? failed.id : newId();
    add("me", text);
    input.value = "";
    send(text, id).then(function (ok) {
      failed = ok ? null : { text: text, id: id };
      if (!ok) { input.value = text; }
      input.focus();
    });
  });

  hear();

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
