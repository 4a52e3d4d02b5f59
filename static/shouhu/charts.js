/* Charts drawn with the ECharts copy served by the app itself. */
(function () {
  "use strict";
  var el = document.getElementById("coverage-chart");
  var source = document.getElementById("coverage-data");
  if (!el || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0, data: [el.dataset.staffedLabel, el.dataset.missingLabel] },
    grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
    xAxis: { type: "category", data: data.townships, axisLabel: { interval: 0, rotate: data.townships.length > 6 ? 40 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: el.dataset.staffedLabel, type: "bar", stack: "v", barMaxWidth: 48, data: data.staffed, itemStyle: { color: "#1f5f8b" } },
      { name: el.dataset.missingLabel, type: "bar", stack: "v", barMaxWidth: 48, data: data.missing, itemStyle: { color: "#d9534f" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
