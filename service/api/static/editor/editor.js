// Veil review editor: the page keeps every edit; the server keeps nothing between requests.
// Automatic masks come from /v1/analyze, click-to-segment from /v1/segment, and the result from
// /v1/redact with `regions` (added shapes) and `ignore` (switched-off detections): one redaction path.
// A video goes to /v1/jobs with its regions timed (`from`/`to`); its result is reviewed in place.

const $ = (id) => document.getElementById(id);
const DILATION_PX = 2, DILATION_PCT = 8;   // sent with every redaction, so ignore areas can match them
const MAX_REGIONS = 1024;                   // the API's limit on regions per request

const state = {
  file: null, bitmap: null, previewBitmap: null, previewBlob: null, width: 0, height: 0, scale: 1,
  found: [], shapes: [], tool: "box", draft: null, busy: false, video: false, showingResult: false,
};
const VIDEO_EXT = /\.(mp4|mov|m4v|webm|mkv|avi)$/i;
const history = [];

// ---------- messages ----------
function say(text) { $("status").textContent = text; }
function problem(text) {
  const el = $("problem");
  el.textContent = text || "";
  el.hidden = !text;
}

// ---------- API ----------
function headers() {
  const key = sessionStorage.getItem("veil-api-key");
  return key ? { "X-API-Key": key } : {};
}

async function call(path, fields, file = state.file) {
  const form = new FormData();
  form.append("file", file, file.name || "upload");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  let resp;
  try {
    resp = await fetch(path, { method: "POST", body: form, headers: headers() });
  } catch (err) {
    throw new Error("Veil cannot be reached: " + err.message);
  }
  return checked(resp);
}

async function get(path) {
  let resp;
  try {
    resp = await fetch(path, { headers: headers() });
  } catch (err) {
    throw new Error("Veil cannot be reached: " + err.message);
  }
  return checked(resp);
}

async function checked(resp) {
  if (resp.ok) return resp;
  let text = `${resp.status} ${resp.statusText}`;
  if ((resp.headers.get("content-type") || "").startsWith("application/problem+json")) {
    const p = await resp.json();
    text = `${p.title}: ${p.detail}`;
    if (resp.status === 401) askForKey();
  }
  throw new Error(text);
}

function askForKey() {
  const key = window.prompt("This Veil needs an API key:");
  if (key) sessionStorage.setItem("veil-api-key", key.trim());
}

async function busy(label, work) {
  if (state.busy) return;
  state.busy = true;
  say(label + "…");
  problem("");
  document.body.setAttribute("aria-busy", "true");
  try {
    await work();
  } catch (err) {
    problem(err.message);
    say("");
  } finally {
    state.busy = false;
    document.body.removeAttribute("aria-busy");
  }
}

// ---------- what the edits mean to the API ----------
function regions() {
  const out = [];
  for (const s of state.shapes) {
    for (const raw of shapeRegions(s)) {
      const r = clipShape(raw);
      if (!r) continue;
      if (!state.video) out.push(r);
      else out.push(s.at === undefined ? { shape: r, from: s.from, to: s.to } : { shape: r, from: s.from, to: s.to, at: s.at });
    }
  }
  return out;
}

function shapeRegions(s) {
  // one shape as the API's boxes and polygons; a brush stroke becomes boxes along it
  if (s.type === "box") return [s.box];
  if (s.type === "polygon") return [s.points];
  if (s.type === "segment") return s.polygons;
  const out = [];
  const r = s.radius, step = Math.max(2, r * 0.75);
  let last = null;
  for (const [x, y] of s.points) {
    if (last && Math.hypot(x - last[0], y - last[1]) < step) continue;
    out.push([x - r, y - r, x + r, y + r].map(Math.round));
    last = [x, y];
  }
  const [x, y] = s.points[s.points.length - 1];
  out.push([x - r, y - r, x + r, y + r].map(Math.round));
  return out;
}

function timed(shape) {
  // a video's new region holds for the chosen time range
  if (!state.video) return shape;
  const from = Number($("from").value) || 0;
  const to = Math.max(from, Number($("to").value) || state.duration);
  const timedShape = { ...shape, from, to };
  if ($("follow").checked) timedShape.at = $("clip").currentTime;  // followed from the frame on screen
  return timedShape;
}

function activeNow(s) {
  // drawn where it was drawn: a followed region is shown on the frame it was drawn on only
  if (!state.video || s.from === undefined) return true;
  const t = $("clip").currentTime;
  if (s.at !== undefined) return Math.abs(t - s.at) < 0.02;
  return t >= s.from - 1e-6 && t <= s.to + 1e-6;
}

