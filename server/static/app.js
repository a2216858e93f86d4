// Brique map page: draws the bundle's streets and transit lines on a canvas (Web Mercator),
// picks origin/destination by click or geocoder search, plans with /v1/plan and draws the
// itineraries. No third-party library or tiles: everything comes from this server.
"use strict";

const $ = (id) => document.getElementById(id);
const canvas = $("map");
const ctx = canvas.getContext("2d");

const state = {
  view: { cx: 0, cy: 0, scale: 1 },   // mercator centre (x, y in [0, 1]) and pixels per unit
  network: null, origin: null, destination: null, plan: null, selected: 0, drawnLegs: 0,
  meta: null, requestId: 0,
  isochrone: null, isoRequestId: 0,      // GeoJSON of GET /v1/isochrone, drawn under the plan
};

// ------------------------------------------------------------------ projection
function merc(lat, lon) {
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}
function unmerc(x, y) {
  const lon = x * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
  return [lat, lon];
}
function toScreen(lat, lon) {
  const [x, y] = merc(lat, lon);
  const v = state.view;
  return [(x - v.cx) * v.scale + canvas.clientWidth / 2, (y - v.cy) * v.scale + canvas.clientHeight / 2];
}
function toLatLon(px, py) {
  const v = state.view;
  return unmerc((px - canvas.clientWidth / 2) / v.scale + v.cx, (py - canvas.clientHeight / 2) / v.scale + v.cy);
}
function fit(bbox) {
  const [a, b] = [merc(bbox[1], bbox[0]), merc(bbox[3], bbox[2])];
  const w = Math.max(Math.abs(b[0] - a[0]), 1e-6), h = Math.max(Math.abs(b[1] - a[1]), 1e-6);
  state.view.cx = (a[0] + b[0]) / 2;
  state.view.cy = (a[1] + b[1]) / 2;
  state.view.scale = 0.92 * Math.min(canvas.clientWidth / w, canvas.clientHeight / h);
}

// ------------------------------------------------------------------ drawing
let frame = 0;
function redraw() {
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
}
function resize() {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(canvas.clientWidth * dpr);
  canvas.height = Math.round(canvas.clientHeight * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  redraw();
}
function polyline(coords) {               // coords: [[lon, lat], ...]
  for (let i = 0; i < coords.length; i++) {
    const [x, y] = toScreen(coords[i][1], coords[i][0]);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  }
}
function draw() {
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  const net = state.network;
  if (net) {
    ctx.beginPath();
    for (const s of net.streets) {
      const [x1, y1] = toScreen(s[1], s[0]);
      const [x2, y2] = toScreen(s[3], s[2]);
      ctx.moveTo(x1, y1); ctx.lineTo(x2, y2);
    }
    ctx.strokeStyle = "#c9ccd2"; ctx.lineWidth = 1; ctx.stroke();
    ctx.globalAlpha = 0.55; ctx.lineWidth = 2.5;
    for (const line of net.transit) {
      ctx.beginPath(); polyline(line.coordinates);
      ctx.strokeStyle = line.color || "#6d5bd0"; ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }
  drawIsochrone();
  state.drawnLegs = 0;
  const plan = state.plan;
  if (plan && plan.itineraries.length) {
    plan.itineraries.forEach((it, i) => { if (i !== state.selected) drawItinerary(it, false); });
    state.drawnLegs = drawItinerary(plan.itineraries[state.selected], true);
  }
  marker(state.origin, "#1e8e3e", "A");
  marker(state.destination, "#c5221f", "B");
  canvas.dataset.drawnLegs = String(state.drawnLegs);
}
function legColor(leg) {
  if (leg.mode !== "transit") return "#39404d";
  const line = state.network && state.network.transit.find((l) => l.route === leg.route_short_name && l.color);
  return line ? line.color : "#2b5fb8";
}
function drawItinerary(it, selected) {
  let n = 0;
  for (const leg of it.legs) {
    const coords = leg.geometry.coordinates;
    if (coords.length < 2) continue;
    ctx.setLineDash(leg.mode === "transit" ? [] : [6, 5]);
    if (selected && leg.mode === "transit") {
      ctx.beginPath(); polyline(coords); ctx.strokeStyle = "#fff"; ctx.lineWidth = 9; ctx.stroke();
    }
    ctx.beginPath(); polyline(coords);
    ctx.strokeStyle = selected ? legColor(leg) : "rgba(60,70,90,.35)";
    ctx.lineWidth = selected ? (leg.mode === "transit" ? 6 : 3.5) : 2;
    ctx.stroke();
    n++;
  }
  ctx.setLineDash([]);
  return n;
}
function marker(p, color, text) {
  if (!p) return;
  const [x, y] = toScreen(p.lat, p.lon);
  ctx.beginPath(); ctx.arc(x, y, 10, 0, 2 * Math.PI);
  ctx.fillStyle = color; ctx.fill(); ctx.lineWidth = 2; ctx.strokeStyle = "#fff"; ctx.stroke();
  ctx.fillStyle = "#fff"; ctx.font = "bold 11px system-ui"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
  ctx.fillText(text, x, y + 0.5);
}

// ------------------------------------------------------------------ HTTP
async function getJSON(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  const r = await fetch(url);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error && body.error.message) || `HTTP ${r.status}`);
  return body;
}
function status(text, isError) {
  $("status").textContent = text || "";
  $("status").className = isError ? "error" : "";
}

