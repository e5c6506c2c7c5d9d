// The dashboard's one page: four views behind the URL's hash, drawn from the server's JSON with plain DOM and
// SVG (no library, nothing fetched from anywhere but this server).
"use strict";

const page = document.getElementById("page");
const SVG = "http://www.w3.org/2000/svg";
let meta = null;

const DEPARTMENTS = { hazchem: "危化（应急管理局）", transport: "两客一危（交通运输局）", construction: "智慧工地（住建局）",
  special_equipment: "特种设备（市场监管局）", credit: "失信名单（信用办）" };
const ALERT_TYPES = { blacklisted_party_on_waybill: "失信主体出现在运单", unregistered_waybill_vehicle: "运单车辆未登记",
  alarm_during_active_waybill: "运输途中报警", crane_alarm_while_overdue: "超期设备报警",
  blacklisted_contractor_on_active_project: "失信施工单位在建" };
const LAYERS = { enterprise: "危化企业", construction_project: "在建项目", vehicle_alarm: "车辆报警", crane: "塔吊/升降机" };
const RISKS = { blacklisted: "失信", alert: "预警", overdue: "检验超期", none: "无" };

function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function num(v) { return v == null ? "—" : Number(v).toLocaleString("zh-CN"); }
async function api(path) {
  const r = await fetch(path);
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}
function table(columns, rows, attrs = "") {
  // columns: [[key, header, render?, class?]]
  const head = columns.map(([, h, , c]) => `<th class="${c || ""}">${esc(h)}</th>`).join("");
  const body = rows.map((r) => "<tr>" + columns.map(([k, , f, c]) =>
    `<td class="${c || ""}" data-col="${esc(k)}">${f ? f(r[k], r) : esc(r[k])}</td>`).join("") + "</tr>").join("");
  return `<table ${attrs}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
function el(name, attrs = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// --- 总览 ------------------------------------------------------------------------------------------------
function sparkline(values, labels) {
  const w = 160, h = 30, max = Math.max(...values, 1), min = Math.min(...values, 0);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - ((v - min) / (max - min || 1)) * (h - 4)).toFixed(1)}`);
  if (values.length === 1) pts.push(`${w},${pts[0].split(",")[1]}`);
  const title = values.map((v, i) => `${labels[i]}: ${num(v)}`).join("\n");
  return `<svg viewBox="0 0 ${w} ${h}" preserveAspectRatio="none"><title>${esc(title)}</title>
    <polyline class="spark" points="${pts.join(" ")}"/></svg>`;
}
function bars(rows, key, value, label) {
  const max = Math.max(...rows.map((r) => r[value]), 1), rowH = 22;
  const lines = rows.map((r, i) => `<text x="0" y="${i * rowH + 15}" font-size="12">${esc(label(r[key]))}</text>
    <rect class="bar" x="190" y="${i * rowH + 4}" height="14" width="${(r[value] / max) * 260}"/>
    <text x="${196 + (r[value] / max) * 260}" y="${i * rowH + 15}" font-size="12" data-bar="${esc(r[key])}">${num(r[value])}</text>`);
  return `<svg viewBox="0 0 520 ${rows.length * rowH + 4}" width="520">${lines.join("")}</svg>`;
}
async function overview() {
  const d = await api("/api/overview");
  const cards = Object.entries(d.labels).map(([k, label]) => `<div class="card">
      <div class="label">${esc(label)}</div><div class="value" data-kpi="${k}">${num(d.kpis[k])}</div>
      ${sparkline(d.trend.map((t) => t.kpis[k] ?? 0), d.trend.map((t) => `第 ${t.publish_id} 次发布 ${t.published_at}`))}
      <div class="muted">${d.trend.length} 次发布</div></div>`).join("");
  const now = Date.now();
  const fresh = d.freshness.map((f) => {
    const sla = d.sla_hours[f.dataset];
    const loaded = f.loaded_at ? Date.parse(f.loaded_at.replace(" ", "T") + "+08:00") : null;
    return { ...f, sla, stale: loaded != null && sla != null && now - loaded > sla * 3600e3 };
  });
  page.innerHTML = `<h2>关键指标（随发布变化）</h2><div class="cards">${cards}</div>
    <div class="grid2"><div><h2>各部门报送企业数</h2>${bars(d.enterprises_by_department, "department", "enterprises", (k) => DEPARTMENTS[k] || k)}</div>
    <div><h2>跨部门预警（按类型、镇区）</h2>${table([["alert_type", "类型", (v) => esc(ALERT_TYPES[v] || v)], ["town", "镇区"],
      ["alerts", "条数", num, "num"]], d.alerts_by_type_and_town, 'id="alerts-by-town"')}</div></div>
    <h2>数据来源：最新送达与新鲜度</h2>${table([["dataset", "数据集"], ["newest_delivery", "最新送达（文件或请求）"],
      ["loaded_at", "入库时间", (v, r) => v ? `<span class="${r.stale ? "stale" : ""}">${esc(v)}${r.stale ? "（超出时效）" : ""}</span>` : "尚未送达"],
      ["data_until", "数据截至"], ["sla", "时效要求（小时）", num, "num"],
      ["held_back", "暂扣", (v, r) => v ? `<span class="stale">是：${esc(r.held_back_reason)}</span>` : "否"]], fresh, 'id="freshness"')}`;
}

