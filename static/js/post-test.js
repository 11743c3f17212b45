// Post-test page: save answers as the learner goes, and show the time left.
// Everything works without this script (the "Save and finish later" button saves too).
(function () {
  "use strict";
  var form = document.querySelector("form.post-test");
  if (!form) return;
  var status = form.querySelector(".save-status");

  form.addEventListener("change", function () {
    var data = new FormData(form);
    fetch(form.dataset.saveUrl, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        // A refusal (409: the attempt was graded, voided or ran out of time) says why.
        status.textContent = result.saved ? "Answers saved." : result.error;
      })
      .catch(function () {
        status.textContent = "Not saved: check your connection. Your choices stay on this page.";
      });
  });

  var timer = document.querySelector(".timer");
  if (!timer) return;
  var value = timer.querySelector(".timer-value");
  var alertBox = document.querySelector(".timer-alert");
  var end = Date.now() + Number(timer.dataset.remaining) * 1000;
  var warned = {};
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    value.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    [300, 60, 0].forEach(function (mark) {
      if (left <= mark && !warned[mark]) {
        warned[mark] = true;
        alertBox.textContent = mark
          ? "About " + mark / 60 + " minute(s) left."
          : "Time is up. Your saved answers will be graded when you submit.";
      }
    });
    if (left > 0) setTimeout(tick, 1000);
  }
  tick();
})();