function clipShape(shape) {
  const W = state.width, H = state.height;
  if (typeof shape[0] === "number") {
    const [x1, y1, x2, y2] = [Math.max(0, shape[0]), Math.max(0, shape[1]), Math.min(W, shape[2]),
      Math.min(H, shape[3])];
    return x2 > x1 && y2 > y1 ? [x1, y1, x2, y2] : null;
  }
  return shape.map(([x, y]) => [Math.min(W, Math.max(0, Math.round(x))), Math.min(H, Math.max(0, Math.round(y)))]);
}

function ignores() {
  // a switched-off detection's box, grown as the server grows its mask (and 2 px more)
  return state.found.filter((f) => !f.enabled).map((f) => {
    const [x1, y1, x2, y2] = f.box;
    const grow = DILATION_PX + (DILATION_PCT / 100) * Math.max(x2 - x1, y2 - y1) + 2;
    return clipShape([x1 - grow, y1 - grow, x2 + grow, y2 + grow]);
  }).filter(Boolean);
}

function redactFields() {
  const r = regions();
  if (r.length > MAX_REGIONS) throw new Error(`Too many regions (${r.length}); the limit is ${MAX_REGIONS}.`);
  return { mode: $("mode").value, strength: $("strength").value, regions: JSON.stringify(r),
    ignore: JSON.stringify(ignores()), dilation_px: DILATION_PX, dilation_pct: DILATION_PCT };
}

// ---------- history ----------
function remember() {
  history.push(JSON.stringify({ enabled: state.found.map((f) => f.enabled), shapes: state.shapes }));
  if (history.length > 200) history.shift();
  dropPreview();
}

function undo() {
  const last = history.pop();
  if (!last) return say("Nothing to undo.");
  const s = JSON.parse(last);
  s.enabled.forEach((e, i) => { if (state.found[i]) state.found[i].enabled = e; });
  state.shapes = s.shapes;
  dropPreview();
  say("Undone.");
  render();
}

// ---------- opening an image ----------
async function open(file) {
  if (!file) return;
  if ((file.type || "").startsWith("video/") || VIDEO_EXT.test(file.name)) return openVideo(file);
  setVideoMode(false);
  await busy("Finding faces and plates", async () => {
    state.file = file;
    state.bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    state.width = state.bitmap.width;
    state.height = state.bitmap.height;
    state.shapes = [];
    state.found = [];
    history.length = 0;
    dropPreview();
    render();
    const resp = await call("/v1/analyze", { classes: "faces,plates" });
    const body = await resp.json();
    state.found = body.regions.map((r, i) => ({ ...r, enabled: true, id: i }));
    $("empty").hidden = true;
    render();
    say(`${state.found.length} ${state.found.length === 1 ? "object" : "objects"} found. ` +
      "Switch any off, add regions with the tools, then preview or download.");
  });
}

function setVideoMode(on) {
  state.video = on;
  state.showingResult = false;
  $("clip").hidden = !on;
  $("picture").hidden = on;
  $("timeline").hidden = !on;
  $("preview").firstChild.textContent = on ? "Process video " : "Preview ";
}

async function openVideo(file) {
  await busy("Opening the video", async () => {
    setVideoMode(true);
    state.file = file;
    state.bitmap = null;
    state.found = [];
    state.shapes = [];
    history.length = 0;
    dropPreview();
    const clip = $("clip");
    state.originalUrl = URL.createObjectURL(file);
    clip.src = state.originalUrl;
    await new Promise((ok, fail) => {
      clip.onloadedmetadata = ok;
      clip.onerror = () => fail(new Error("This browser cannot play that video; Veil can still process it."));
    });
    state.width = clip.videoWidth;
    state.height = clip.videoHeight;
    state.duration = clip.duration;
    $("seek").max = String(state.duration);
    $("from").value = "0";
    $("to").value = state.duration.toFixed(1);
    $("empty").hidden = true;
    render();
    say("Draw regions on any frame; each holds for the time range set beside the video. " +
      "Faces and plates are found when the video is processed (V).");
  });
}

function seek(t) {
  const clip = $("clip");
  clip.currentTime = Math.min(state.duration || 0, Math.max(0, t));
}

function showTime() {
  const t = $("clip").currentTime;
  $("seek").value = String(t);
  $("now").textContent = `${t.toFixed(1)} s`;
  render();
}

