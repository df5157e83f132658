// Dashboard charts: data comes from data-* attributes the server rendered.
//   data-chart="bar|doughnut", data-labels and data-values (JSON arrays),
//   data-horizontal="true" for a bar chart drawn sideways (the funnel).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#1095c1", "#43a047", "#f9a825", "#8e24aa", "#e53935", "#546e7a"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var kind = canvas.dataset.chart;
    var bar = kind === "bar";
    var horizontal = bar && canvas.dataset.horizontal === "true";
    var countAxis = { beginAtZero: true, ticks: { precision: 0 } };
    var scales = {};
    if (bar) {
      scales = horizontal ? { x: countAxis } : { y: countAxis };
    }
    new Chart(canvas, {
      type: kind,
      data: {
        labels: JSON.parse(canvas.dataset.labels),
        datasets: [{
          label: canvas.getAttribute("aria-label"),
          data: JSON.parse(canvas.dataset.values),
          backgroundColor: palette,
        }],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: !bar } },
        scales: scales,
      },
    });
  });
})();
