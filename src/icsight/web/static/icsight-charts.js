// Charts as an enhancement: where JavaScript runs, each chart's server-drawn SVG is redrawn by
// the vendored vega-embed from the same Vega-Lite spec printed beside it, adding tooltips.
// Without JavaScript, or if anything here fails, the server's drawing stays: the figure's
// caption and data table carry everything the chart shows.
(function () {
  "use strict";
  if (typeof window.vegaEmbed !== "function") {
    return;
  }
  var options = {
    renderer: "svg",
    actions: false, // no export menu: it links to the Vega editor on another host
    ast: true, // Vega's expression interpreter, not Function(): no 'unsafe-eval' needed
    defaultStyle: false, // no inline <style>: icsight-charts.css styles it instead
    tooltip: { disableDefaultStyle: true }
  };
  document.querySelectorAll("[data-chart-spec]").forEach(function (drawing) {
    var source = document.getElementById(drawing.getAttribute("data-chart-spec"));
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    var served = drawing.firstElementChild;
    var target = document.createElement("div");
    target.className = "icsight-chart__interactive";
    target.hidden = true;
    drawing.appendChild(target);
    window.vegaEmbed(target, spec, options).then(function () {
      // the caption and the table speak for the drawing, as they do for the server's
      target.setAttribute("aria-hidden", "true");
      var svg = target.querySelector("svg");
      if (svg) {
        svg.setAttribute("focusable", "false");
      }
      if (served) {
        drawing.removeChild(served);
      }
      target.hidden = false;
    }).catch(function () {
      drawing.removeChild(target);
    });
  });
})();
