/* The voting page: take the credential once, read the choices, have belenios.js encrypt and
   sign them here, and send only the ballot; show the tracker to look up on the board. */
(function () {
  "use strict";
  var root = document.getElementById("voting");
  if (!root) return;
  var form = document.getElementById("ballot-form");
  var credentialInput = document.getElementById("credential");
  var status = document.getElementById("status");
  var cast = document.getElementById("cast");

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "x-csrf-token": root.dataset.csrf, "content-type": "application/json" },
      body: body || "{}",
    });
  }

  async function problemOf(answer) {
    try {
      var problem = await answer.json();
      return problem.detail || problem.title || String(answer.status);
    } catch (error) {
      return String(answer.status);
    }
  }

  document.getElementById("take-credential").addEventListener("click", async function (event) {
    var button = event.currentTarget;
    button.disabled = true;
    var answer = await post(root.dataset.credentialUrl);
    if (answer.ok) {
      credentialInput.value = (await answer.json()).credential;
      credentialInput.focus();
      button.hidden = true;
    } else {
      status.textContent = await problemOf(answer);
      button.disabled = false;
    }
  });

  function choices() {
    var marks = [];
    var fieldsets = form.querySelectorAll("fieldset.question");
    for (var i = 0; i < fieldsets.length; i++) {
      var set = fieldsets[i];
      var boxes = set.querySelectorAll("input");
      var row = [];
      var chosen = 0;
      for (var j = 0; j < boxes.length; j++) {
        row.push(boxes[j].checked ? 1 : 0);
        chosen += row[j];
      }
      var low = Number(set.dataset.min);
      var high = Number(set.dataset.max);
      if (chosen < low || chosen > high) {
        throw new Error(
          root.dataset.wrongCount
            .replace("{min}", low)
            .replace("{max}", high)
            .replace("{question}", set.dataset.question)
        );
      }
      marks.push(row);
    }
    return marks;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var credential = credentialInput.value.trim();
    if (!window.Belenios.credentialPattern.test(credential)) {
      status.textContent = root.dataset.badCredential;
      credentialInput.focus();
      return;
    }
    var marks;
    try {
      marks = choices();
    } catch (error) {
      status.textContent = error.message;
      return;
    }
    cast.disabled = true;
    status.textContent = root.dataset.working;
    try {
      var group = window.Belenios.groupOf(root.dataset.group);
      var ballot = await window.Belenios.makeBallot(root.dataset.election, group, credential, marks);
      var answer = await post(root.dataset.ballotUrl, ballot);
      if (!answer.ok) {
        status.textContent = root.dataset.failed + " " + (await problemOf(answer));
        cast.disabled = false;
        return;
      }
      var tracker = (await answer.json()).tracker;
      document.getElementById("tracker").textContent = tracker;
      document.getElementById("check-link").href =
        root.dataset.checkUrl + "?tracker=" + encodeURIComponent(tracker);
      document.getElementById("done").hidden = false;
      status.textContent = "";
      cast.disabled = false;
    } catch (error) {
      status.textContent = root.dataset.failed + " " + error.message;
      cast.disabled = false;
    }
  });
})();
