// Runs only in browsers without JavaScript modules (which cannot run this page): says so.
(function () {
  var box = document.getElementById('capabilities');
  if (!box) return;
  var starting = document.getElementById('startup');
  if (starting) starting.hidden = true;
  box.hidden = false;
  box.className = 'notice error';
  box.textContent = 'This browser is too old for this page (it lacks JavaScript modules, Web Workers or WebAssembly). ' +
    'Use a current Chrome, Edge, Firefox or Safari, or the dicom-deid command-line tool.';
})();