// ---------- drawing ----------
function fit() {
  const stage = $("stage");
  const room = Math.max(200, stage.clientWidth);
  state.scale = Math.min(1, room / state.width);
  for (const c of [$("picture"), $("overlay")]) {
    c.width = Math.round(state.width * state.scale);
    c.height = Math.round(state.height * state.scale);
  }
  const clip = $("clip");
  clip.style.width = `${$("overlay").width}px`;
  clip.style.height = `${$("overlay").height}px`;
  $("stage").style.height = `${$("overlay").height}px`;
}

function render() {
  if (!state.bitmap && !state.video) return;
  fit();
  if (!state.video) {
    const pic = $("picture").getContext("2d");
    pic.drawImage(state.previewBitmap || state.bitmap, 0, 0, $("picture").width, $("picture").height);
  }
  const ctx = $("overlay").getContext("2d");
  ctx.clearRect(0, 0, $("overlay").width, $("overlay").height);
  if (!state.previewBitmap && !state.showingResult) {
    for (const f of state.found) drawFound(ctx, f);
    for (const s of state.shapes.filter(activeNow)) drawShape(ctx, s, "rgba(37, 99, 235, 0.35)", "#1d4ed8");
  }
  if (state.draft) drawShape(ctx, state.draft, "rgba(245, 158, 11, 0.3)", "#b45309");
  lists();
}

function path(ctx, points) {
  const k = state.scale;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x * k, y * k) : ctx.moveTo(x * k, y * k)));
  ctx.closePath();
}

function drawFound(ctx, f) {
  const k = state.scale;
  const pts = f.polygon.length >= 3 ? f.polygon : boxPoints(f.box);
  path(ctx, pts);
  if (f.enabled) {
    ctx.fillStyle = "rgba(220, 38, 38, 0.35)";
    ctx.fill();
    ctx.strokeStyle = "#b91c1c";
    ctx.setLineDash([]);
  } else {
    ctx.strokeStyle = "#555";
    ctx.setLineDash([4, 4]);
  }
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = f.enabled ? "#b91c1c" : "#555";
  ctx.font = "12px system-ui";
  const top = pts.reduce((a, b) => (b[1] < a[1] ? b : a));
  ctx.fillText(`${f.id + 1}`, top[0] * k, Math.max(12, top[1] * k - 4));
}

function boxPoints([x1, y1, x2, y2]) { return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]; }

function drawShape(ctx, s, fill, stroke) {
  const k = state.scale;
  ctx.fillStyle = fill;
  ctx.strokeStyle = stroke;
  ctx.lineWidth = 2;
  if (s.type === "box") { path(ctx, boxPoints(s.box)); ctx.fill(); ctx.stroke(); }
  else if (s.type === "polygon") {
    path(ctx, s.points);
    if (s.open) { ctx.stroke(); } else { ctx.fill(); ctx.stroke(); }
  } else if (s.type === "segment") { for (const p of s.polygons) { path(ctx, p); ctx.fill(); ctx.stroke(); } }
  else if (s.type === "brush") {
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = s.radius * 2 * k;
    ctx.strokeStyle = fill;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i ? ctx.lineTo(x * k, y * k) : ctx.moveTo(x * k, y * k)));
    if (s.points.length === 1) ctx.lineTo(s.points[0][0] * k + 0.1, s.points[0][1] * k);
    ctx.stroke();
  }
}

function lists() {
  const found = $("found");
  found.replaceChildren(...state.found.map((f) => {
    const li = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = f.enabled;
    box.addEventListener("change", () => { remember(); f.enabled = box.checked; render(); });
    label.append(box, ` ${f.id + 1}: ${f.class === "faces" ? "face" : "plate"} (${Math.round(f.score * 100)} %)`);
    li.append(label);
    return li;
  }));
  const added = $("added");
  added.replaceChildren(...state.shapes.map((s, i) => {
    const li = document.createElement("li");
    li.append(`${i + 1}: ${s.type}` + (s.from !== undefined ? ` ${s.from.toFixed(1)}–${s.to.toFixed(1)} s` : "")
      + (s.at !== undefined ? `, follows from ${s.at.toFixed(1)} s` : ""));
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Remove";
    del.setAttribute("aria-label", `Remove ${s.type} ${i + 1}`);
    del.addEventListener("click", () => { remember(); state.shapes.splice(i, 1); render(); });
    li.append(del);
    return li;
  }));
}

// ---------- tools ----------
function setTool(tool) {
  finishPolygon(false);
  state.tool = tool;
  for (const b of document.querySelectorAll("#tools button")) {
    b.setAttribute("aria-pressed", String(b.dataset.tool === tool));
  }
  const hints = { box: "Drag a box.", polygon: "Click points; Enter or double-click closes, Escape cancels.",
    brush: "Paint over what to hide.", segment: "Click an object, or drag a loose box around it." };
  say(hints[tool]);
}