// ------------------------------------------------------------------ planning
function pointParam(p) { return p.stop_id ? p.stop_id : `${p.lat.toFixed(6)},${p.lon.toFixed(6)}`; }
function hhmm(iso) { return iso.slice(11, 16); }
function minutes(s) { return `${Math.round(s / 60)} min`; }
// "Hôtel de Ville (platform A)"; and, for a change inside a station, " (platform A → B)"
function placeName(p) { return p.platform_code ? `${p.name} (platform ${p.platform_code})` : p.name; }
function platforms(leg) {
  const a = leg.origin.platform_code, b = leg.destination.platform_code;
  return a && b && a !== b ? ` (platform ${a} → ${b})` : "";
}

async function plan() {
  if (!state.origin || !state.destination) { status("Pick a start and a destination."); return; }
  const id = ++state.requestId;
  status("Planning…");
  try {
    const body = await getJSON("/v1/plan", {
      from: pointParam(state.origin), to: pointParam(state.destination), date: $("date").value,
      time: $("time").value, mode: $("mode").value, max_transfers: $("transfers").value,
      ...($("within").value ? { max_duration_s: $("within").value } : {}),
      ...($("wheelchair").checked ? { wheelchair: "true" } : {}), ...($("bikes").checked ? { bikes: "true" } : {}), ...($("walking").checked ? { optimize: "walking" } : ($("cheaper").checked ? { optimize: "fare" } : {})),
      ...($("rider").value ? { rider_category: $("rider").value } : {}),
      ...($("media").value ? { fare_media: $("media").value } : {}),
    });
    if (id !== state.requestId) return;
    state.plan = body; state.selected = 0;
    status(body.itineraries.length ? `${body.itineraries.length} itinerar${body.itineraries.length > 1 ? "ies" : "y"}`
      : "No journey found at this time.");
  } catch (e) {
    if (id !== state.requestId) return;
    state.plan = null; status(e.message, true);
  }
  renderList(); redraw();
}
function renderList() {
  const ol = $("itineraries");
  ol.replaceChildren();
  if (!state.plan) return;
  state.plan.itineraries.forEach((it, i) => {
    const li = document.createElement("li");
    li.className = "itinerary" + (i === state.selected ? " selected" : "");
    li.dataset.index = String(i);
    const head = document.createElement("div");
    head.className = "head";
    head.textContent = `${hhmm(it.departure)} → ${hhmm(it.arrival)} · ${minutes(it.duration_s)}`;
    const sub = document.createElement("div");
    sub.className = "sub";
    sub.textContent = `${it.transfers} transfer${it.transfers === 1 ? "" : "s"}`;
    if (it.fare) sub.append(fareBadge(it.fare));          // GTFS fares: the price, or "fare unknown"
    const legs = document.createElement("ul");
    legs.className = "legs";
    for (const leg of it.legs) {
      const row = document.createElement("li");
      const t = document.createElement("span"); t.className = "t"; t.textContent = hhmm(leg.departure);
      const chip = document.createElement("span");
      chip.className = "chip " + leg.mode;
      const inStation = leg.transfer && leg.origin.name === leg.destination.name;
      chip.textContent = leg.mode === "transit" ? (leg.route_short_name || leg.route_long_name || "transit")
        : (inStation ? "change" : leg.mode);
      if (leg.mode === "transit") chip.style.background = legColor(leg);
      const what = document.createElement("span");
      what.textContent = leg.mode === "transit"
        ? `${placeName(leg.origin)} → ${placeName(leg.destination)}${leg.headsign ? " (towards " + leg.headsign + ")" : ""}`
        : inStation
          ? `change at ${leg.origin.name}${platforms(leg)}, ${minutes(leg.duration_s)}`
          : `${minutes(leg.duration_s)}${leg.distance_m ? ", " + Math.round(leg.distance_m) + " m" : ""} to ${placeName(leg.destination)}`;
      if (leg.steps && leg.steps.length) {                    // a walk through a station: its pathways
        what.textContent += " (" + leg.steps.map((s) => s.mode.replace("_", " ")).join(" › ") + ")";
        what.title = leg.steps.map((s) => `${s.mode.replace("_", " ")}, ${s.seconds} s`
          + (s.signposted_as ? ` — ${s.signposted_as}` : "")).join("\n");
      }
      row.append(t, chip, what);
      if (leg.realtime) row.append(realtimeBadge(leg));      // GTFS-Realtime: delayed legs marked
      if (leg.alerts && leg.alerts.length) row.title = leg.alerts.map((a) => a.header || a.effect).join("\n");
      legs.append(row);
    }
    li.append(head, sub, legs);
    li.addEventListener("click", () => { state.selected = i; renderList(); redraw(); });
    ol.append(li);
  });
}
function fareBadge(fare) {
  // " · EUR 1.70" (products in the tooltip) or " · fare unknown" (the reason in the tooltip)
  const b = document.createElement("span");
  b.className = "fare" + (fare.known ? "" : " unknown");
  if (!fare.known) {
    b.textContent = " · fare unknown";
    b.title = fare.reason || "";
  } else if (fare.currency) {
    b.textContent = ` · ${fare.currency} ${fare.amount.toFixed(fare.minor_digits ?? 2)}`;
    b.title = fare.products.map((p) => `${p.name || p.id}: ${p.currency} ${p.amount}`).join("\n");
  } else {
    b.textContent = " · no fare";
  }
  return b;
}
function realtimeBadge(leg) {
  // "+3 min" (late, red), "-1 min" (early) or "on time", from the leg's real-time delay
  const b = document.createElement("span");
  const d = leg.delay_s;
  const min = d == null ? null : Math.round(d / 60);
  b.className = "rt " + (min == null ? "added" : min > 0 ? "late" : "ontime");
  b.textContent = min == null ? "real time" : min > 0 ? `+${min} min` : min < 0 ? `${min} min` : "on time";
  b.title = "real-time" + (d == null ? " (added trip)" : `: ${d} s vs the schedule`);
  return b;
}
function setEnd(which, p) {
  state[which] = p;
  $(which === "origin" ? "from" : "to").value = p ? p.name : "";
  state.plan = null; renderList();
  redraw();
  if (state.origin && state.destination) plan();
}

