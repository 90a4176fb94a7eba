// The report page's exports (templates/audit_exports.html): a click on CSV / XLSX / PDF starts an export job on
// the server (POST /audit/exports) instead of waiting for the file; the page polls the job, shows its real
// progress (rows written; for a PDF rows laid out, then pages written), and offers the file when it is ready,
// downloading it at once if this page started it. Jobs still running when the page is opened again (it may have
// been closed meanwhile) are polled again. Without this script, the links download the file directly.
(function () {
  'use strict';
  var root = document.getElementById('exports');
  if (!root || !window.fetch || !window.FormData) return;
  var box = document.getElementById('export-progress');
  var bar = box.querySelector('progress');
  var status = box.querySelector('.export-status');
  var list = document.getElementById('export-jobs');
  var template = document.getElementById('export-job-template');
  var encoding = document.getElementById('export-encoding');
  var POLL_MS = 1000;
  var active = null;  // the row whose progress the box shows

  function say(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function number(n) {
    return (n || 0).toLocaleString(document.documentElement.lang || undefined);
  }

  function progressText(job) {
    if (job.status === 'queued' || (job.total == null && !job.done)) return root.dataset.starting;
    var values = {done: number(job.done), total: number(job.total)};
    if (job.stage === 'layout') return say(root.dataset.layingOut, values);
    if (job.stage === 'pages') return say(root.dataset.writingPages, values);
    return job.total == null ? say(root.dataset.rowsSoFar, values) : say(root.dataset.rowsWritten, values);
  }

  function showBox(row, job) {
    active = row;
    box.hidden = false;
    if (job.status === 'done') {
      bar.max = 1; bar.value = 1;
      status.textContent = root.dataset.ready + ' ' + (job.file_name || '');
    } else if (job.status === 'failed') {
      bar.max = 1; bar.value = 0;
      status.textContent = root.dataset.failed + ': ' + (job.error || '');
    } else {
      var pagesWaiting = job.stage === 'pages' && job.done < job.total;
      if (job.total && !pagesWaiting) { bar.max = job.total; bar.value = job.done; }
      else if (job.total === 0) { bar.max = 1; bar.value = 0; }
      else { bar.removeAttribute('value'); }  // pages being written: one call, no count inside it
      status.textContent = progressText(job);
    }
  }

  function fill(row, job) {
    row.dataset.status = job.status;
    row.dataset.url = job.url;
    row.querySelector('.export-job-what').textContent = job.format.toUpperCase() + (job.encoding === 'gbk' ? ' GBK' : '');
    row.querySelector('.export-job-status').textContent = job.status_label;
    var progress = row.querySelector('.export-job-progress');
    progress.textContent = job.status === 'failed' ? (job.error || '') : (job.status === 'done' ? '' : progressText(job));
    var file = row.querySelector('.export-job-file');
    if (job.file_url) {
      file.href = job.file_url; file.textContent = job.file_name || root.dataset.download; file.hidden = false;
    }
    row.querySelector('.export-job-expires').textContent = say(root.dataset.keptUntil, {time: job.expires_label});
    if (active === row) showBox(row, job);
  }

  function download(url) {
    var a = document.createElement('a');
    a.href = url; a.hidden = true;
    document.body.appendChild(a); a.click(); a.remove();
  }

  function poll(row, started) {
    var timer = setInterval(async function () {
      try {
        var r = await fetch(row.dataset.url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
        if (r.status === 404) { clearInterval(timer); row.remove(); return; }
        if (!r.ok) return;  // the next poll tries again
        var job = await r.json();
        fill(row, job);
        if (job.status === 'done' || job.status === 'failed') {
          clearInterval(timer);
          if (job.status === 'done' && started) download(job.file_url);
        }
      } catch (e) { /* offline for a moment: the next poll tries again */ }
    }, POLL_MS);
  }

  async function start(format) {
    box.hidden = false; bar.removeAttribute('value'); status.textContent = root.dataset.starting;
    var form = new FormData();
    form.append('report', root.dataset.report);
    form.append('format', format);
    form.append('encoding', encoding ? encoding.value : 'utf-8');
    form.append('query', root.dataset.query);
    try {
      var r = await fetch(root.dataset.startUrl, {method: 'POST', body: form, credentials: 'same-origin',
                                                  headers: {'X-CSRFToken': root.dataset.csrf, Accept: 'application/json'}});
      var body = await r.json().catch(function () { return {}; });
      if (r.status !== 202) {
        bar.max = 1; bar.value = 0;
        status.textContent = root.dataset.failed + ': ' + ((body.error && body.error.message) || r.status);
        return;
      }
      var row = template.content.firstElementChild.cloneNode(true);
      list.insertBefore(row, list.firstChild);
      list.closest('.export-jobs-wrap').hidden = false;
      active = row;
      fill(row, body);
      poll(row, true);
    } catch (e) {
      status.textContent = root.dataset.failed + ': ' + e;
    }
  }

  root.querySelectorAll('a[data-export]').forEach(function (link) {
    link.addEventListener('click', function (event) {
      event.preventDefault();
      start(link.dataset.export);
    });
  });

  // Jobs still running from an earlier visit: follow them again, the newest in the progress box.
  list.querySelectorAll('.export-job').forEach(function (row) {
    if (row.dataset.status === 'queued' || row.dataset.status === 'running') {
      if (!active) active = row;
      poll(row, false);
    }
  });
  if (active) {
    box.hidden = false; bar.removeAttribute('value');
    status.textContent = active.querySelector('.export-job-progress').textContent;
  }
})();