function at(event) {
  const rect = $("overlay").getBoundingClientRect();
  return [Math.round((event.clientX - rect.left) / state.scale), Math.round((event.clientY - rect.top) / state.scale)];
}

let press = null;

function down(event) {
  if ((!state.bitmap && !state.video) || state.busy || state.showingResult) return;
  $("overlay").setPointerCapture(event.pointerId);
  const p = at(event);
  press = p;
  if (state.tool === "box" || state.tool === "segment") state.draft = { type: "box", box: [...p, ...p] };
  else if (state.tool === "brush") state.draft = { type: "brush", radius: Number($("brush").value), points: [p] };
  else if (state.tool === "polygon") {
    if (!state.draft) state.draft = { type: "polygon", points: [], open: true };
    state.draft.points.push(p);
  }
  render();
}

function move(event) {
  if (!press || !state.draft) return;
  const p = at(event);
  if (state.draft.type === "box") {
    state.draft.box = [Math.min(press[0], p[0]), Math.min(press[1], p[1]), Math.max(press[0], p[0]),
      Math.max(press[1], p[1])];
  } else if (state.draft.type === "brush") state.draft.points.push(p);
  render();
}

async function up(event) {
  if (!press) return;
  const start = press;
  press = null;
  const d = state.draft;
  if (!d || d.type === "polygon") return;
  state.draft = null;
  if (state.tool === "box") {
    if (d.box[2] - d.box[0] > 2 && d.box[3] - d.box[1] > 2) { remember(); state.shapes.push(timed(d)); }
  } else if (state.tool === "brush") {
    remember();
    state.shapes.push(timed(d));
  } else if (state.tool === "segment") {
    const dragged = d.box[2] - d.box[0] > 4 && d.box[3] - d.box[1] > 4;
    await segment(dragged ? { box: JSON.stringify(d.box) } : { points: JSON.stringify([[...start, 1]]) });
  }
  render();
}

async function segment(prompt) {
  await busy("Segmenting", async () => {
    const frame = state.video ? await currentFrame() : state.file;
    const resp = await call("/v1/segment", { ...prompt, kind: $("kind").value, format: "json" }, frame);
    const body = await resp.json();
    if (!body.polygons.length) throw new Error("Nothing found there; draw a box instead.");
    remember();
    state.shapes.push(timed({ type: "segment", polygons: body.polygons }));
    say(`Segmented ${body.area} pixels.`);
  });
}

function finishPolygon(close) {
  const d = state.draft;
  if (!d || d.type !== "polygon") return;
  state.draft = null;
  if (close && d.points.length >= 3) {
    remember();
    state.shapes.push(timed({ type: "polygon", points: d.points }));
  }
  render();
}

async function currentFrame() {
  // the frame on screen, as a PNG, for /v1/segment
  const clip = $("clip");
  const c = document.createElement("canvas");
  c.width = state.width;
  c.height = state.height;
  c.getContext("2d").drawImage(clip, 0, 0, state.width, state.height);
  const blob = await new Promise((ok) => c.toBlob(ok, "image/png"));
  return new File([blob], "frame.png", { type: "image/png" });
}

// ---------- preview and download ----------
function dropPreview() {
  state.previewBitmap = null;
  state.previewBlob = null;
  if (state.showingResult) {
    state.showingResult = false;
    $("clip").src = state.originalUrl;
  }
  $("keyframes").replaceChildren();
  $("preview").setAttribute("aria-pressed", "false");
}