// ------------------------------------------------------------------ isochrones (shift-click, or the toggle)
const ISO_COLORS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"];   // smallest cutoff first
async function isochroneAt(p) {
  const id = ++state.isoRequestId;
  status("Isochrone…");
  try {
    const body = await getJSON("/v1/isochrone", {
      from: `${p.lat.toFixed(6)},${p.lon.toFixed(6)}`, date: $("date").value, time: $("time").value,
      mode: $("mode").value, max_transfers: $("transfers").value, cutoffs_s: "900,1800,2700,3600",
    });
    if (id !== state.isoRequestId) return;
    body.at = p; state.isochrone = body;
    status(`Isochrone from ${p.name}: ${body.features.map((f) => f.properties.cutoff_s / 60).join(" / ")} min`);
  } catch (e) {
    if (id !== state.isoRequestId) return;
    state.isochrone = null; status(e.message, true);
  }
  redraw();
}
function drawIsochrone() {
  const iso = state.isochrone;
  canvas.dataset.isochroneFeatures = iso ? String(iso.features.length) : "0";
  if (!iso) return;
  // largest first, each painted over by the next smaller one; holes cut out (even-odd)
  for (let i = iso.features.length - 1; i >= 0; i--) {
    const g = iso.features[i].geometry;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    ctx.beginPath();
    for (const rings of polygons) for (const ring of rings) { polyline(ring); ctx.closePath(); }
    ctx.globalAlpha = 0.35; ctx.fillStyle = ISO_COLORS[Math.min(i, ISO_COLORS.length - 1)];
    ctx.fill("evenodd");
    ctx.globalAlpha = 0.8; ctx.strokeStyle = ctx.fillStyle; ctx.lineWidth = 1; ctx.stroke();
  }
  ctx.globalAlpha = 1;
  marker(iso.at, "#6d5bd0", "◎");
}

