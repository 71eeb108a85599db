/* pmo Gantt chart: one canvas, only the visible rows drawn, so 5,000 tasks stay smooth.
 *
 * Markup: <div class="gantt" data-src="URL"></div>. The URL answers JSON:
 *   {start, finish, today, status_date, tasks: [{id, name, level, start, finish,
 *    bl_start, bl_finish, summary, milestone, critical, pct, tf, url}], links: [[pred, succ, type]]}
 * with ISO date-times and pred/succ as indexes into tasks.
 */
(function () {
  "use strict";

  const ROW = 22;
  const HEADER = 40;
  const NAMES = 300;
  const DAY = 86400000;
  const ZOOMS = { day: 28, week: 8, month: 2 }; // pixels per day
  const COLOURS = {
    bar: "#4a78d6", barDone: "#22458f", critical: "#d7263d", criticalDone: "#8f1020",
    summary: "#1d2330", milestone: "#1d2330", baseline: "#b8c0cc", link: "#7b8594",
    linkCritical: "#d7263d", grid: "#eceff3", weekend: "#f7f8fa", today: "#2457c5",
    status: "#c77c02", text: "#1d2330", muted: "#5b6474", select: "#e8f0ff",
  };

  function parse(value) {
    return value ? Date.parse(value.endsWith("Z") || value.includes("+") ? value : value + "Z") : NaN;
  }

  class Gantt {
    constructor(root, data) {
      this.root = root;
      this.zoom = root.dataset.zoom || "week";
      this.tasks = data.tasks.map((t) => ({
        ...t, s: parse(t.start), f: parse(t.finish), bs: parse(t.bl_start), bf: parse(t.bl_finish),
      }));
      this.links = data.links;
      this.today = parse(data.today);
      this.statusDate = parse(data.status_date);
      let lo = Infinity, hi = -Infinity;
      for (const t of this.tasks) {
        for (const v of [t.s, t.f, t.bs, t.bf]) {
          if (!Number.isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
      }
      if (!Number.isFinite(lo)) { lo = Date.now(); hi = lo + 30 * DAY; }
      this.t0 = Math.floor(lo / DAY) * DAY - 7 * DAY;
      this.t1 = Math.ceil(hi / DAY) * DAY + 14 * DAY;
      // Links by row, so drawing the visible rows finds their links without scanning all.
      this.linksByRow = new Map();
      this.links.forEach((l, i) => {
        for (const r of [l[0], l[1]]) {
          if (!this.linksByRow.has(r)) this.linksByRow.set(r, []);
          this.linksByRow.get(r).push(i);
        }
      });
      this.build();
      this.resize();
    }

    get pxPerDay() { return ZOOMS[this.zoom]; }
    x(ms) { return NAMES + ((ms - this.t0) / DAY) * this.pxPerDay - this.scroller.scrollLeft; }

    build() {
      this.root.innerHTML = "";
      const bar = document.createElement("div");
      bar.className = "gantt-toolbar";
      for (const z of Object.keys(ZOOMS)) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = z[0].toUpperCase() + z.slice(1);
        b.dataset.zoom = z;
        b.setAttribute("aria-pressed", String(z === this.zoom));
        b.addEventListener("click", () => this.setZoom(z));
        bar.appendChild(b);
      }
      const todayButton = document.createElement("button");
      todayButton.type = "button"; todayButton.textContent = "Today";
      todayButton.addEventListener("click", () => this.scrollToDate(this.today || Date.now()));
      bar.appendChild(todayButton);
      const legend = document.createElement("span");
      legend.className = "gantt-legend";
      legend.innerHTML = '<i class="lg-bar"></i> task <i class="lg-crit"></i> critical '
        + '<i class="lg-base"></i> baseline <i class="lg-today"></i> today <i class="lg-status"></i> status date';
      bar.appendChild(legend);
      this.root.appendChild(bar);

      this.scroller = document.createElement("div");
      this.scroller.className = "gantt-scroller";
      this.spacer = document.createElement("div");
      this.spacer.className = "gantt-spacer";
      this.canvas = document.createElement("canvas");
      this.canvas.className = "gantt-canvas";
      this.canvas.setAttribute("role", "img");
      this.canvas.setAttribute("aria-label", `Gantt chart of ${this.tasks.length} tasks`);
      this.scroller.appendChild(this.canvas);
      this.scroller.appendChild(this.spacer);
      this.root.appendChild(this.scroller);
      this.tip = document.createElement("div");
      this.tip.className = "gantt-tip";
      this.tip.hidden = true;
      this.root.appendChild(this.tip);

      this.scroller.addEventListener("scroll", () => this.schedule());
      window.addEventListener("resize", () => this.resize());
      this.canvas.addEventListener("mousemove", (e) => this.hover(e));
      this.canvas.addEventListener("mouseleave", () => { this.tip.hidden = true; });
      this.canvas.addEventListener("click", (e) => {
        const t = this.rowAt(e);
        if (t && t.url) window.location.href = t.url;
      });
    }

    setZoom(z) {
      const centre = this.t0 + ((this.scroller.scrollLeft + (this.scroller.clientWidth - NAMES) / 2)
        / this.pxPerDay) * DAY;
      this.zoom = z;
      this.root.querySelectorAll("[data-zoom]").forEach((b) =>
        b.setAttribute("aria-pressed", String(b.dataset.zoom === z)));
      this.resize();
      this.scrollToDate(centre);
    }

    scrollToDate(ms) {
      const px = ((ms - this.t0) / DAY) * this.pxPerDay;
      this.scroller.scrollLeft = Math.max(0, px - (this.scroller.clientWidth - NAMES) / 2);
      this.schedule();
    }

    resize() {
      const width = NAMES + ((this.t1 - this.t0) / DAY) * this.pxPerDay;
      const height = HEADER + this.tasks.length * ROW;
      this.spacer.style.width = `${width}px`;
      this.spacer.style.height = `${height}px`;
      const ratio = window.devicePixelRatio || 1;
      const w = this.scroller.clientWidth, h = Math.min(this.scroller.clientHeight, height + 20);
      this.canvas.width = Math.floor(w * ratio);
      this.canvas.height = Math.floor(h * ratio);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${h}px`;
      this.ctx = this.canvas.getContext("2d");
      this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      this.schedule();
    }

    schedule() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.draw(); });
    }

    rowAt(e) {
      const rect = this.canvas.getBoundingClientRect();
      const y = e.clientY - rect.top;
      if (y < HEADER) return null;
      const i = Math.floor((y - HEADER + this.scroller.scrollTop) / ROW);
      return this.tasks[i] || null;
    }

    hover(e) {
      const t = this.rowAt(e);
      if (!t) { this.tip.hidden = true; return; }
      const fmt = (v) => (Number.isNaN(v) ? "—" : new Date(v).toISOString().slice(0, 16).replace("T", " "));
      this.tip.textContent = `${t.name}\n${fmt(t.s)} → ${fmt(t.f)}`
        + (t.tf !== null && t.tf !== undefined ? `\ntotal float ${t.tf} d` : "")
        + (Number.isNaN(t.bs) ? "" : `\nbaseline ${fmt(t.bs)} → ${fmt(t.bf)}`)
        + (t.critical ? "\ncritical" : "");
      const rect = this.root.getBoundingClientRect();
      this.tip.style.left = `${e.clientX - rect.left + 12}px`;
      this.tip.style.top = `${e.clientY - rect.top + 12}px`;
      this.tip.hidden = false;
    }

    draw() {
      const ctx = this.ctx;
      const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
      // The canvas is sticky inside the scroller: keep it at the visible window.
      this.canvas.style.transform = `translate(${this.scroller.scrollLeft}px, ${this.scroller.scrollTop}px)`;
      ctx.clearRect(0, 0, w, h);
      ctx.font = "12px system-ui, sans-serif";
      const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW));
      const last = Math.min(this.tasks.length - 1, first + Math.ceil((h - HEADER) / ROW) + 1);
      const rowY = (i) => HEADER + (i - first) * ROW - (this.scroller.scrollTop % ROW);
      const dayLo = this.t0 + Math.floor(this.scroller.scrollLeft / this.pxPerDay) * DAY;
      const dayHi = dayLo + Math.ceil((w - NAMES) / this.pxPerDay + 2) * DAY;

      // Weekends and the grid.
      ctx.save();
      ctx.beginPath(); ctx.rect(NAMES, HEADER, w - NAMES, h - HEADER); ctx.clip();
      if (this.pxPerDay >= 4) {
        for (let d = dayLo; d <= dayHi; d += DAY) {
          const wd = new Date(d).getUTCDay();
          if (wd === 0 || wd === 6) {
            ctx.fillStyle = COLOURS.weekend;
            ctx.fillRect(this.x(d), HEADER, this.pxPerDay, h - HEADER);
          }
        }
      }
      for (let i = first; i <= last; i++) {
        ctx.fillStyle = COLOURS.grid;
        ctx.fillRect(NAMES, rowY(i) + ROW - 1, w - NAMES, 1);
      }
      // Links (elbow arrows), then bars over them.
      const drawn = new Set();
      for (let i = first; i <= last; i++) {
        for (const li of this.linksByRow.get(i) || []) {
          if (drawn.has(li)) continue;
          drawn.add(li);
          this.drawLink(this.links[li], rowY);
        }
      }
      for (let i = first; i <= last; i++) this.drawBar(this.tasks[i], rowY(i));
      // Today and status date.
      for (const [v, colour, dash] of [[this.today, COLOURS.today, []], [this.statusDate, COLOURS.status, [4, 3]]]) {
        if (Number.isNaN(v)) continue;
        ctx.strokeStyle = colour; ctx.setLineDash(dash); ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(this.x(v), HEADER); ctx.lineTo(this.x(v), h); ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.restore();
      this.drawHeader(w, dayLo, dayHi);
      this.drawNames(first, last, rowY, h);
    }

    drawBar(t, y) {
      const ctx = this.ctx;
      if (Number.isNaN(t.s)) return;
      const x0 = this.x(t.s), x1 = Math.max(this.x(t.f), x0 + 1);
      if (!Number.isNaN(t.bs)) {
        ctx.fillStyle = COLOURS.baseline;
        ctx.fillRect(this.x(t.bs), y + ROW - 7, Math.max(this.x(t.bf) - this.x(t.bs), 2), 4);
      }
      if (t.milestone) {
        const cx = x0, cy = y + ROW / 2 - 1, r = 6;
        ctx.fillStyle = t.critical ? COLOURS.critical : COLOURS.milestone;
        ctx.beginPath(); ctx.moveTo(cx, cy - r); ctx.lineTo(cx + r, cy); ctx.lineTo(cx, cy + r);
        ctx.lineTo(cx - r, cy); ctx.closePath(); ctx.fill();
        return;
      }
      if (t.summary) {
        ctx.fillStyle = COLOURS.summary;
        ctx.fillRect(x0, y + 6, x1 - x0, 5);
        for (const xe of [x0, x1]) {
          ctx.beginPath(); ctx.moveTo(xe - 4, y + 6); ctx.lineTo(xe + 4, y + 6); ctx.lineTo(xe, y + 14);
          ctx.closePath(); ctx.fill();
        }
        return;
      }
      ctx.fillStyle = t.critical ? COLOURS.critical : COLOURS.bar;
      ctx.fillRect(x0, y + 4, x1 - x0, ROW - 12);
      if (t.pct > 0) {
        ctx.fillStyle = t.critical ? COLOURS.criticalDone : COLOURS.barDone;
        ctx.fillRect(x0, y + 8, ((x1 - x0) * t.pct) / 100, ROW - 20);
      }
    }

    drawLink(link, rowY) {
      const [p, s, type] = link;
      const a = this.tasks[p], b = this.tasks[s];
      if (!a || !b || Number.isNaN(a.s) || Number.isNaN(b.s)) return;
      const ctx = this.ctx;
      const fromX = type[0] === "F" ? this.x(a.f) : this.x(a.s);
      const toX = type[1] === "S" ? this.x(b.s) : this.x(b.f);
      const y0 = rowY(p) + ROW / 2 - 2, y1 = rowY(s) + ROW / 2 - 2;
      const out = type[0] === "F" ? 6 : -6, into = type[1] === "S" ? -6 : 6;
      ctx.strokeStyle = a.critical && b.critical ? COLOURS.linkCritical : COLOURS.link;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(fromX, y0);
      ctx.lineTo(fromX + out, y0);
      const midY = y1 + (y1 > y0 ? -ROW / 2 : ROW / 2);
      ctx.lineTo(fromX + out, midY);
      ctx.lineTo(toX + into, midY);
      ctx.lineTo(toX + into, y1);
      ctx.lineTo(toX, y1);
      ctx.stroke();
      const dir = into < 0 ? 1 : -1;
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath(); ctx.moveTo(toX, y1); ctx.lineTo(toX - 5 * dir, y1 - 3.5); ctx.lineTo(toX - 5 * dir, y1 + 3.5);
      ctx.closePath(); ctx.fill();
    }

    drawHeader(w, dayLo, dayHi) {
      const ctx = this.ctx;
      ctx.fillStyle = "#fafbfc"; ctx.fillRect(0, 0, w, HEADER);
      ctx.fillStyle = COLOURS.grid; ctx.fillRect(0, HEADER - 1, w, 1); ctx.fillRect(0, HEADER / 2, w, 1);
      ctx.save(); ctx.beginPath(); ctx.rect(NAMES, 0, w - NAMES, HEADER); ctx.clip();
      ctx.fillStyle = COLOURS.muted;
      const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
      let lastMonth = -1, lastYear = -1;
      for (let d = dayLo - 31 * DAY; d <= dayHi; d += DAY) {
        const date = new Date(d);
        const x = this.x(d);
        const m = date.getUTCMonth(), yv = date.getUTCFullYear();
        if (this.zoom === "month") {
          if (yv !== lastYear) { ctx.fillText(String(yv), x + 3, 14); lastYear = yv; }
          if (m !== lastMonth && date.getUTCDate() === 1) {
            ctx.fillText(months[m], x + 3, HEADER - 6);
            ctx.fillRect(x, HEADER / 2, 1, HEADER / 2);
          }
        } else {
          if (m !== lastMonth && (date.getUTCDate() === 1 || d === dayLo - 31 * DAY)) {
            ctx.fillText(`${months[m]} ${yv}`, x + 3, 14); lastMonth = m;
          }
          if (this.zoom === "day") {
            ctx.fillText(String(date.getUTCDate()), x + 3, HEADER - 6);
          } else if (date.getUTCDay() === 1) {
            ctx.fillText(String(date.getUTCDate()), x + 2, HEADER - 6);
            ctx.fillRect(x, HEADER / 2, 1, HEADER / 2);
          }
        }
        if (this.zoom === "month") lastMonth = m;
      }
      ctx.restore();
    }

    drawNames(first, last, rowY, h) {
      const ctx = this.ctx;
      ctx.fillStyle = "#fff"; ctx.fillRect(0, HEADER, NAMES, h - HEADER);
      ctx.fillStyle = "#fafbfc"; ctx.fillRect(0, 0, NAMES, HEADER);
      ctx.fillStyle = COLOURS.muted; ctx.fillText("Task", 8, HEADER - 12);
      ctx.save(); ctx.beginPath(); ctx.rect(0, HEADER, NAMES - 4, h - HEADER); ctx.clip();
      for (let i = first; i <= last; i++) {
        const t = this.tasks[i];
        const y = rowY(i);
        ctx.fillStyle = t.critical ? COLOURS.critical : COLOURS.text;
        ctx.font = t.summary ? "bold 12px system-ui, sans-serif" : "12px system-ui, sans-serif";
        ctx.fillText(t.name, 8 + t.level * 14, y + ROW / 2 + 3);
      }
      ctx.restore();
      ctx.fillStyle = COLOURS.grid; ctx.fillRect(NAMES - 1, 0, 1, h);
    }
  }

  function init(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    root.textContent = "Loading the Gantt chart…";
    fetch(root.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => {
        if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
        return r.json();
      })
      .then((data) => { root.gantt = new Gantt(root, data); root.dataset.loaded = "1"; })
      .catch((err) => { root.textContent = `The Gantt chart could not be loaded: ${err.message}`; });
  }

  function initAll(scope) { (scope || document).querySelectorAll(".gantt[data-src]").forEach(init); }
  document.addEventListener("DOMContentLoaded", () => initAll());
  document.addEventListener("htmx:afterSettle", (e) => initAll(e.target));
  window.pmoGantt = { initAll };
})();
