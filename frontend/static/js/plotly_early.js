// A classic script, run before the modules load: views with plots start fetching and compiling
// Plotly.js (4.8 MB) at once. (A file, not inline: the CSP allows no inline script.)
if (/^#\/(sweeps\/\d|points|compare)/.test(location.hash)) {
  window.dsePlotlyEarly = new Promise(function (resolve, reject) {
    var script = document.createElement('script');
    script.src = '/vendor/plotly.js';
    script.onload = function () { resolve(window.Plotly); };
    script.onerror = function () { reject(new Error('Plotly.js could not be loaded from /vendor/plotly.js')); };
    document.head.append(script);
  });
}
