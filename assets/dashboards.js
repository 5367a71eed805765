/* Cell renderers and helpers for the dashboards' grids (dash-ag-grid). */
(function () {
  var funcs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  var grid = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

  // A percentage as a bar coloured by how far along it is (100 % = due).
  funcs.PctBar = function (props) {
    var v = props.value;
    if (v === null || v === undefined || isNaN(v)) { return null; }
    var w = Math.max(0, Math.min(100, v));
    var tone = v >= 110 ? 'overdue' : v >= 100 ? 'due' : v >= 85 ? 'warning' : 'ok';
    return React.createElement('div', {className: 'pct-cell', title: v.toFixed(1) + ' %'}, [
      React.createElement('div', {key: 'b', className: 'pct-bar pct-' + tone, style: {width: w + '%'}}),
      React.createElement('span', {key: 't', className: 'pct-text'}, Math.round(v) + ' %')
    ]);
  };

  // Date filter on ISO 8601 text cells.
  grid.dateFilterComparator = function (filterDate, cellValue) {
    if (!cellValue) { return -1; }
    var d = new Date(cellValue.slice(0, 10) + 'T00:00:00');
    var f = new Date(filterDate.getFullYear(), filterDate.getMonth(), filterDate.getDate());
    return d < f ? -1 : d > f ? 1 : 0;
  };
})();
