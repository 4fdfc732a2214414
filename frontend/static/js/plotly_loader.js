// Loads the locally served Plotly.js once (a classic UMD script that sets window.Plotly).

let loading = null;

// Plotly's "Share chart" button uploads the figure (the data of confidential designs) to Plotly Cloud, and its
// server URL defaults to cloud.plotly.com: both off for every chart, whichever config a chart passes.
const NO_CLOUD = { showSendToCloud: false, showEditInChartStudio: false, plotlyServerURL: '', showLink: false };

function configured(plotly) {
  plotly.setPlotConfig({ ...NO_CLOUD, displaylogo: false });
  return plotly;
}

export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(configured(window.Plotly));
  loading ??= (window.dsePlotlyEarly ?? new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/vendor/plotly.js';
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error('Plotly.js could not be loaded from /vendor/plotly.js'));
    document.head.append(script);
  })).then(configured);
  return loading;
}

export const PLOT_CONFIG = {
  responsive: true,
  displaylogo: false,
  ...NO_CLOUD,
  modeBarButtonsToRemove: ['lasso2d', 'select2d', 'toImage', 'sendChartToCloud', 'editInChartStudio'],
};

export const BASE_LAYOUT = {
  font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif', size: 12, color: '#1d2430' },
  paper_bgcolor: '#fff',
  plot_bgcolor: '#fff',
  margin: { l: 70, r: 20, t: 20, b: 56 },
  hoverlabel: { font: { size: 12 }, align: 'left' },
};

/** Compile Plotly.js while the browser is idle (e.g. on the sweeps list), so opening a sweep is quick. */
export function prefetchPlotly() {
  const start = () => loadPlotly().catch(() => {});
  if ('requestIdleCallback' in window) requestIdleCallback(start, { timeout: 3000 }); else setTimeout(start, 1500);
}
