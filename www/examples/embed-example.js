// The host page listening to the element: what a portal would do with its events.
const log = document.getElementById('event-log');
const deid = document.querySelector('dicom-deid');
const line = (text) => {
  const li = document.createElement('li');
  li.textContent = text;
  log.append(li);
};
let lastPhase = null;
deid.addEventListener('progress', (e) => {
  // One line per phase, not per file.
  if (e.detail.phase !== lastPhase) line(`progress: ${e.detail.phase} (${e.detail.total} files)`);
  lastPhase = e.detail.phase;
});
deid.addEventListener('done', (e) => {
  lastPhase = null;
  const s = e.detail;
  line(`done: ${s.written} written, ${s.rejected} rejected, ${s.skipped} skipped`);
});
deid.addEventListener('error', (e) => {
  lastPhase = null;
  line(`error (${e.detail.code}): ${e.detail.message}`);
});
