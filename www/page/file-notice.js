// A classic script (it runs where the page's modules cannot): browsers refuse to load this
// page's modules from a file opened straight from the disk (file://). Says so, and points to
// the single-file version of the release bundle, which works from the disk.
(function () {
  if (location.protocol !== 'file:') return;
  var box = document.getElementById('capabilities');
  if (!box) return;
  var starting = document.getElementById('startup');
  if (starting) starting.hidden = true;
  box.hidden = false;
  box.className = 'notice error';
  box.setAttribute('data-testid', 'file-notice');
  box.textContent = 'This page was opened straight from the disk, which browsers allow only for the single-file version: ' +
    'open dicom-deid-offline.html (in the same folder) instead, or put this folder on a web server.';
  document.body.setAttribute('data-state', 'unsupported');
})();
