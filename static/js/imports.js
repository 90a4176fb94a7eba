// The import page (templates/admin_import.html): while the dry run or the commit runs on the server, poll the job
// (GET …/status, JSON), show rows checked of rows read in the progress bar, and reload the page for the report
// when it ends. Without this script the page refreshes itself (<noscript> meta refresh).
(function () {
  'use strict';
  var root = document.getElementById('import-job');
  if (!root || !root.dataset.busy || !window.fetch) return;
  var bar = root.querySelector('progress');
  var text = root.querySelector('.import-progress-text');
  var POLL_MS = 1000;

  function number(n) {
    return (n || 0).toLocaleString(document.documentElement.lang || undefined);
  }

  function show(job) {
    if (job.total) {
      bar.max = job.total; bar.value = job.done;
      text.textContent = root.dataset.rows.replace('%(done)s', number(job.done)).replace('%(total)s', number(job.total));
    } else {
      bar.removeAttribute('value');
      text.textContent = root.dataset.reading;
    }
  }

  var timer = setInterval(async function () {
    try {
      var r = await fetch(root.dataset.statusUrl, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
      if (!r.ok) return;  // the next poll tries again
      var job = await r.json();
      show(job);
      if (!job.busy) {
        clearInterval(timer);
        window.location.reload();
      }
    } catch (e) { /* offline for a moment: the next poll tries again */ }
  }, POLL_MS);
})();
