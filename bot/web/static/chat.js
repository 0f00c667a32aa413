// Safe Start web chat: posts each message as JSON and shows the replies. No libraries.
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
  // The server sends the newest dev-outbox texts each time; show only the ones not yet shown.
  var outboxSeen = [];

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

  function add(kind, text) {
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
    log.appendChild(item);
    // Small screens need the room once the conversation has started.
    intro.hidden = true;
    scrollToEnd();
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
        (body.replies || []).forEach(function (reply) { add("bot", reply); });
        var outbox = body.outbox || [];
        unseen(outboxSeen, outbox).forEach(function (text) { add("outbox", text); });
        outboxSeen = outbox;
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

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
