// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">
// (Django's json_script): {type, labels, datasets: [{label, data}]}. Colours are assigned here so the
// server sends only figures. Loaded as a file: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
                 "#ea580c", "#475569"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    // Counts get whole-number ticks; durations and rates keep their decimals.
    var whole = spec.datasets.every(function (dataset) {
      return dataset.data.every(function (value) { return value === null || Number.isInteger(value); });
    });
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = palette[index % palette.length];
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colour,
        borderColor: colour,
        spanGaps: true,
        maxBarThickness: 48,
        tension: 0.25
      };
    });
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: {mode: "index", intersect: false},
        scales: {y: {beginAtZero: true, ticks: whole ? {precision: 0} : {}}},
        plugins: {legend: {position: "bottom"}}
      }
    });
    canvas.dataset.chartDrawn = String(chart.data.datasets.length);
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