// --- 一张图 ---------------------------------------------------------------------------------------------
// Web Mercator in [0, 1]: the same projection as any tile server's, so tiles and points line up.
function mercator(lon, lat) {
  const s = Math.sin((lat * Math.PI) / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}
async function map() {
  const d = await api("/api/map");
  const towns = [...new Set(d.points.map((p) => p.town).filter(Boolean))].sort();
  const layers = Object.keys(LAYERS);
  page.innerHTML = `<div class="map-wrap"><div class="map-side">
      <h2>图层</h2>${layers.map((l) => `<label><input type="checkbox" data-layer="${l}" checked> ${LAYERS[l]}
        (<span data-layer-count="${l}">${d.points.filter((p) => p.layer === l).length}</span>)</label><br>`).join("")}
      <h2>镇区</h2><select id="town"><option value="">全部镇区</option>${towns.map((t) => `<option>${esc(t)}</option>`).join("")}</select>
      <h2>风险</h2>${Object.entries(RISKS).map(([k, v]) => `<div><span class="swatch sw-${k}"></span>${v}
        (${d.points.filter((p) => p.risk === k).length})</div>`).join("")}
      <p class="muted">点击点位查看一企一档。</p></div><svg id="map-svg"></svg></div>`;
  const svg = document.getElementById("map-svg");
  if (!d.points.length) { svg.outerHTML = '<p class="muted">这次发布没有带坐标的对象。</p>'; return; }
  const xy = d.points.map((p) => mercator(p.longitude, p.latitude));
  const xs = xy.map((p) => p[0]), ys = xy.map((p) => p[1]);
  const pad = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-5) * 0.06;
  const [x0, x1, y0, y1] = [Math.min(...xs) - pad, Math.max(...xs) + pad, Math.min(...ys) - pad, Math.max(...ys) + pad];
  const W = 1000, H = Math.max(300, Math.round((W * (y1 - y0)) / (x1 - x0 || 1)));
  const k = W / (x1 - x0 || 1);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const px = ([x, y]) => [(x - x0) * k, (y - y0) * k];
  if (meta.map_tiles) { // a deployment's own tile server: tiles under the points
    const z = Math.min(18, Math.max(0, Math.floor(Math.log2(W / 256 / (x1 - x0)))));
    const n = 2 ** z;
    for (let tx = Math.floor(x0 * n); tx <= Math.floor(x1 * n); tx++) {
      for (let ty = Math.floor(y0 * n); ty <= Math.floor(y1 * n); ty++) {
        const [ix, iy] = px([tx / n, ty / n]);
        const url = meta.map_tiles.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
        svg.appendChild(el("image", { href: url, x: ix, y: iy, width: k / n, height: k / n }));
      }
    }
  }
  // risky points drawn last (on top); smaller points when there are many; towns labelled above everything
  const order = ["none", "overdue", "alert", "blacklisted"];
  const radius = Math.max(2.5, Math.min(8, 300 / Math.sqrt(d.points.length || 1)));
  const drawn = d.points.map((p, i) => [p, xy[i]]).sort((a, b) => order.indexOf(a[0].risk) - order.indexOf(b[0].risk));
  drawn.forEach(([p, at]) => {
    const [x, y] = px(at);
    const c = el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: (p.layer === "enterprise" ? radius : radius * 0.85).toFixed(1),
      class: `pt layer-${p.layer} risk-${p.risk}`, "data-layer": p.layer, "data-risk": p.risk, "data-town": p.town || "" });
    const title = el("title");
    title.textContent = `${LAYERS[p.layer]}：${p.label}${p.town ? "（" + p.town + "）" : ""} 风险：${RISKS[p.risk]}`;
    c.appendChild(title);
    c.addEventListener("click", () => {
      location.hash = p.layer === "enterprise" ? `#enterprise/${encodeURIComponent(p.entity_id)}`
        : `#enterprise?q=${encodeURIComponent(p.layer === "vehicle_alarm" ? p.label.split(" ")[0] : p.entity_id)}`;
    });
    svg.appendChild(c);
  });
  for (const t of d.towns) {
    const [x, y] = px(mercator(t.longitude, t.latitude));
    const label = el("text", { x, y, class: "town", "data-town": t.town });
    label.textContent = t.town;
    svg.appendChild(label);
  }
  const filter = () => {
    const on = new Set([...document.querySelectorAll("[data-layer]:checked")].map((i) => i.dataset.layer));
    const town = document.getElementById("town").value;
    svg.querySelectorAll("circle.pt").forEach((c) => {
      c.style.display = on.has(c.dataset.layer) && (!town || c.dataset.town === town) ? "" : "none";
    });
  };
  page.querySelectorAll("input[data-layer], #town").forEach((i) => i.addEventListener("change", filter));
}