// ------------------------------------------------------------------ map interaction
let drag = null;
canvas.addEventListener("pointerdown", (e) => {
  drag = { x: e.offsetX, y: e.offsetY, cx: state.view.cx, cy: state.view.cy, moved: false };
  canvas.setPointerCapture(e.pointerId);
});
canvas.addEventListener("pointermove", (e) => {
  if (!drag) return;
  const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < 4) return;
  drag.moved = true; canvas.classList.add("dragging");
  state.view.cx = drag.cx - dx / state.view.scale;
  state.view.cy = drag.cy - dy / state.view.scale;
  redraw();
});
canvas.addEventListener("pointerup", (e) => {
  const d = drag; drag = null; canvas.classList.remove("dragging");
  if (!d || d.moved) return;
  const [lat, lon] = toLatLon(e.offsetX, e.offsetY);
  const p = { lat, lon, name: `${lat.toFixed(5)}, ${lon.toFixed(5)}` };
  if (e.shiftKey || $("iso").checked) { isochroneAt(p); return; }
  if (!state.origin || state.destination) { state.destination = null; $("to").value = ""; setEnd("origin", p); }
  else setEnd("destination", p);
  nameFromReverse(p);
});
function zoomAt(px, py, factor) {
  const [lat, lon] = toLatLon(px, py);
  state.view.scale = Math.max(50, Math.min(5e8, state.view.scale * factor));
  const [x, y] = merc(lat, lon);
  state.view.cx = x - (px - canvas.clientWidth / 2) / state.view.scale;
  state.view.cy = y - (py - canvas.clientHeight / 2) / state.view.scale;
  redraw();
}
canvas.addEventListener("wheel", (e) => { e.preventDefault(); zoomAt(e.offsetX, e.offsetY, e.deltaY < 0 ? 1.25 : 0.8); },
  { passive: false });
$("zin").addEventListener("click", () => zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 1.5));
$("zout").addEventListener("click", () => zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 1 / 1.5));

async function nameFromReverse(p) {
  try {
    const r = await getJSON("/v1/geocode/reverse", { lat: p.lat.toFixed(6), lon: p.lon.toFixed(6), limit: 1 });
    const f = r.features[0];
    if (f && f.properties.distance < 150) {
      const label = `${f.properties.label} (near)`;
      if (state.origin === p) $("from").value = label;
      if (state.destination === p) $("to").value = label;
      p.name = label;
    }
  } catch (e) { /* names are cosmetic */ }
}

// ------------------------------------------------------------------ geocoder search boxes
function setupSearch(inputId, listId, which) {
  const input = $(inputId), list = $(listId);
  let timer = 0, seq = 0, items = [], active = -1;
  const close = () => { list.hidden = true; active = -1; };
  const choose = (f) => {
    const [lon, lat] = f.geometry.coordinates;
    const p = { lat, lon, name: f.properties.label };
    if (f.properties.type === "stop" && f.properties.id.startsWith("stop:")) p.stop_id = f.properties.id.slice(5);
    close();
    setEnd(which, p);
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(async () => {
      const mine = ++seq;
      const [lat, lon] = unmerc(state.view.cx, state.view.cy);
      try {
        const r = await getJSON("/v1/geocode/autocomplete", { q, limit: 6, lat: lat.toFixed(5), lon: lon.toFixed(5) });
        if (mine !== seq) return;
        items = r.features; list.replaceChildren();
        for (const f of items) {
          const li = document.createElement("li");
          li.textContent = f.properties.label;
          const kind = document.createElement("small"); kind.textContent = f.properties.type;
          li.append(kind);
          li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(f); });
          list.append(li);
        }
        list.hidden = items.length === 0; active = -1;
      } catch (e) { close(); }
    }, 120);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      [...list.children].forEach((li, i) => li.classList.toggle("active", i === active));
    } else if (e.key === "Enter" && items.length) { e.preventDefault(); choose(items[Math.max(active, 0)]); }
    else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}

