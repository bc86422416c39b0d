/* The leaflet editor's checks as you type, picture insertion and removal confirmation.
   The form works without this script: Save and the other buttons post it to the server,
   which answers with the page again. With it, after a pause in typing the form is posted
   to the check address and the messages, the error summary and the readability figures
   are brought up to date, without moving the focus. No inline script is needed (CSP).
   The error summary the server sends takes the focus by itself (autofocus), script or not. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-check-url]");
  if (!form) {
    return;
  }
  var checkUrl = form.getAttribute("data-check-url");
  var summary = document.getElementById("error-summary");
  var statusBox = document.getElementById("check-status");
  var PAUSE_MS = 800;
  var timer = null;
  var sent = 0;
  var lastAnnounced = null;
  var touched = new WeakSet();
  var baseTitle = document.title.replace(/^Error: /, "");

  // ---- checks as you type -------------------------------------------------------------------
  function schedule(event) {
    var target = event.target;
    if (!target || !target.name || target.name.indexOf("picture-") === 0) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(check, PAUSE_MS);
  }

  function check() {
    var body = new URLSearchParams(new FormData(form));
    var token = form.elements.namedItem("csrf_token");
    var mine = ++sent;
    fetch(checkUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      cache: "no-store",
      headers: {"X-CSRF-Token": token ? token.value : ""}
    }).then(function (answer) {
      if (!answer.ok) {
        throw new Error("check answered " + answer.status);
      }
      return answer.json();
    }).then(function (answer) {
      if (mine === sent) { // an older answer arriving late must not undo a newer one
        show(answer);
      }
    }).catch(function () {
      // The server is away or busy: the messages stay as they were; Save still checks.
    });
  }

  function idOf(name) {
    return "f-" + name.replace(/[^A-Za-z0-9_-]/g, "-");
  }

  function inputFor(problem) {
    // The server says where a message goes ("input"); otherwise the field itself, or for
    // a section written as plain text, its text.
    var names = problem.input !== undefined ? [problem.input] : [problem.field, problem.field + ".body"];
    for (var i = 0; i < names.length; i++) {
      if (names[i] && document.getElementById(idOf(names[i]))) {
        return names[i];
      }
    }
    return "";
  }

  function clearMessages() {
    var boxes = form.querySelectorAll(".error-message");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var id = box.id.replace(/-error$/, "");
      if (id.indexOf("f-picture-") === 0) {
        continue; // a picture chooser's own messages are not check's
      }
      box.textContent = "";
      box.hidden = true;
      var input = document.getElementById(id);
      if (input) {
        input.removeAttribute("aria-invalid");
      }
      var wrapper = document.getElementById(id + "-field");
      if (wrapper) {
        wrapper.classList.remove("field-error");
      }
    }
  }

  function addMessage(id, message) {
    var box = document.getElementById(id + "-error");
    if (!box) {
      return;
    }
    var line = document.createElement("p");
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = "Error: ";
    line.appendChild(hidden);
    line.appendChild(document.createTextNode(message));
    box.appendChild(line);
    box.hidden = false;
    var input = document.getElementById(id);
    if (input) {
      input.setAttribute("aria-invalid", "true");
    }
    var wrapper = document.getElementById(id + "-field");
    if (wrapper) {
      wrapper.classList.add("field-error");
    }
  }

  function position(id) {
    var element = id ? document.getElementById(id) : null;
    if (!element) {
      return -1;
    }
    var all = form.querySelectorAll("[data-label]");
    return Array.prototype.indexOf.call(all, element);
  }

  function show(answer) {
    var problems = answer.problems || [];
    clearMessages();
    var entries = [];
    problems.forEach(function (problem) {
      var name = inputFor(problem);
      var id = name ? idOf(name) : "";
      var input = id ? document.getElementById(id) : null;
      if (input) {
        addMessage(id, problem.message);
      }
      entries.push({
        id: input ? id : "",
        label: input ? input.getAttribute("data-label") : problem.field,
        message: problem.message,
        order: input ? position(id) + 1 : 0
      });
    });
    entries.sort(function (a, b) { return a.order - b.order; });
    showSummary(entries);
    showReadability(answer.readability);
    announce(problems.length);
  }

  function showSummary(entries) {
    if (!summary) {
      return;
    }
    // The summary was an alert when the page came; updates are announced politely instead.
    summary.removeAttribute("role");
    summary.removeAttribute("autofocus");
    var list = summary.querySelector("ul");
    list.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var holder = item;
      if (entry.id) {
        holder = document.createElement("a");
        holder.href = "#" + entry.id;
        item.appendChild(holder);
      }
      var separator = /\?$/.test(entry.label || "") ? " \u2013 " : ": ";
      holder.textContent = (entry.label ? entry.label + separator : "") + entry.message;
      list.appendChild(item);
    });
    summary.hidden = entries.length === 0;
    document.title = (entries.length ? "Error: " : "") + baseTitle;
  }

  function showReadability(figures) {
    var shown = {reading_ease: "–", grade: "–", smog: "–", words: "–"};
    if (figures) {
      shown.reading_ease = Number(figures.reading_ease).toFixed(1);
      shown.grade = Number(figures.grade).toFixed(1);
      shown.smog = Number(figures.smog).toFixed(1);
      shown.words = Number(figures.words).toLocaleString("en-GB");
    }
    Object.keys(shown).forEach(function (key) {
      var cell = form.querySelector('[data-readability="' + key + '"]');
      if (cell && cell.textContent !== shown[key]) {
        cell.textContent = shown[key];
      }
    });
  }

  function announce(count) {
    if (count === lastAnnounced) {
      return; // say it only when it changes, not after every pause
    }
    lastAnnounced = count;
    say(count === 0 ? "No problems found." : count === 1 ? "1 problem found." : count + " problems found.");
  }

  function say(text) {
    if (statusBox) {
      statusBox.textContent = text;
    }
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);

  // ---- pictures: inserted where the cursor is ------------------------------------------------
  form.addEventListener("focusin", function (event) {
    if (event.target.tagName === "TEXTAREA") {
      touched.add(event.target);
    }
  });

  function escapeAlt(text) {
    return text.replace(/\s+/g, " ").trim().replace(/([\\\[\]<])/g, "\\$1");
  }

  function escapeTitle(text) {
    return text.replace(/\s+/g, " ").trim().replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  }

  function pictureMarkdown(file, alt, caption) {
    var target = /[\s()]/.test(file) ? "<" + file + ">" : file;
    var title = escapeTitle(caption);
    return "![" + escapeAlt(alt) + "](" + target + (title ? ' "' + title + '"' : "") + ")";
  }

  function chooserProblem(name, message) {
    var id = idOf(name);
    var box = document.getElementById(id + "-error");
    if (box) {
      box.textContent = "";
    }
    addMessage(id, message);
    document.getElementById(id).focus(); // the writer pressed the button: the focus may move
  }

  function clearChooser(path) {
    ["picture-file:", "picture-alt:", "picture-caption:"].forEach(function (part) {
      var id = idOf(part + path);
      var box = document.getElementById(id + "-error");
      if (box) {
        box.textContent = "";
        box.hidden = true;
      }
      var input = document.getElementById(id);
      if (input) {
        input.removeAttribute("aria-invalid");
      }
      var wrapper = document.getElementById(id + "-field");
      if (wrapper) {
        wrapper.classList.remove("field-error");
      }
    });
  }

  function insertPicture(path) {
    var text = form.elements.namedItem(path);
    var file = form.elements.namedItem("picture-file:" + path);
    var alt = form.elements.namedItem("picture-alt:" + path);
    var caption = form.elements.namedItem("picture-caption:" + path);
    if (!text || !file || !alt || !caption) {
      return false;
    }
    clearChooser(path);
    if (!file.value) {
      chooserProblem("picture-file:" + path, "Choose a picture to insert.");
      return true;
    }
    if (!alt.value.trim()) {
      chooserProblem("picture-alt:" + path, "Say what the picture shows, for people who cannot see it.");
      return true;
    }
    var markdown = pictureMarkdown(file.value, alt.value, caption.value);
    var value = text.value;
    var start = touched.has(text) ? text.selectionStart : value.length;
    var end = touched.has(text) ? text.selectionEnd : value.length;
    var before = value.slice(0, start);
    var after = value.slice(end);
    // The picture is a paragraph of its own: a blank line before and after it.
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var trail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    text.setRangeText(lead + markdown + trail, start, end, "end");
    alt.value = "";
    caption.value = "";
    file.value = "";
    text.focus();
    touched.add(text);
    text.dispatchEvent(new Event("input", {bubbles: true}));
    say("Picture inserted into the text.");
    return true;
  }

  // ---- buttons: pictures without a round trip, and removals confirmed -------------------------
  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[name=action]") : null;
    if (!button) {
      return;
    }
    var action = button.value;
    if (action.indexOf("insert-picture:") === 0) {
      if (insertPicture(action.slice("insert-picture:".length))) {
        event.preventDefault();
      }
    } else if (action.indexOf("remove-extra:") === 0) {
      var input = form.elements.namedItem("extra_sections." + action.split(":")[1] + ".heading");
      var heading = input ? input.value.trim() : "";
      var what = heading ? "the section \u201c" + heading + "\u201d" : "this extra section";
      if (!window.confirm("Remove " + what + "? Its heading and text will be deleted.")) {
        event.preventDefault();
      }
    }
  });
})();