// --- 一企一档 -------------------------------------------------------------------------------------------
async function enterprise(arg) {
  const q = arg.startsWith("?q=") ? decodeURIComponent(arg.slice(3)) : "";
  page.innerHTML = `<form class="search" id="search"><input name="q" placeholder="企业名称（任何写法）、简称、统一社会信用代码、运单号、车牌" value="${esc(q)}">
    <button>查找</button></form><div id="results"></div><div id="file"></div>`;
  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = `#enterprise?q=${encodeURIComponent(new FormData(ev.target).get("q"))}`;
  });
  if (q) {
    const found = await api(`/api/search?q=${encodeURIComponent(q)}`);
    document.getElementById("results").innerHTML = found.length ? `<ul class="results">${found.map((r) =>
      `<li><a href="#enterprise/${encodeURIComponent(r.enterprise_id)}" data-enterprise="${esc(r.enterprise_id)}">${esc(r.name)}</a>
       <span class="muted">${esc(r.uscc || "无信用代码")} · ${esc(r.town || "镇区未知")} · 按${esc(r.matched_by)}找到</span></li>`).join("")}</ul>`
      : `<p class="muted">未找到“${esc(q)}”。</p>`;
    return;
  }
  if (!arg.startsWith("/")) return;
  const d = await api(`/api/enterprise?id=${encodeURIComponent(decodeURIComponent(arg.slice(1)))}`);
  if (!d) { document.getElementById("file").innerHTML = `<p class="muted">没有这家企业。</p>`; return; }
  const p = d.profile;
  const golden = [["名称", p.name], ["统一社会信用代码", p.uscc], ["组织机构代码", p.org_code], ["镇区", p.town],
    ["地址", p.address], ["曾用/报送名称", (p.names_seen || []).join("；")], ["报送部门", (p.reporting_systems || []).map((s) => DEPARTMENTS[s] || s).join("、")],
    ["危化企业编码", p.hazchem_enterprise_code], ["风险等级", p.risk_level], ["重大危险源", p.major_hazard_level],
    ["失信名单", p.is_dishonest ? `在列（首次列入 ${p.first_listed_on}）` : "不在列"], ["最弱匹配概率", p.weakest_match_probability],
    ["使用特种设备 / 超期", `${p.equipment_used} / ${p.equipment_overdue}`], ["运营车辆", p.vehicles_operated],
    ["运单（托运/承运）", `${p.waybills_as_shipper} / ${p.waybills_as_carrier}`]];
  const src = (v, r) => `${esc(r.source_file)} 第 ${esc(r.source_record_number)} 行`;
  document.getElementById("file").innerHTML = `<h2 id="enterprise-name" data-enterprise-id="${esc(p.enterprise_id)}">${esc(p.name)}</h2>
    <dl class="golden">${golden.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v ?? "—")}</dd>`).join("")}</dl>
    <h2>如何归并（各部门的记录）</h2>${table([["dataset", "数据集"], ["record_id", "记录键"], ["role", "角色"], ["reported_name", "报送名称"],
      ["reported_identifier", "报送证照号"], ["match_rule", "匹配规则"], ["match_probability", "概率"], ["seen_at", "记录时间"],
      ["source_file", "来源文件与行", src]], d.mentions, 'id="mentions"')}
    <h2>预警与证据</h2>${d.alerts.length ? table([["occurred_at", "时间"], ["alert_type", "类型", (v) => esc(ALERT_TYPES[v] || v)],
      ["description", "说明"], ["evidence", "证据", (v) => (v || []).map((e) => `${esc(e.dataset)} ${esc(e.record_id)}（${esc(e.role)}）`).join("<br>")]], d.alerts, 'id="alerts"') : '<p class="muted">无</p>'}
    <h2>特种设备与检验</h2>${d.equipment.length ? table([["equipment_id", "设备"], ["reg_code", "注册代码"], ["use_cert_no", "使用登记证"],
      ["registry_records", "台账记录", num, "num"], ["inspection_reports", "检验报告", num, "num"], ["site_devices", "工地设备", num, "num"],
      ["alert_while_overdue", "超期报警", (v) => (v ? '<span class="stale">是</span>' : "否")], ["sources", "来源", (v) => (v || []).map(esc).join("<br>")]], d.equipment, 'id="equipment"') : '<p class="muted">无</p>'}
    <h2>车辆与运单</h2>${d.vehicles.length ? table([["plate", "车牌"], ["plate_colour", "颜色代码"], ["roles", "角色", (v) => esc((v || []).join("、"))],
      ["waybills", "运单数", num, "num"]], d.vehicles, 'id="vehicles"') : '<p class="muted">无车辆</p>'}
    ${d.waybills.length ? table([["waybill_no", "运单号"], ["role", "角色"], ["seen_at", "时间"], ["source_file", "来源文件与行", src]], d.waybills, 'id="waybills"') : ""}
    <h2>失信名单记录</h2>${d.dishonest_entries.length ? table([["entry_id", "名单编号"], ["reported_name", "名称"], ["seen_at", "时间"],
      ["source_file", "来源", src]], d.dishonest_entries, 'id="dishonest"') : '<p class="muted">无</p>'}
    <h2>时间线</h2>${table([["happened_at", "时间"], ["source", "来源"], ["event", "事件"]], d.timeline, 'id="timeline"')}`;
}

// --- 数据质量 -------------------------------------------------------------------------------------------
function values(v) {
  return `<div class="values">${Object.entries(v || {}).filter(([, x]) => x != null).map(([k, x]) => `${esc(k)}=${esc(x)}`).join("；")}</div>`;
}
async function qualityPage(arg) {
  const summary = await api("/api/quality");
  const key = arg.startsWith("/") ? decodeURIComponent(arg.slice(1)) : "";
  let html = `<h2>各部门数据质量（累计）</h2>${table([["department", "部门", (v, r) => `<a href="#quality/${esc(v)}">${esc(r.owner)} ${esc(DEPARTMENTS[v] || v)}</a>`],
    ["loads", "批次", num, "num"], ["rows_in", "收到行数", num, "num"], ["accepted", "入库", num, "num"], ["flagged", "入库但需核实", num, "num"],
    ["quarantined", "隔离", num, "num"], ["last_validated", "最近校验"]], summary, 'id="quality-summary"')}`;
  if (key) {
    const d = await api(`/api/quality/${encodeURIComponent(key)}`);
    html += `<h2 id="department" data-department="${esc(d.department)}">${esc(d.owner)}：问题清单</h2>
      <p class="downloads"><a id="download-csv" href="/download/quality/${esc(d.department)}.csv" download>下载 CSV</a>
      <a id="download-xlsx" href="/download/quality/${esc(d.department)}.xlsx" download>下载 Excel</a></p>
      ${d.rules.length ? table([["dataset", "数据集"], ["outcome", "处理", (v) => (v === "quarantined" ? "隔离（未入库）" : "入库，需核实")],
        ["rule", "规则"], ["field", "字段"], ["rows", "行数", num, "num"],
        ["examples", "示例（已脱敏）", (v) => (v || []).map((e) => `<div>${esc(e.file)} 第 ${esc(e.row)} 行${values(e.values)}</div>`).join("")]], d.rules, 'id="rules"')
        : '<p class="muted">没有被隔离或标记的行。</p>'}
      <h2>送达记录</h2>${table([["dataset", "数据集"], ["delivery", "文件或请求"], ["arrived_at", "时间"], ["status", "状态"],
        ["reason", "原因"], ["rows_read", "读取", num, "num"], ["rows_accepted", "入库", num, "num"], ["rows_flagged", "需核实", num, "num"],
        ["rows_quarantined", "隔离", num, "num"]], d.arrivals, 'id="arrivals"')}`;
  }
  page.innerHTML = html;
}

// --- routing --------------------------------------------------------------------------------------------
const PAGES = { overview, map, enterprise, quality: qualityPage };
async function route() {
  const m = /^#([a-z]+)(.*)$/.exec(location.hash) || ["", "overview", ""];
  const name = PAGES[m[1]] ? m[1] : "overview";
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === name));
  page.setAttribute("aria-busy", "true");
  try {
    meta = meta || (await api("/api/meta"));
    document.getElementById("publish").textContent = `第 ${meta.publish_id} 次发布 · ${meta.published_at}（北京时间）· 已脱敏`;
    await PAGES[name](m[2]);
  } catch (err) {
    page.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
  page.setAttribute("aria-busy", "false");
  page.dataset.rendered = location.hash || "#overview";
}
window.addEventListener("hashchange", route);
route();