// ------------------------------------------------------------------ start-up
function defaultDateTime(meta) {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  let date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  let time = `${pad(now.getHours())}:${pad(now.getMinutes())}`;
  const period = meta && meta.period;
  if (period && (date < period.start || date > period.end)) { date = period.start; time = "08:00"; }
  $("date").value = date; $("time").value = time;
}
// The bundle's catalogue (GET /v1/datasets): one line per input, its licence and validity.
async function listDatasets() {
  try {
    const { datasets } = await getJSON("/v1/datasets");
    const list = $("datasets-list");
    list.replaceChildren(...datasets.map((d) => {
      const li = document.createElement("li");
      const valid = d.valid_from || d.valid_to ? ` · ${d.valid_from || "?"} … ${d.valid_to || "?"}` : "";
      li.textContent = `${d.kind} ${d.name}` + (d.publisher ? ` · ${d.publisher}` : "") +
        (d.licence ? ` · ${d.licence}` : "") + valid;
      li.title = `${d.file} sha256 ${d.sha256}`;
      return li;
    }));
    $("datasets").hidden = datasets.length === 0;
  } catch (e) { /* an older server: no catalogue */ }
}
async function listRiderCategories() {
  // rider categories: a "Fares for" choice when there is one to make (the default one first
  // selected: its value is empty, the server's default). Fares v1 categories (GTFS+) have no
  // default: the standard fare (fare_attributes.txt's price) comes first then.
  try {
    const body = await getJSON("/v1/fares/rider_categories");
    const cats = body.rider_categories || [];
    const hasDefault = cats.some((c) => c.is_default);
    if (cats.length < (hasDefault ? 2 : 1)) return;
    const option = (value, text) => {
      const o = document.createElement("option");
      o.value = value; o.textContent = text;
      return o;
    };
    const options = cats.map((c) => option(c.is_default ? "" : c.id, c.name || c.id));
    if (!hasDefault) options.unshift(option("", "Standard fare"));
    $("rider").replaceChildren(...options);
    $("rider-field").hidden = false;
  } catch (e) { /* no timetable, or an older server */ }
}
async function listFareMedia() {
  // fare media: "Pay with" (first: the cheapest of each product, the server's default)
  try {
    const media = (await getJSON("/v1/fares/media")).fare_media || [];
    if (!media.length) return;
    const cheapest = document.createElement("option");
    cheapest.value = ""; cheapest.textContent = "the cheapest";
    $("media").replaceChildren(cheapest, ...media.map((m) => {
      const o = document.createElement("option");
      o.value = m.id; o.textContent = m.name || m.id;
      return o;
    }));
    $("media-field").hidden = false;
  } catch (e) { /* no timetable, or an older server */ }
}
async function start() {
  resize();
  setupSearch("from", "from-suggest", "origin");
  setupSearch("to", "to-suggest", "destination");
  $("plan").addEventListener("click", plan);
  $("swap").addEventListener("click", () => {
    [state.origin, state.destination] = [state.destination, state.origin];
    $("from").value = state.origin ? state.origin.name : ""; $("to").value = state.destination ? state.destination.name : "";
    state.plan = null; renderList(); redraw(); if (state.origin && state.destination) plan();
  });
  $("clear").addEventListener("click", () => {
    state.origin = state.destination = state.plan = state.isochrone = null; $("from").value = $("to").value = "";
    renderList(); status(""); redraw();
  });
  for (const id of ["wheelchair", "bikes", "walking", "cheaper", "rider", "media"]) {
    $(id).addEventListener("change", () => { if (state.plan) plan(); });
  }
  // one third criterion at a time: ticking one unticks the other
  $("walking").addEventListener("change", () => { if ($("walking").checked) $("cheaper").checked = false; });
  $("cheaper").addEventListener("change", () => { if ($("cheaper").checked) $("walking").checked = false; });
  for (const id of ["date", "time", "mode", "transfers"]) $(id).addEventListener("change", () => {
    if (state.plan) plan();
    if (state.isochrone) isochroneAt(state.isochrone.at);
  });
  try {
    state.meta = await getJSON("/v1/meta");
    defaultDateTime(state.meta);
    const feeds = state.meta.feeds.map((f) => f.name).join(", ");
    $("meta").textContent = `Bundle: ${feeds || "no timetable"}` +
      (state.meta.period ? ` · service ${state.meta.period.start} … ${state.meta.period.end}` : "");
  } catch (e) { status(e.message, true); }
  listDatasets();
  listRiderCategories();
  listFareMedia();
  try {
    state.network = await getJSON("/v1/network", { max_segments: 40000, max_lines: 1500 });
    fit(state.network.bbox);
  } catch (e) { status(e.message, true); }
  document.body.dataset.ready = "1";
  redraw();
}
window.addEventListener("resize", resize);

// Hooks for tests and embedding: page coordinates of a point, and the current state.
window.brique = {
  state,
  project(lat, lon) {
    const [x, y] = toScreen(lat, lon);
    const r = canvas.getBoundingClientRect();
    return { x: r.left + x, y: r.top + y };
  },
};
start();
