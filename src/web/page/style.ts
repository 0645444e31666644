// The page's look: a dark console, the graph left, the trace right.
export const PAGE_CSS = `
:root { --bg: #0f1419; --panel: #161d26; --line: #263241; --text: #d7e0ea; --dim: #7d8b9b;
  --switch: #5aa9ff; --up: #f2b84b; --configured: #4fd18b; --driverless: #8a96a6; --msg: #c792ea; --warn: #ff6b6b; --fabric: #3fb8c9; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--text);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { display: flex; align-items: baseline; gap: 18px; padding: 10px 18px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 17px; margin: 0; letter-spacing: .5px; }
header h1 span { color: var(--switch); }
header .where { color: var(--dim); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
header .stats { margin-left: auto; display: flex; gap: 16px; color: var(--dim); }
header .stats b { color: var(--text); font-variant-numeric: tabular-nums; }
#live { width: 8px; height: 8px; border-radius: 50%; background: var(--warn); display: inline-block; margin-right: 6px; }
#live.on { background: var(--configured); box-shadow: 0 0 6px var(--configured); }
main { display: grid; grid-template-columns: 1fr 380px; height: calc(100% - 45px); }
#graph { width: 100%; height: 100%; display: block; }
aside { border-left: 1px solid var(--line); background: var(--panel); display: flex; flex-direction: column; min-height: 0; }
aside h2 { font-size: 12px; text-transform: uppercase; letter-spacing: 1px; color: var(--dim); margin: 12px 14px 6px; font-weight: 600; }
#trace { list-style: none; margin: 0; padding: 0 8px 8px; overflow-y: auto; flex: 1; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
#trace li { padding: 3px 6px; border-radius: 4px; display: grid; grid-template-columns: 62px 1fr; gap: 6px; animation: arrive .6s ease-out; }
#trace li .t { color: var(--dim); }
#trace li .what { overflow-wrap: anywhere; }
#trace li.message .what, #trace li.sent .what { color: var(--msg); }
#trace li.peer-joined .what, #trace li.link .what { color: var(--configured); }
#trace li.peer-left .what { color: var(--up); }
#trace li.warning .what, #trace li.peer-refused .what { color: var(--warn); }
@keyframes arrive { from { background: #2a3647; } to { background: transparent; } }
#controls { border-top: 1px solid var(--line); padding: 0 14px 12px; }
#controls form, #controls .row { display: grid; grid-template-columns: 64px 1fr; gap: 6px; align-items: center; margin-bottom: 8px; }
#controls input, #controls button, #controls select { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 4px 7px; font: inherit; min-width: 0; }
#controls button { background: #1f3a5c; border-color: var(--switch); cursor: pointer; }
#controls form > button, #controls .wide { grid-column: 1 / 3; }
#controls .pair { display: flex; gap: 6px; align-items: center; }
#controls .pair > select, #controls .pair > input { flex: 1; }
#controls .pair span { color: var(--dim); }
#faults button[data-action="down"], #faults button[data-action="isolate"] { border-color: var(--warn); background: #3a1f26; }
#controls .result { color: var(--dim); min-height: 1.4em; }
#trace li.fault .what { color: var(--warn); }
#trace li.trace .what { color: var(--fabric); }
.link { stroke: var(--line); stroke-width: 2px; }
.link.configured { stroke: #2f6b4c; }
.link.up { stroke: #6b5a2f; stroke-dasharray: 5 4; }
.node circle { stroke-width: 2.5px; fill: var(--panel); }
.node.peer circle { stroke: var(--driverless); }
.node.peer.up circle { stroke: var(--up); }
.node.peer.configured circle { stroke: var(--configured); }
.node.switch rect { fill: #132a45; stroke: var(--switch); stroke-width: 2.5px; }
.node.server circle { stroke: var(--switch); fill: #132a45; }
.node text { fill: var(--text); text-anchor: middle; pointer-events: none; }
.node text.id { font-weight: 700; font-size: 13px; }
.node text.sub { fill: var(--dim); font-size: 11px; }
.link.port.managed { stroke: var(--line); stroke-width: 1px; stroke-dasharray: 2 5; opacity: .5; }
.link.switch-link, .link.peer-link { stroke: var(--fabric); stroke-width: 3px; }
.link.switch-link { stroke-width: 5px; }
.link.faulty { stroke: var(--up); }
.link.down { stroke: var(--warn); stroke-dasharray: 8 6; }
.link-label { fill: var(--text); font-size: 11px; text-anchor: middle; paint-order: stroke; stroke: var(--bg); stroke-width: 4px; }
.link-label .count { fill: var(--dim); }
.link-label.down .what { fill: var(--warn); font-weight: 600; }
.link-label.faulty .what { fill: var(--up); }
.node.switch.data rect { fill: #10313a; stroke: var(--fabric); }
.pulse { fill: var(--msg); filter: drop-shadow(0 0 4px var(--msg)); }
.legend { fill: var(--dim); font-size: 11px; }
.note { margin: 0 14px 6px; color: var(--up); font-size: 12px; }
@media (prefers-reduced-motion: reduce) { #trace li { animation: none; } }
`;
