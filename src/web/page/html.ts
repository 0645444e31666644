// The page: a frame the script fills. Scripts are the package's own files
// (the Content-Security-Policy allows nothing else).
import { PAGE_CSS } from './style.js';

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>famez</title>
<link rel="icon" href="data:,">
<style>${PAGE_CSS}</style>
<script src="/d3.min.js" defer></script>
<script type="module" src="/app.js"></script>
</head>
<body>
<header>
  <h1><span>famez</span> <b id="kind">fabric</b></h1>
  <span class="where" id="where"></span>
  <div class="stats">
    <span><i id="live"></i><span id="state">connecting</span></span>
    <span>peers <b id="peers">0</b></span>
    <span>messages <b id="messages">0</b></span>
    <span id="fault-stat" hidden>faulty links <b id="faulty">0</b></span>
  </div>
</header>
<main>
  <svg id="graph" role="img" aria-label="the switch and its peers"></svg>
  <aside>
    <h2>Trace</h2>
    <p class="note" id="text-note" hidden></p>
    <ol id="trace"></ol>
    <section id="controls" hidden>
      <h2>Controls</h2>
      <div class="row"><label for="token">token</label><input id="token" type="password" autocomplete="off" placeholder="bearer token"></div>
      <form id="send" hidden>
        <label for="to">to port</label><input id="to" type="number" min="1" required>
        <label for="text">message</label><input id="text" required maxlength="370" value="ping">
        <button type="submit">Send from the switch</button>
      </form>
      <form id="faults" hidden>
        <label for="fault-link">link</label>
        <div class="pair"><select id="fault-link"></select><button type="button" data-action="down">Down</button><button type="button" data-action="up">Up</button></div>
        <label for="fault-us">latency</label>
        <div class="pair"><input id="fault-us" type="number" min="0" value="500"><span>µs</span><button type="button" data-action="latency">Add</button></div>
        <label for="fault-p">drop</label>
        <div class="pair"><input id="fault-p" type="number" min="0" max="1" step="0.05" value="0.1"><span>p</span><button type="button" data-action="drop">Set</button></div>
        <label for="fault-peer">peer</label>
        <div class="pair"><select id="fault-peer"></select><button type="button" data-action="isolate">Isolate</button><button type="button" data-action="rejoin">Rejoin</button></div>
        <button type="button" class="wide" data-action="clear">Clear every fault</button>
      </form>
      <div class="result" id="result"></div>
    </section>
  </aside>
</main>
</body>
</html>
`;
