/* Draws each dashboard chart from the table printed beside it, so the page
   holds its numbers once and reads the same without JavaScript. */
(function () {
  "use strict";
  var palette = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#5694ca", "#85994b", "#b58840", "#912b88", "#28a197"];

  function readTable(table) {
    var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent.trim(); });
    var rows = Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return r.cells[0].tagName === "TH"; });
    return {
      series: heads.slice(1),
      labels: rows.map(function (r) { return r.cells[0].textContent.trim(); }),
      values: rows.map(function (r) {
        return Array.prototype.slice.call(r.cells, 1).map(function (c) { return Number(c.textContent); });
      })
    };
  }

  function draw(canvas) {
    var table = document.getElementById(canvas.dataset.chartTable);
    if (!table || !window.Chart) { return; }
    var data = readTable(table);
    if (!data.labels.length) { canvas.hidden = true; return; }
    var stacked = canvas.dataset.chartKind === "stacked";
    var datasets = data.series.map(function (name, i) {
      return {
        label: name,
        data: data.values.map(function (row) { return row[i]; }),
        backgroundColor: palette[i % palette.length]
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        plugins: { legend: { display: stacked } },
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas.chart"), draw);
  });
})();
