// Dashboard charts: data comes from data-* attributes the server rendered.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#1095c1", "#43a047", "#f9a825", "#8e24aa", "#e53935", "#546e7a"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var kind = canvas.dataset.chart;
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
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: kind !== "bar" } },
        scales: kind === "bar" ? { y: { beginAtZero: true, ticks: { precision: 0 } } } : {},
      },
    });
  });
})();