async function processVideo() {
  const resp = await call("/v1/jobs", { ...redactFields(), profile: $("profile").value });
  const { id } = await resp.json();
  for (;;) {
    const job = await (await get(`/v1/jobs/${id}`)).json();
    if (job.status === "succeeded") break;
    if (job.status === "failed") throw new Error(`${job.error.title}: ${job.error.detail}`);
    say(`Processing the video… ${Math.round(job.progress * 100)} %`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
  return (await get(`/v1/jobs/${id}/result`)).blob();
}

async function redacted() {
  if (state.previewBlob) return state.previewBlob;
  if (state.video) {
    state.previewBlob = await processVideo();
    return state.previewBlob;
  }
  const resp = await call("/v1/redact", redactFields());
  state.previewBlob = await resp.blob();
  return state.previewBlob;
}

async function preview() {
  if (!state.file) return say("Open an image first.");
  if (state.video) return reviewVideo();
  if (state.previewBitmap) { dropPreview(); render(); return say("Showing the masks."); }
  await busy("Redacting", async () => {
    const blob = await redacted();
    state.previewBitmap = await createImageBitmap(blob);
    $("preview").setAttribute("aria-pressed", "true");
    render();
    say("Showing the redacted result (V toggles back).");
  });
}

async function reviewVideo() {
  const clip = $("clip");
  if (state.showingResult) {
    const t = clip.currentTime;
    state.showingResult = false;
    clip.src = state.originalUrl;
    $("keyframes").replaceChildren();
    seek(t);
    $("preview").setAttribute("aria-pressed", "false");
    render();
    return say("Showing the original with your regions.");
  }
  await busy("Processing the video", async () => {
    const blob = await redacted();
    const t = clip.currentTime;
    state.resultUrl && URL.revokeObjectURL(state.resultUrl);
    state.resultUrl = URL.createObjectURL(blob);
    state.showingResult = true;
    clip.src = state.resultUrl;
    seek(t);
    await keyframes();
    seek(t);
    $("preview").setAttribute("aria-pressed", "true");  // (after the strip: its seeks are done)
    render();
    say("Showing the processed video: pick a frame below or move through it (V shows the original).");
  });
}

const KEYFRAMES = 8;

async function keyframes() {
  // frames spread over the processed video, as buttons that seek to them
  const clip = $("clip");
  const strip = $("keyframes");
  strip.replaceChildren();
  await new Promise((ok) => (clip.readyState >= 1 ? ok() : clip.addEventListener("loadedmetadata", ok, { once: true })));
  for (let k = 0; k < KEYFRAMES; k++) {
    const t = (state.duration * (k + 0.5)) / KEYFRAMES;
    await new Promise((ok) => { clip.addEventListener("seeked", ok, { once: true }); clip.currentTime = t; });
    const c = document.createElement("canvas");
    c.width = 160;
    c.height = Math.max(1, Math.round((160 * state.height) / state.width));
    c.getContext("2d").drawImage(clip, 0, 0, c.width, c.height);
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("aria-label", `Frame at ${t.toFixed(1)} s`);
    b.append(c);
    b.addEventListener("click", () => seek(t));
    strip.append(b);
  }
}

async function download() {
  if (!state.file) return say("Open an image first.");
  await busy("Redacting", async () => {
    const blob = await redacted();
    const ext = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "video/mp4": "mp4",
      "video/x-matroska": "mkv", "video/x-msvideo": "avi" }[blob.type] || "bin";
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `redacted.${ext}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    say(`Downloaded redacted.${ext}.`);
  });
}

// ---------- wiring ----------
$("open").addEventListener("change", (e) => open(e.target.files[0]));
for (const b of document.querySelectorAll("#tools button")) b.addEventListener("click", () => setTool(b.dataset.tool));
$("undo").addEventListener("click", undo);
$("preview").addEventListener("click", preview);
$("download").addEventListener("click", download);
for (const id of ["mode", "strength", "profile"]) $(id).addEventListener("change", () => { dropPreview(); render(); });
$("clip").addEventListener("timeupdate", showTime);
$("clip").addEventListener("seeked", showTime);
$("seek").addEventListener("input", () => seek(Number($("seek").value)));
$("play").addEventListener("click", () => {
  const clip = $("clip");
  if (clip.paused) { clip.play(); $("play").textContent = "Pause"; } else { clip.pause(); $("play").textContent = "Play"; }
});
$("from-here").addEventListener("click", () => { $("from").value = $("clip").currentTime.toFixed(1); });
$("to-here").addEventListener("click", () => { $("to").value = $("clip").currentTime.toFixed(1); });
const overlay = $("overlay");
overlay.addEventListener("pointerdown", down);
overlay.addEventListener("pointermove", move);
overlay.addEventListener("pointerup", up);
overlay.addEventListener("dblclick", () => finishPolygon(true));
window.addEventListener("resize", render);
document.addEventListener("keydown", (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  const key = e.key.toLowerCase();
  if ((e.ctrlKey || e.metaKey) && key === "z") { e.preventDefault(); undo(); return; }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const tools = { b: "box", p: "polygon", r: "brush", s: "segment" };
  if (tools[key]) setTool(tools[key]);
  else if (key === "enter") finishPolygon(true);
  else if (key === "escape") { state.draft = null; render(); }
  else if (key === "v") preview();
  else if (key === "d") download();
  else if (key === "o") $("open").click();
  else if (state.video && key === "[") $("from-here").click();
  else if (state.video && key === "]") $("to-here").click();
  else if (state.video && key === ",") seek($("clip").currentTime - 1);
  else if (state.video && key === ".") seek($("clip").currentTime + 1);
});
setTool("box");
