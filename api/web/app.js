/* talentcast dashboard: a small vanilla-JS page over the JSON API (/v1). Chinese first, English by a switch.
   Every number comes from the API with the user's key, so a page shows exactly what the key may read there
   (a school its own school, a planner its region); the page adds no access rules of its own. See docs/web.md. */
"use strict";

const T = {
  zh: {
    brand: "人才供需预测与专业预警", signout: "退出", footer: "talentcast · 离线运行，不加载任何外部资源",
    overview: "地区概览", sectors: "行业", warnings: "专业预警", scenarios: "情景分析", downloads: "下载", admin: "管理",
    signin: "登录", signinHint: "请输入 API 密钥（由管理员用 talentcast keys create 生成）。密钥只保存在本浏览器标签页中。",
    key: "API 密钥", badKey: "密钥无效或已撤销", role_admin: "管理员", role_planner: "规划部门", role_school: "院校",
    region: "地区", year: "年份", sector: "行业", school: "学校", major: "专业", level: "预警等级", action: "建议",
    openings: "岗位需求", supply: "毕业生供给", gap: "缺口", ratio: "供需比", interval80: "80%区间",
    pShortage: "短缺概率", pSurplus: "过剩概率", status: "判断", shortage: "短缺", surplus: "过剩", balanced: "基本平衡",
    notRated: "不评估", heatmap: "行业 × 年份 供需比（中位数）", topTable: "短缺与过剩行业",
    dataTitle: "数据是什么", table: "数据表", version: "版本", rows: "行数", kind: "来源", lastReal: "最后真实年份",
    kind_real: "真实", "kind_user-supplied": "用户提供", kind_generated: "生成", kind_defaulted: "默认值",
    generatedBanner: "注意：本次结果使用了生成（演示）数据：{t}。数字仅供演示，不是事实。",
    meaning: "怎么读这些数字：供需比 = 预测岗位需求（新增 + 更替中需要应届毕业生的部分）÷ 本地毕业生供给（本地院校对口专业毕业并留在本地就业的人数）。中位数是全部模拟路径（默认 1000 条）的中间值；80%区间表示有八成把握真实值落在其中。短缺概率是供需比高于短缺阈值（默认 1.2）的概率，过剩概率是低于过剩阈值（默认 0.8）的概率。本地几乎不培养的行业不评估供需比。",
    run: "运行", createdAt: "时间", history: "就业人数：历史与预测", forecast: "预测", mean: "均值",
    openingsSplit: "岗位需求：扩张 + 更替", expansion: "扩张需求", replacement: "更替需求", gradOpenings: "毕业生岗位",
    supplyByMajor: "对口专业的本地毕业生供给（按专业）", assumptions: "假设参数", parameter: "参数", value: "取值", range: "允许范围",
    replacement_rate: "更替率（每年离开该行业的比例）", graduate_entry_share: "应届生入职比例",
    gapsByYear: "各年供需", historyReal: "历史（真实数据）", historyGenerated: "历史（生成数据）", meaningTitle: "数字的含义", generatedRow: "生成数据", realRow: "真实数据",
    current: "现招生", recommended: "建议招生", probability: "短缺/过剩概率", all: "全部", search: "搜索",
    explanation: "说明", evidence: "依据", rulesFired: "触发规则", planYear: "招生年份",
    level_red: "红牌", level_yellow: "黄牌", level_green: "绿牌", level_not_rated: "不评估",
    action_expand: "扩大招生", action_hold: "保持规模", action_shrink: "缩减招生", action_suspend: "暂停招生", action_none: "—",
    rowsShown: "显示 {n} / {t} 行", notFound: "未找到", forbidden: "无权查看", errorPrefix: "出错",
    kindLabel: "类型", k_employment_change: "就业变化（如新建工厂）", k_intake: "招生计划变化", k_parameter: "参数变化",
    percent: "百分比 %", persons: "人数", fromYear: "起始年份", toYear: "结束年份", addChange: "添加变化", remove: "删除",
    runScenario: "计算情景", saveScenario: "保存", copyLink: "复制分享链接", linkCopied: "链接已复制（也显示在地址栏）",
    saved: "已保存的情景", scenarioName: "情景名称", baseline: "基线", scenario: "情景", change: "变化",
    sectorsChanged: "变化的行业（{y} 年）", majorsChanged: "变化的专业预警", noChange: "与基线相比没有变化",
    resultYear: "结果年份", load: "载入", computing: "计算中…",
    tables: "数据表下载", charts: "图表下载", chartsHint: "每张图下方都有 PNG / SVG 按钮；下面是地区概览的热力图。",
    datasets: "数据集版本", upload: "上传数据", uploadBtn: "校验并上传", runs: "计算记录", recompute: "重新计算",
    keys: "API 密钥", createKey: "创建密钥", revoke: "撤销", revoked: "已撤销", active: "有效", name: "名称", role: "角色",
    newKey: "新密钥（只显示这一次，请立即保存）：", valid: "校验通过，已保存为版本 {v}", invalid: "校验未通过，未保存：",
    schoolHint: "本页只显示贵校的专业。", pickRegion: "选择地区",
    demand_t: "岗位需求预测", supply_t: "毕业生供给预测", gaps_t: "供需缺口", warnings_t: "专业预警",
  },
  en: {
    brand: "Talent supply-demand and major warnings", signout: "Sign out", footer: "talentcast · runs offline, loads nothing from the internet",
    overview: "Region overview", sectors: "Sectors", warnings: "Majors & warnings", scenarios: "Scenarios", downloads: "Downloads", admin: "Admin",
    signin: "Sign in", signinHint: "Enter your API key (an admin creates it with talentcast keys create). It is kept only in this browser tab.",
    key: "API key", badKey: "invalid or revoked key", role_admin: "admin", role_planner: "planner", role_school: "school",
    region: "Region", year: "Year", sector: "Sector", school: "School", major: "Major", level: "Level", action: "Action",
    openings: "Openings", supply: "Graduate supply", gap: "Gap", ratio: "Ratio", interval80: "80% interval",
    pShortage: "P(shortage)", pSurplus: "P(surplus)", status: "Reading", shortage: "shortage", surplus: "surplus", balanced: "balanced",
    notRated: "not rated", heatmap: "Sector x year demand/supply ratio (median)", topTable: "Shortage and surplus sectors",
    dataTitle: "What the data are", table: "Table", version: "Version", rows: "Rows", kind: "Source", lastReal: "Last real year",
    kind_real: "real", "kind_user-supplied": "user-supplied", kind_generated: "generated", kind_defaulted: "defaulted",
    generatedBanner: "Note: this run used generated (demo) data: {t}. The numbers are a demonstration, not facts.",
    meaning: "How to read the numbers: the ratio is forecast openings for graduates (growth plus the part of replacement hiring that takes new graduates) divided by local graduate supply (graduates of the region's schools in majors that feed the sector who stay to work locally). The median is the middle of the simulated paths (1,000 by default); the 80% interval holds the true value with 8 in 10 confidence. P(shortage) is the probability that the ratio exceeds the shortage threshold (1.2 by default), P(surplus) that it falls below the surplus threshold (0.8). Sectors the region hardly trains for are not rated.",
    run: "Run", createdAt: "Time", history: "Employment: history and forecast", forecast: "forecast", mean: "mean",
    openingsSplit: "Openings: expansion + replacement", expansion: "expansion", replacement: "replacement", gradOpenings: "graduate openings",
    supplyByMajor: "Local graduate supply by feeding major", assumptions: "Assumptions", parameter: "Parameter", value: "Value", range: "Allowed range",
    replacement_rate: "replacement rate (share leaving the sector each year)", graduate_entry_share: "share of openings taken by new graduates",
    gapsByYear: "Supply and demand by year", historyReal: "history (real)", historyGenerated: "history (generated)", meaningTitle: "What the numbers mean", generatedRow: "generated", realRow: "real",
    current: "Current intake", recommended: "Recommended", probability: "P(shortage/surplus)", all: "all", search: "Search",
    explanation: "Explanation", evidence: "Evidence", rulesFired: "Rules fired", planYear: "Plan year",
    level_red: "red", level_yellow: "yellow", level_green: "green", level_not_rated: "not rated",
    action_expand: "expand", action_hold: "hold", action_shrink: "shrink", action_suspend: "suspend", action_none: "-",
    rowsShown: "{n} of {t} rows", notFound: "Not found", forbidden: "Not allowed", errorPrefix: "Error",
    kindLabel: "Kind", k_employment_change: "employment change (e.g. a new plant)", k_intake: "planned intake", k_parameter: "parameter",
    percent: "percent %", persons: "persons", fromYear: "from year", toYear: "to year", addChange: "Add change", remove: "Remove",
    runScenario: "Compute scenario", saveScenario: "Save", copyLink: "Copy share link", linkCopied: "Link copied (also in the address bar)",
    saved: "Saved scenarios", scenarioName: "Scenario name", baseline: "Baseline", scenario: "Scenario", change: "Change",
    sectorsChanged: "Sectors that change ({y})", majorsChanged: "Major warnings that change", noChange: "no change from the baseline",
    resultYear: "Result year", load: "Load", computing: "computing…",
    tables: "Tables", charts: "Charts", chartsHint: "Every chart has PNG / SVG buttons below it; here is the region heatmap.",
    datasets: "Dataset versions", upload: "Upload data", uploadBtn: "Validate and upload", runs: "Runs", recompute: "Recompute",
    keys: "API keys", createKey: "Create key", revoke: "Revoke", revoked: "revoked", active: "active", name: "Name", role: "Role",
    newKey: "New key (shown only this once; store it now):", valid: "valid; stored as version {v}", invalid: "not valid; nothing stored:",
    schoolHint: "This page shows your school's majors only.", pickRegion: "Region",
    demand_t: "Openings forecast", supply_t: "Graduate supply forecast", gaps_t: "Supply-demand gaps", warnings_t: "Major warnings",
  },
};

let lang = localStorage.getItem("tcLang") || "zh";
const session = { key: sessionStorage.getItem("tcKey"), me: null };
let charts = [];
const view = () => document.getElementById("view");

function t(key, vars) {
  let text = (T[lang] && T[lang][key]) ?? T.zh[key] ?? key;
  for (const [name, value] of Object.entries(vars || {})) text = text.replace(`{${name}}`, value);
  return text;
}
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v)) ? "—" :
  Number(v).toLocaleString(lang === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (v) => (v === null || v === undefined) ? "—" : `${Math.round(v * 100)}%`;
const nameOf = (item, field) => item[`${field}_name`] || item[field];

class ApiError extends Error {
  constructor(status, detail, body) { super(typeof detail === "string" ? detail : JSON.stringify(detail)); this.status = status; this.detail = detail; this.body = body || {}; }
}

async function api(path, options = {}) {
  const headers = { "Accept-Language": lang === "en" ? "en" : "zh-CN", ...(options.headers || {}) };
  if (session.key) headers.Authorization = `Bearer ${session.key}`;
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, body.detail ?? response.statusText, body);
  }
  return options.raw ? response : response.json();
}

/* Every row of a list route: the API pages at most 1000 rows, a province can have more. */
async function apiAll(path) {
  const sep = path.includes("?") ? "&" : "?";
  const first = await api(`${path}${sep}limit=1000`);
  const items = [...first.items];
  while (items.length < first.total) {
    const next = await api(`${path}${sep}limit=1000&offset=${items.length}&run_id=${first.run_id}`);
    if (!next.items.length) break;
    items.push(...next.items);
  }
  return { ...first, items };
}

function errorBox(error) {
  const title = error.status === 404 ? t("notFound") : error.status === 403 ? t("forbidden") : t("errorPrefix");
  return `<div class="error" data-status="${esc(error.status)}"><b>${esc(title)}</b> (${esc(error.status || "")}): ${esc(error.message)}</div>`;
}

/* ---------- routing ---------- */

function parseHash() {
  const [path, query] = (location.hash.replace(/^#/, "") || "/").split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
}
function go(path, params) {
  const query = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString() : "";
  location.hash = `#/${path}${query ? `?${query}` : ""}`;
}

const PAGES = {
  login: { render: renderLogin, roles: null },
  overview: { render: renderOverview, roles: ["admin", "planner"] },
  sector: { render: renderSector, roles: ["admin", "planner"] },
  warnings: { render: renderWarnings, roles: ["admin", "planner", "school"] },
  school: { render: renderWarnings, roles: ["admin", "planner", "school"] },
  scenarios: { render: renderScenarios, roles: ["admin", "planner"] },
  downloads: { render: renderDownloads, roles: ["admin", "planner", "school"] },
  admin: { render: renderAdmin, roles: ["admin"] },
};
const NAV = ["overview", "warnings", "scenarios", "downloads", "admin"];

function homeFor(role) { return role === "school" ? "warnings" : "overview"; }

async function route() {
  // No Chinese text is drawn before the CJK font is there: text first laid out in the fallback font (boxes) was
  // sometimes not redrawn by Chromium once the font had loaded (seen on the bold title under heavy load).
  await fontReady;
  charts.forEach((c) => c.dispose()); charts = [];
  const { parts, params } = parseHash();
  applyStaticText();
  if (!session.key) { document.body.dataset.page = "login"; return renderLogin(); }
  if (!session.me) {
    try { session.me = await api("/v1/me"); } catch (e) { signOut(); return renderLogin(e.status === 401 ? t("badKey") : e.message); }
  }
  applyStaticText();
  const name = parts[0] && PAGES[parts[0]] ? parts[0] : homeFor(session.me.role);
  if (name === "login") { go(homeFor(session.me.role)); return; }
  const page = PAGES[name];
  renderNav(name);
  document.body.dataset.page = name;
  view().innerHTML = "";
  if (page.roles && !page.roles.includes(session.me.role)) {
    view().innerHTML = errorBox(new ApiError(403, `role '${session.me.role}' may not open this page`));
    markReady();
    return;
  }
  try {
    await page.render(parts.slice(1), params);
  } catch (error) {
    if (error.status === 401) { signOut(); return renderLogin(t("badKey")); }
    view().insertAdjacentHTML("beforeend", errorBox(error));
    markReady();
  }
}

function markReady() {
  // The main table is in the document: benchmarks/web_pages.py reads this mark (time to a usable page).
  performance.mark(`tc-ready-${document.body.dataset.page}`);
  document.body.dataset.ready = document.body.dataset.page;
}

function applyStaticText() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.getElementById("lang").textContent = lang === "en" ? "中文" : "EN";
  document.getElementById("signout").hidden = !session.key;
  const me = session.me;
  document.getElementById("who").textContent = me ? `${me.name || ""} · ${t(`role_${me.role}`)}${me.region ? ` · ${me.region}` : ""}${me.school ? ` · ${me.school}` : ""}` : "";
}

function renderNav(active) {
  const role = session.me.role;
  document.getElementById("nav").innerHTML = NAV.filter((n) => PAGES[n].roles.includes(role))
    .map((n) => `<a href="#/${n}" class="${n === active || (active === "sector" && n === "overview") || (active === "school" && n === "warnings") ? "active" : ""}" data-nav="${n}">${esc(t(n))}</a>`).join("");
}

function setBanner(generated) {
  const banner = document.getElementById("banner");
  banner.hidden = !(generated && generated.length);
  if (!banner.hidden) banner.textContent = t("generatedBanner", { t: generated.join(", ") });
}

function signOut() { session.key = null; session.me = null; sessionStorage.removeItem("tcKey"); document.getElementById("nav").innerHTML = ""; applyStaticText(); }

/* ---------- charts ---------- */

const fontReady = document.fonts ? document.fonts.load('14px "TC CJK"', "中文").catch(() => null) : Promise.resolve();

async function chart(el, option, name) {
  await fontReady;  // canvas text is drawn once: wait for the CJK font so that it is not drawn with boxes
  const instance = echarts.init(el, null, { renderer: "canvas" });
  const base = { textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }, animation: false };
  instance.setOption({ ...base, ...option });
  charts.push(instance);
  const tools = document.createElement("div");
  tools.className = "chart-tools";
  tools.innerHTML = `<button type="button" data-save="png">PNG</button><button type="button" data-save="svg">SVG</button>`;
  tools.addEventListener("click", (event) => {
    const kind = event.target.dataset.save;
    if (kind) saveChart(instance, option, name, kind);
  });
  el.after(tools);
  return instance;
}

function saveChart(instance, option, name, kind) {
  let url;
  if (kind === "png") {
    url = instance.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
  } else {  // an SVG needs the SVG renderer: draw the same option once more, off screen
    const holder = document.createElement("div");
    const svg = echarts.init(holder, null, { renderer: "svg", ssr: true, width: instance.getWidth(), height: instance.getHeight() });
    svg.setOption({ textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }, animation: false, backgroundColor: "#fff", ...option });
    url = URL.createObjectURL(new Blob([svg.renderToSVGString()], { type: "image/svg+xml" }));
    svg.dispose();
  }
  saveUrl(url, `talentcast-${name}.${kind}`);
}

function saveUrl(url, filename) {
  const a = document.createElement("a");
  a.href = url; a.download = filename; document.body.appendChild(a); a.click(); a.remove();
}

/* ---------- tables ---------- */

/* columns: [{key, label, num, html(row), value(row)}]; sortable by clicking a header. */
function tableHtml(id, columns, rows, options = {}) {
  const head = columns.map((c, i) => `<th class="${c.num ? "num " : ""}sortable" data-col="${i}">${esc(c.label)}</th>`).join("");
  const body = rows.map((row, r) => `<tr data-row="${r}" class="${options.clickable ? "clickable" : ""}">${columns.map((c) =>
    `<td class="${c.num ? "num" : ""}">${c.html ? c.html(row) : esc(c.value ? c.value(row) : row[c.key])}</td>`).join("")}</tr>`).join("");
  return `<table id="${id}" data-main="${options.main ? 1 : 0}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function sortable(tableEl, columns, rows, rerender) {
  let state = { col: null, dir: 1 };
  tableEl.querySelector("thead").addEventListener("click", (event) => {
    const th = event.target.closest("th"); if (!th) return;
    const col = Number(th.dataset.col);
    state = { col, dir: state.col === col ? -state.dir : (columns[col].num ? -1 : 1) };
    const c = columns[col];
    const key = (row) => (c.sort ? c.sort(row) : c.value ? c.value(row) : row[c.key]);
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (x === y) return 0; if (x === null || x === undefined) return 1; if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * state.dir;
    });
    rerender();
  });
}

/* ---------- sign in ---------- */

function renderLogin(message) {
  document.getElementById("nav").innerHTML = "";
  setBanner(null);
  view().innerHTML = `<div class="card login"><h1>${esc(t("signin"))}</h1><p class="muted">${esc(t("signinHint"))}</p>
    <form id="login-form"><label>${esc(t("key"))}<input id="key" name="key" type="password" autocomplete="off" placeholder="tc_xxxxxxxx_..."></label>
    <button class="btn primary" type="submit">${esc(t("signin"))}</button></form>${message ? `<div class="error">${esc(message)}</div>` : ""}</div>`;
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    session.key = document.getElementById("key").value.trim();
    try {
      session.me = await api("/v1/me");
      sessionStorage.setItem("tcKey", session.key);
      const wanted = parseHash().parts[0];
      if (wanted && wanted !== "login") route(); else go(homeFor(session.me.role));
    } catch (error) {
      session.key = null; session.me = null;
      renderLogin(error.status === 401 ? t("badKey") : error.message);
    }
  });
  markReady();
}

/* ---------- region overview ---------- */

function reading(gap) {
  if (gap.ratio_median === null || gap.ratio_median === undefined) return "not_rated";
  if (gap.p_shortage >= 0.5) return "shortage";
  if (gap.p_surplus >= 0.5) return "surplus";
  return "balanced";
}
const readingTag = (gap) => { const r = reading(gap); return `<span class="tag ${r}" title="${esc(gap.rating_note || "")}">${esc(t(r === "not_rated" ? "notRated" : r))}</span>`; };

async function regionFor(params) {
  if (params.get("region")) return params.get("region");
  if (session.me.region) return session.me.region;
  const page = await api("/v1/gaps?limit=1");  // an admin without a region: the first region with results
  return page.items.length ? page.items[0].region : null;
}

async function renderOverview(_parts, params) {
  const region = await regionFor(params);
  const [gapsPage, sources] = await Promise.all([
    apiAll(`/v1/gaps?region=${encodeURIComponent(region)}`),
    api(`/v1/data-sources?region=${encodeURIComponent(region)}`),
  ]);
  setBanner(gapsPage.generated_inputs);
  const gaps = gapsPage.items;
  const years = [...new Set(gaps.map((g) => g.year))].sort();
  const year = Number(params.get("year")) || years[years.length - 1];
  const rows = gaps.filter((g) => g.year === year)
    .sort((a, b) => (b.p_shortage ?? -1) - (a.p_shortage ?? -1) || (a.p_surplus ?? 2) - (b.p_surplus ?? 2));
  const regionName = gaps.length ? gaps[0].region_name : region;
  let regionPicker = "";
  if (session.me.role === "admin" || !session.me.region) {
    const all = await apiAll("/v1/gaps");
    const regions = [...new Map(all.items.map((g) => [g.region, g.region_name])).entries()];
    regionPicker = `<label>${esc(t("pickRegion"))} <select id="region-pick">${regions.map(([code, name]) =>
      `<option value="${esc(code)}" ${code === region ? "selected" : ""}>${esc(name || code)} (${esc(code)})</option>`).join("")}</select></label>`;
  }
  view().innerHTML = `<h1>${esc(t("overview"))} · ${esc(regionName)} (${esc(region)})</h1>
    <div class="filters">${regionPicker}<label>${esc(t("year"))} <select id="year-pick">${years.map((y) => `<option ${y === year ? "selected" : ""}>${y}</option>`).join("")}</select></label>
    <span class="muted small">${esc(t("run"))} ${esc(gapsPage.run_id)} · ${esc((gapsPage.run_created_at || "").slice(0, 19).replace("T", " "))}</span></div>
    <div class="card"><h2>${esc(t("topTable"))} (${year})</h2><div id="gaps-table" class="scroll"></div></div>
    <div class="card"><h2>${esc(t("heatmap"))}</h2><div id="heatmap" class="chart tall"></div></div>
    <div class="grid2"><div class="card"><h2>${esc(t("dataTitle"))}</h2><div id="sources"></div></div>
    <div class="card"><h2>${esc(t("meaningTitle"))}</h2><p id="meaning">${esc(t("meaning"))}</p></div></div>`;
  document.getElementById("year-pick").addEventListener("change", (e) => go("overview", { region: params.get("region"), year: e.target.value }));
  const picker = document.getElementById("region-pick");
  if (picker) picker.addEventListener("change", (e) => go("overview", { region: e.target.value, year }));

  const columns = [
    { label: t("sector"), value: (g) => `${g.sector_name} ${g.sector}`, html: (g) => `<a href="#/sector/${esc(g.sector)}?region=${esc(region)}">${esc(g.sector_name || g.sector)}</a> <span class="muted small">${esc(g.sector)}</span>` },
    { label: t("openings"), num: true, key: "openings_mean", value: (g) => fmt(g.openings_mean), sort: (g) => g.openings_mean },
    { label: t("supply"), num: true, value: (g) => fmt(g.supply_mean), sort: (g) => g.supply_mean },
    { label: t("ratio"), num: true, value: (g) => fmt(g.ratio_median, 2), sort: (g) => g.ratio_median },
    { label: t("interval80"), num: true, value: (g) => g.ratio_median === null ? "—" : `${fmt(g.ratio_lo_80, 2)} – ${fmt(g.ratio_hi_80, 2)}`, sort: (g) => g.ratio_lo_80 },
    { label: t("pShortage"), num: true, value: (g) => pct(g.p_shortage), sort: (g) => g.p_shortage },
    { label: t("pSurplus"), num: true, value: (g) => pct(g.p_surplus), sort: (g) => g.p_surplus },
    { label: t("status"), html: readingTag, sort: (g) => reading(g) },
  ];
  const holder = document.getElementById("gaps-table");
  const draw = () => { holder.innerHTML = tableHtml("gaps", columns, rows, { main: true }); sortable(holder.firstChild, columns, rows, draw); };
  draw();
  markReady();
  drawSources(sources);

  const rated = [...new Map(gaps.filter((g) => g.ratio_median !== null).map((g) => [g.sector, g.sector_name])).entries()];
  const data = gaps.filter((g) => g.ratio_median !== null).map((g) =>
    [years.indexOf(g.year), rated.findIndex(([s]) => s === g.sector), Math.log2(Math.max(g.ratio_median, 1e-3)), g.ratio_median]);
  heatmapChart(document.getElementById("heatmap"), years, rated.map(([s, n]) => `${n || s}`), data, `heatmap-${region}`);
}

function heatmapChart(el, years, labels, data, name) {
  return chart(el, {
    tooltip: { formatter: (p) => `${esc(labels[p.value[1]])} ${years[p.value[0]]}: ${fmt(p.value[3], 2)}` },
    grid: { left: 190, right: 30, top: 10, bottom: 70 },
    xAxis: { type: "category", data: years.map(String) },
    yAxis: { type: "category", data: labels, axisLabel: { width: 180, overflow: "truncate" } },
    visualMap: { min: -2, max: 2, dimension: 2, orient: "horizontal", left: "center", bottom: 0, calculable: false,
      text: [`${t("shortage")} (>4)`, `${t("surplus")} (<0.25)`], inRange: { color: ["#1f5fa8", "#f7f7f7", "#c62828"] } },
    series: [{ type: "heatmap", data, label: { show: true, formatter: (p) => fmt(p.value[3], 1), fontSize: 10 } }],
  }, name);
}

function drawSources(sources) {
  const el = document.getElementById("sources");
  el.innerHTML = tableHtml("sources-table", [
    { label: t("table"), key: "table" }, { label: t("version"), num: true, key: "version" },
    { label: t("rows"), num: true, value: (s) => fmt(s.rows) },
    { label: t("kind"), html: (s) => `<span class="tag ${s.kind === "generated" ? "yellow" : s.kind === "real" ? "green" : "none"}">${esc(t(`kind_${s.kind}`))}</span>${s.synthetic_rows ? ` <span class="muted small" title="${esc(s.synthetic_rows)}">(${lang === "en" ? "partly" : "部分"})</span>` : ""}` },
    { label: t("lastReal"), num: true, value: (s) => s.last_real_year ?? "" },
  ], sources.items);
}

/* ---------- sector page ---------- */

async function renderSector(parts, params) {
  const sector = parts[0];
  const region = await regionFor(params);
  const q = `region=${encodeURIComponent(region)}&sector=${encodeURIComponent(sector)}`;
  const [demand, gaps, context] = await Promise.all([
    apiAll(`/v1/forecasts/demand?${q}`), apiAll(`/v1/gaps?${q}`),
    api(`/v1/sectors/${encodeURIComponent(sector)}/context?region=${encodeURIComponent(region)}`),
  ]);
  setBanner(demand.generated_inputs);
  const first = demand.items[0] || gaps.items[0] || {};
  view().innerHTML = `<h1>${esc(first.sector_name || sector)} <span class="muted">${esc(sector)}</span> · ${esc(first.region_name || region)}</h1>
    <div class="card"><h2>${esc(t("gapsByYear"))}</h2><div id="sector-gaps"></div></div>
    <div class="grid2"><div class="card"><h2>${esc(t("history"))}</h2><div id="fan" class="chart"></div></div>
    <div class="card"><h2>${esc(t("openingsSplit"))}</h2><div id="openings" class="chart"></div></div></div>
    <div class="grid2"><div class="card"><h2>${esc(t("supplyByMajor"))}</h2><div id="by-major" class="chart"></div></div>
    <div class="card"><h2>${esc(t("assumptions"))}</h2><div id="assumptions"></div><p class="small muted">${esc(t("meaning"))}</p></div></div>`;
  const gapColumns = [
    { label: t("year"), key: "year" },
    { label: t("openings"), num: true, value: (g) => fmt(g.openings_mean) }, { label: t("supply"), num: true, value: (g) => fmt(g.supply_mean) },
    { label: t("gap"), num: true, value: (g) => `${fmt(g.gap_mean)} (${fmt(g.gap_lo_80)} – ${fmt(g.gap_hi_80)})` },
    { label: t("ratio"), num: true, value: (g) => fmt(g.ratio_median, 2) },
    { label: t("interval80"), num: true, value: (g) => g.ratio_median === null ? "—" : `${fmt(g.ratio_lo_80, 2)} – ${fmt(g.ratio_hi_80, 2)}` },
    { label: t("pShortage"), num: true, value: (g) => pct(g.p_shortage) }, { label: t("pSurplus"), num: true, value: (g) => pct(g.p_surplus) },
    { label: t("status"), html: readingTag },
  ];
  document.getElementById("sector-gaps").innerHTML = tableHtml("sector-gaps-table", gapColumns, gaps.items, { main: true });
  document.getElementById("assumptions").innerHTML = tableHtml("assumptions-table", [
    { label: t("parameter"), html: (p) => `<code>${esc(p.parameter)}</code><br><span class="small muted">${esc(t(p.parameter))}</span>` },
    { label: t("value"), num: true, value: (p) => fmt(p.value, 3) }, { label: t("range"), num: true, value: (p) => `${p.low} – ${p.high}` },
  ], context.parameters);
  markReady();

  const forecast = demand.items;
  const years = [...new Set([...context.history.map((h) => h.year), ...forecast.map((f) => f.year)])].sort();
  const at = (list, y, f) => { const row = list.find((r) => r.year === y); return row ? f(row) : null; };
  chart(document.getElementById("fan"), {
    tooltip: { trigger: "axis" }, legend: { top: 0, data: [t("historyReal"), t("historyGenerated"), t("interval80"), `${t("forecast")} ${t("mean")}`] },
    grid: { left: 60, right: 20, top: 40, bottom: 30 }, xAxis: { type: "category", data: years.map(String) }, yAxis: { type: "value", scale: true },
    series: [
      { name: t("historyReal"), type: "line", data: years.map((y) => at(context.history, y, (h) => h.generated ? null : h.employed)), color: "#1f2933" },
      { name: t("historyGenerated"), type: "line", data: years.map((y) => at(context.history, y, (h) => h.generated ? h.employed : null)), color: "#b7791f", lineStyle: { type: "dotted" } },
      { name: "lo80", type: "line", stack: "band", data: years.map((y) => at(forecast, y, (f) => f.employment_lo_80)), lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } },
      { name: t("interval80"), type: "line", stack: "band", data: years.map((y) => at(forecast, y, (f) => f.employment_hi_80 - f.employment_lo_80)), lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: "rgba(31,95,168,.25)" }, color: "rgba(31,95,168,.4)" },
      { name: `${t("forecast")} ${t("mean")}`, type: "line", data: years.map((y) => at(forecast, y, (f) => f.employment_mean)), color: "#1f5fa8" },
    ],
  }, `employment-${region}-${sector}`);
  const fy = forecast.map((f) => String(f.year));
  chart(document.getElementById("openings"), {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 60, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: fy }, yAxis: { type: "value" },
    series: [
      { name: t("expansion"), type: "bar", stack: "o", data: forecast.map((f) => Math.round(f.expansion_mean)) },
      { name: t("replacement"), type: "bar", stack: "o", data: forecast.map((f) => Math.round(f.replacement_mean)) },
      { name: t("gradOpenings"), type: "line", data: forecast.map((f) => Math.round(f.graduate_openings_mean)) },
    ],
  }, `openings-${region}-${sector}`);
  const majors = [...new Map(context.supply_by_major.map((m) => [m.major, lang === "en" ? (m.major_name_en || m.major_name_zh) : (m.major_name_zh || m.major_name_en)])).entries()];
  const sy = [...new Set(context.supply_by_major.map((m) => m.year))].sort();
  chart(document.getElementById("by-major"), {
    tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: { left: 60, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: sy.map(String) }, yAxis: { type: "value" },
    series: majors.map(([code, name]) => ({ name: `${name || code}`, type: "bar", stack: "s",
      data: sy.map((y) => { const r = context.supply_by_major.find((m) => m.major === code && m.year === y); return r ? Math.round(r.entrants * 10) / 10 : 0; }) })),
  }, `supply-by-major-${region}-${sector}`);
}

/* ---------- majors and warnings ---------- */

const LEVEL_ORDER = { red: 0, yellow: 1, green: 2, not_rated: 3 };

async function renderWarnings(parts, params) {
  const school = parts[0] || params.get("school") || "";
  const [page, map, sectors] = await Promise.all([
    apiAll(`/v1/warnings${school ? `?school=${encodeURIComponent(school)}` : ""}`),
    api("/v1/major-sector-map"), api("/v1/sectors?limit=1000"),
  ]);
  setBanner(page.generated_inputs);
  const sectorsOf = {};
  map.items.forEach((m) => { (sectorsOf[m.major] = sectorsOf[m.major] || []).push(m.sector); });
  const sectorNames = Object.fromEntries(sectors.items.map((s) => [s.code, s.name]));
  const all = page.items;
  const schools = [...new Map(all.map((w) => [w.school, w.school_name])).entries()];
  const usedSectors = [...new Set(all.flatMap((w) => sectorsOf[w.major] || []))].sort();
  const opt = (value, label, selected) => `<option value="${esc(value)}" ${selected ? "selected" : ""}>${esc(label)}</option>`;
  const f = { school: params.get("school") || "", level: params.get("level") || "", action: params.get("action") || "", sector: params.get("sector") || "", q: params.get("q") || "" };
  view().innerHTML = `<h1>${esc(t("warnings"))}${school && schools.length ? ` · ${esc(schools[0][1])}` : ""}</h1>
    ${session.me.role === "school" ? `<p class="muted">${esc(t("schoolHint"))}</p>` : ""}
    <div class="filters card">
      ${school ? "" : `<label>${esc(t("school"))} <select data-filter="school">${opt("", t("all"))}${schools.map(([c, n]) => opt(c, n || c, f.school === c)).join("")}</select></label>`}
      <label>${esc(t("level"))} <select data-filter="level">${opt("", t("all"))}${["red", "yellow", "green", "not_rated"].map((l) => opt(l, t(`level_${l}`), f.level === l)).join("")}</select></label>
      <label>${esc(t("action"))} <select data-filter="action">${opt("", t("all"))}${["expand", "hold", "shrink", "suspend"].map((a) => opt(a, t(`action_${a}`), f.action === a)).join("")}</select></label>
      <label>${esc(t("sector"))} <select data-filter="sector">${opt("", t("all"))}${usedSectors.map((s) => opt(s, `${sectorNames[s] || s} ${s}`, f.sector === s)).join("")}</select></label>
      <label>${esc(t("search"))} <input data-filter="q" value="${esc(f.q)}" size="14"></label>
      <span id="count" class="muted small"></span>
    </div>
    <div id="warnings-holder" class="scroll"></div>`;
  const columns = [
    { label: t("school"), value: (w) => w.school_name || w.school },
    { label: t("major"), html: (w) => `${esc(w.major_name || w.major)} <span class="muted small">${esc(w.major)}</span>`, sort: (w) => w.major_name },
    { label: t("level"), html: (w) => `<span class="tag ${esc(w.level)}">${esc(t(`level_${w.level}`))}</span>`, sort: (w) => LEVEL_ORDER[w.level] },
    { label: t("action"), value: (w) => t(`action_${w.action || "none"}`) },
    { label: `${t("current")} → ${t("recommended")}`, num: true, html: (w) => `${fmt(w.current_intake)} → <b>${fmt(w.recommended_intake)}</b>`, sort: (w) => (w.recommended_intake ?? 0) - (w.current_intake ?? 0) },
    { label: t("probability"), num: true, value: (w) => `${pct(w.evidence && w.evidence.p_shortage)} / ${pct(w.evidence && w.evidence.p_surplus)}`, sort: (w) => w.evidence && w.evidence.p_shortage },
    { label: t("planYear"), num: true, key: "plan_year" },
  ];
  const holder = document.getElementById("warnings-holder");
  let rows = [];
  const draw = () => {
    holder.innerHTML = tableHtml("warnings", columns, rows, { main: true, clickable: true });
    document.getElementById("count").textContent = t("rowsShown", { n: rows.length, t: all.length });
    sortable(holder.firstChild, columns, rows, draw);
    holder.querySelector("tbody").addEventListener("click", (event) => {
      const tr = event.target.closest("tr[data-row]"); if (!tr) return;
      const next = tr.nextElementSibling;
      if (next && next.classList.contains("detail")) { next.remove(); return; }
      tr.insertAdjacentHTML("afterend", detailHtml(rows[Number(tr.dataset.row)], columns.length, sectorsOf, sectorNames));
    });
  };
  const apply = () => {
    const q = f.q.toLowerCase();
    rows = all.filter((w) => (!f.school || w.school === f.school) && (!f.level || w.level === f.level) && (!f.action || w.action === f.action)
      && (!f.sector || (sectorsOf[w.major] || []).includes(f.sector))
      && (!q || `${w.school_name} ${w.major_name} ${w.major} ${w.school}`.toLowerCase().includes(q)))
      .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || String(a.school).localeCompare(String(b.school)));
    draw();
  };
  view().querySelectorAll("[data-filter]").forEach((el) => el.addEventListener(el.tagName === "INPUT" ? "input" : "change", () => { f[el.dataset.filter] = el.value; apply(); }));
  apply();
  markReady();
}

function detailHtml(w, span, sectorsOf, sectorNames) {
  const evidence = Object.entries(w.evidence || {}).map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td class="num">${esc(typeof v === "number" ? (Number.isInteger(v) ? String(v) : fmt(v, 3)) : v)}</td></tr>`).join("");
  const feeds = (sectorsOf[w.major] || []).map((s) => `${sectorNames[s] || s} (${s})`).join("、");
  return `<tr class="detail"><td colspan="${span}">
    <p lang="zh-CN" class="explanation-zh"><b>说明</b> ${esc(w.explanation_zh)}</p>
    <p lang="en" class="explanation-en"><b>Explanation</b> ${esc(w.explanation_en)}</p>
    <p class="small"><b>${esc(t("rulesFired"))}:</b> ${esc((w.rules_fired || []).join(", "))} · <b>${esc(t("sectors"))}:</b> ${esc(feeds)}</p>
    <details open><summary>${esc(t("evidence"))}</summary><table class="evidence">${evidence}</table></details></td></tr>`;
}

/* ---------- scenarios ---------- */

const KIND_FIELDS = {
  employment_change: [["region", "text"], ["sector", "text"], ["percent", "number"], ["persons", "number"], ["from", "number"], ["to", "number"]],
  intake: [["school", "text"], ["major", "text"], ["value", "number"], ["from", "number"], ["to", "number"]],
  parameter: [["sector", "text"], ["school", "text"], ["major", "text"], ["parameter", "text"], ["value", "number"]],
};
const TARGET_KEYS = ["region", "sector", "school", "major"];

function encodeScenario(s) { return btoa(unescape(encodeURIComponent(JSON.stringify(s)))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
function decodeScenario(text) { return JSON.parse(decodeURIComponent(escape(atob(text.replace(/-/g, "+").replace(/_/g, "/"))))); }

function changeForm(change, index) {
  const kind = change.kind || "employment_change";
  const flat = { ...(change.target || {}), percent: change.percent, persons: change.persons, value: change.value, parameter: change.parameter,
    from: change.years && change.years.from, to: change.years && change.years.to };
  return `<div class="change" data-index="${index}"><label>${esc(t("kindLabel"))} <select data-k="kind">${Object.keys(KIND_FIELDS).map((k) =>
    `<option value="${k}" ${k === kind ? "selected" : ""}>${esc(t(`k_${k}`))}</option>`).join("")}</select></label>
    ${KIND_FIELDS[kind].map(([name, type]) => `<label>${esc(t(name === "from" ? "fromYear" : name === "to" ? "toYear" : name))} <input data-k="${name}" type="${type}" step="any" size="8" value="${esc(flat[name] ?? "")}"></label>`).join("")}
    <button type="button" class="btn" data-remove="${index}">${esc(t("remove"))}</button></div>`;
}

function readScenario(form) {
  const changes = [...form.querySelectorAll(".change")].map((el) => {
    const get = (k) => { const input = el.querySelector(`[data-k="${k}"]`); return input ? input.value.trim() : ""; };
    const change = { kind: get("kind"), target: {} };
    TARGET_KEYS.forEach((k) => { if (get(k)) change.target[k] = get(k); });
    ["percent", "persons", "value"].forEach((k) => { if (get(k) !== "") change[k] = Number(get(k)); });
    if (get("parameter")) change.parameter = get("parameter");
    const years = {};
    if (get("from")) years.from = Number(get("from"));
    if (get("to")) years.to = Number(get("to"));
    if (Object.keys(years).length) change.years = years;
    return change;
  });
  const name = form.querySelector("#scenario-name").value.trim() || "scenario";
  return { id: name.replace(/[^\w-]+/g, "-").replace(/^-+|-+$/g, "").toLowerCase() || "web-scenario", name, changes };
}

async function renderScenarios(_parts, params) {
  const region = await regionFor(params);
  const shared = params.get("s");
  let scenario = shared ? decodeScenario(shared) : { id: "ev-plant", name: lang === "en" ? "New EV plant" : "新能源汽车新工厂",
    changes: [{ kind: "employment_change", target: { region, sector: "C36" }, percent: 15, years: { from: 2027 } }] };
  const saved = JSON.parse(localStorage.getItem("tcScenarios") || "[]");
  view().innerHTML = `<h1>${esc(t("scenarios"))}</h1>
    <form id="scenario-form" class="card"><label>${esc(t("scenarioName"))} <input id="scenario-name" size="30" value="${esc(scenario.name)}"></label>
    <label>${esc(t("resultYear"))} <input id="scenario-year" type="number" size="6" value="${esc(params.get("year") || "")}"></label>
    <div id="changes"></div>
    <button type="button" class="btn" id="add-change">${esc(t("addChange"))}</button>
    <button type="submit" class="btn primary" id="run-scenario">${esc(t("runScenario"))}</button>
    <button type="button" class="btn" id="save-scenario">${esc(t("saveScenario"))}</button>
    <button type="button" class="btn" id="share-scenario">${esc(t("copyLink"))}</button> <span id="scenario-note" class="muted small"></span></form>
    <div class="card"><h2>${esc(t("saved"))}</h2><div id="saved-list"></div></div>
    <div id="scenario-result"></div>`;
  const form = document.getElementById("scenario-form");
  const changesEl = document.getElementById("changes");
  const drawChanges = () => { changesEl.innerHTML = scenario.changes.map(changeForm).join(""); };
  drawChanges();
  changesEl.addEventListener("change", (e) => { if (e.target.dataset.k === "kind") { scenario = readScenario(form); drawChanges(); } });
  changesEl.addEventListener("click", (e) => { if (e.target.dataset.remove !== undefined) { scenario = readScenario(form); scenario.changes.splice(Number(e.target.dataset.remove), 1); drawChanges(); } });
  document.getElementById("add-change").addEventListener("click", () => { scenario = readScenario(form); scenario.changes.push({ kind: "intake", target: {} }); drawChanges(); });
  const shareUrl = () => `${location.origin}${location.pathname}#/scenarios?${new URLSearchParams({ s: encodeScenario(readScenario(form)), year: document.getElementById("scenario-year").value }).toString()}`;
  document.getElementById("share-scenario").addEventListener("click", async () => {
    const url = shareUrl();
    history.replaceState(null, "", url);
    try { await navigator.clipboard.writeText(url); } catch (e) { /* clipboard needs a secure context; the address bar has it */ }
    document.getElementById("scenario-note").textContent = t("linkCopied");
  });
  const drawSaved = () => {
    document.getElementById("saved-list").innerHTML = saved.length ? `<ul>${saved.map((s, i) => `<li><a href="#/scenarios?s=${esc(encodeScenario(s))}" data-saved="${i}">${esc(s.name)}</a> <span class="muted small">${esc(s.changes.length)}</span></li>`).join("")}</ul>` : `<span class="muted">—</span>`;
  };
  drawSaved();
  document.getElementById("save-scenario").addEventListener("click", () => {
    const s = readScenario(form);
    const i = saved.findIndex((x) => x.name === s.name);
    if (i >= 0) saved[i] = s; else saved.push(s);
    localStorage.setItem("tcScenarios", JSON.stringify(saved));
    drawSaved();
  });
  form.addEventListener("submit", async (event) => { event.preventDefault(); await runScenario(readScenario(form), region, Number(document.getElementById("scenario-year").value) || null); });
  markReady();
  if (shared) await runScenario(scenario, region, Number(params.get("year")) || null);
}

async function runScenario(scenario, region, wantedYear) {
  const out = document.getElementById("scenario-result");
  out.innerHTML = `<div class="card muted">${esc(t("computing"))}</div>`;
  try {
    const q = `region=${encodeURIComponent(region)}`;
    const [result, baseGaps, baseWarnings] = await Promise.all([
      api(`/v1/scenarios?${q}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(scenario) }),
      apiAll(`/v1/gaps?${q}`), apiAll(`/v1/warnings?${q}`),
    ]);
    const years = [...new Set(result.gaps.map((g) => g.year))].sort();
    const year = wantedYear && years.includes(wantedYear) ? wantedYear : years[years.length - 1];
    const base = Object.fromEntries(baseGaps.items.filter((g) => g.year === year).map((g) => [g.sector, g]));
    const sectorRows = result.gaps.filter((g) => g.year === year).map((g) => ({ s: g, b: base[g.sector] || {} }))
      .filter(({ s, b }) => Math.abs((s.gap_mean ?? 0) - (b.gap_mean ?? 0)) > 0.05 || reading(s) !== reading(b))
      .sort((x, y) => Math.abs(y.s.gap_mean - y.b.gap_mean) - Math.abs(x.s.gap_mean - x.b.gap_mean));
    const wkey = (w) => `${w.school}|${w.major}|${w.plan_year}`;
    const baseW = Object.fromEntries(baseWarnings.items.map((w) => [wkey(w), w]));
    const majorRows = result.warnings.map((w) => ({ s: w, b: baseW[wkey(w)] || {} }))
      .filter(({ s, b }) => s.level !== b.level || s.recommended_intake !== b.recommended_intake || s.action !== b.action);
    const arrow = (b, s, d = 0) => { const diff = (s ?? 0) - (b ?? 0); return `${fmt(b, d)} → <b>${fmt(s, d)}</b> <span class="${diff > 0 ? "up" : diff < 0 ? "down" : ""}">(${diff > 0 ? "+" : ""}${fmt(diff, d)})</span>`; };
    const sectorTable = sectorRows.length ? tableHtml("scenario-sectors", [
      { label: t("sector"), value: (r) => `${r.s.sector_name || r.s.sector} ${r.s.sector}` },
      { label: t("gap"), num: true, html: (r) => arrow(r.b.gap_mean, r.s.gap_mean) },
      { label: t("ratio"), num: true, html: (r) => arrow(r.b.ratio_median, r.s.ratio_median, 2) },
      { label: t("pShortage"), num: true, value: (r) => `${pct(r.b.p_shortage)} → ${pct(r.s.p_shortage)}` },
      { label: t("status"), html: (r) => `${readingTag(r.b)} → ${readingTag(r.s)}` },
    ], sectorRows, { main: true }) : `<p class="muted" id="scenario-sectors-none">${esc(t("noChange"))}</p>`;
    const majorTable = majorRows.length ? tableHtml("scenario-majors", [
      { label: t("school"), value: (r) => r.s.school_name || r.s.school },
      { label: t("major"), value: (r) => `${r.s.major_name || r.s.major} ${r.s.major}` },
      { label: t("level"), html: (r) => `<span class="tag ${esc(r.b.level)}">${esc(t(`level_${r.b.level}`))}</span> → <span class="tag ${esc(r.s.level)}">${esc(t(`level_${r.s.level}`))}</span>` },
      { label: t("recommended"), num: true, html: (r) => arrow(r.b.recommended_intake, r.s.recommended_intake) },
    ], majorRows) : `<p class="muted">${esc(t("noChange"))}</p>`;
    out.innerHTML = `<div class="card" id="scenario-diff" data-baseline-run="${esc(result.baseline_run_id)}"><h2>${esc(t("sectorsChanged", { y: year }))}</h2>${sectorTable}
      <h2>${esc(t("majorsChanged"))}</h2>${majorTable}</div>`;
  } catch (error) {
    out.innerHTML = errorBox(error);
  }
}

/* ---------- downloads ---------- */

async function download(path, filename) {
  const response = await api(path, { raw: true });
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = disposition.match(/filename="([^"]+)"/);
  const url = URL.createObjectURL(blob);
  saveUrl(url, match ? match[1] : filename);
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function renderDownloads(_parts, params) {
  const role = session.me.role;
  const kinds = role === "school" ? [["warnings", "/v1/warnings"], ["supply", "/v1/forecasts/supply"]]
    : [["gaps", "/v1/gaps"], ["demand", "/v1/forecasts/demand"], ["supply", "/v1/forecasts/supply"], ["warnings", "/v1/warnings"]];
  const region = role === "school" ? null : await regionFor(params);
  view().innerHTML = `<h1>${esc(t("downloads"))}</h1><div class="card"><h2>${esc(t("tables"))}</h2>
    <table id="downloads-table" data-main="1"><tbody>${kinds.map(([kind, path]) => `<tr><td>${esc(t(`${kind}_t`))}</td>${["xlsx", "csv"].map((f) =>
      `<td><button class="btn" type="button" data-download="${esc(path)}?format=${f}${region ? `&region=${esc(region)}` : ""}" data-name="${kind}.${f}">${f.toUpperCase()}</button></td>`).join("")}</tr>`).join("")}</tbody></table>
    <div id="download-error"></div></div>
    ${role === "school" ? "" : `<div class="card"><h2>${esc(t("charts"))}</h2><p class="muted">${esc(t("chartsHint"))}</p><div id="heatmap" class="chart tall"></div></div>`}`;
  view().querySelector("#downloads-table").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-download]"); if (!button) return;
    try { await download(button.dataset.download, button.dataset.name); } catch (error) { document.getElementById("download-error").innerHTML = errorBox(error); }
  });
  markReady();
  if (role !== "school") {
    const gaps = (await apiAll(`/v1/gaps?region=${encodeURIComponent(region)}`)).items.filter((g) => g.ratio_median !== null);
    const years = [...new Set(gaps.map((g) => g.year))].sort();
    const rated = [...new Map(gaps.map((g) => [g.sector, g.sector_name])).entries()];
    heatmapChart(document.getElementById("heatmap"), years, rated.map(([s, n]) => n || s),
      gaps.map((g) => [years.indexOf(g.year), rated.findIndex(([s]) => s === g.sector), Math.log2(Math.max(g.ratio_median, 1e-3)), g.ratio_median]), `heatmap-${region}`);
  }
}

/* ---------- admin ---------- */

async function renderAdmin() {
  const [datasets, runs, keys, health] = await Promise.all([api("/v1/datasets?limit=1000"), api("/v1/runs?limit=50"), api("/v1/keys"), api("/v1/health")]);
  const tables = Object.keys(health.datasets);
  view().innerHTML = `<h1>${esc(t("admin"))}</h1>
    <div class="card"><h2>${esc(t("datasets"))}</h2><div class="scroll" id="datasets"></div></div>
    <div class="card"><h2>${esc(t("upload"))}</h2><form id="upload-form" class="inline">
      <label>${esc(t("table"))} <select name="table">${tables.map((n) => `<option>${esc(n)}</option>`).join("")}</select></label>
      <input type="file" name="file" accept=".csv,.xlsx,.parquet"> <button class="btn primary" type="submit">${esc(t("uploadBtn"))}</button></form><div id="upload-result"></div></div>
    <div class="card"><h2>${esc(t("runs"))}</h2><div id="runs"></div><button class="btn" id="recompute" type="button">${esc(t("recompute"))}</button> <span id="recompute-note" class="muted small"></span></div>
    <div class="card"><h2>${esc(t("keys"))}</h2><div id="keys"></div>
      <form id="key-form" class="inline"><label>${esc(t("role"))} <select name="role"><option>planner</option><option>school</option><option>admin</option></select></label>
      <label>${esc(t("region"))} <input name="region" size="8"></label><label>${esc(t("school"))} <input name="school" size="12"></label>
      <label>${esc(t("name"))} <input name="name" size="14"></label><button class="btn" type="submit">${esc(t("createKey"))}</button></form><div id="key-result"></div></div>`;
  document.getElementById("datasets").innerHTML = tableHtml("datasets-table", [
    { label: t("table"), key: "table" }, { label: t("version"), num: true, key: "version" }, { label: t("rows"), num: true, value: (d) => fmt(d.rows) },
    { label: t("kind"), value: (d) => t(`kind_${(d.metadata && d.metadata.kind) || (d.metadata && d.metadata.synthetic ? "generated" : "user-supplied")}`) },
    { label: lang === "en" ? "file" : "文件", value: (d) => d.source_file }, { label: t("createdAt"), value: (d) => (d.created_at || "").slice(0, 19).replace("T", " ") },
  ], datasets.items, { main: true });
  document.getElementById("runs").innerHTML = tableHtml("runs-table", [
    { label: t("run"), num: true, key: "run_id" }, { label: t("createdAt"), value: (r) => (r.created_at || "").slice(0, 19).replace("T", " ") },
    { label: "status", key: "status" }, { label: "horizon", num: true, key: "horizon" }, { label: "scenario", key: "scenario_id" },
    { label: "datasets", value: (r) => Object.entries(r.dataset_versions).map(([k, v]) => `${k} v${v}`).join(", ") },
  ], runs.items);
  const drawKeys = (items) => {
    document.getElementById("keys").innerHTML = tableHtml("keys-table", [
      { label: "id", num: true, key: "id" }, { label: "prefix", key: "prefix" }, { label: t("role"), value: (k) => t(`role_${k.role}`) },
      { label: t("region"), key: "region" }, { label: t("school"), key: "school" }, { label: t("name"), key: "name" },
      { label: "", html: (k) => k.revoked_at ? `<span class="muted">${esc(t("revoked"))}</span>` : `<button class="btn" type="button" data-revoke="${esc(k.prefix)}">${esc(t("revoke"))}</button>` },
    ], items);
  };
  drawKeys(keys.items);
  markReady();
  document.getElementById("keys").addEventListener("click", async (event) => {
    const prefix = event.target.dataset.revoke; if (!prefix) return;
    try { await api(`/v1/keys/${encodeURIComponent(prefix)}`, { method: "DELETE" }); drawKeys((await api("/v1/keys")).items); }
    catch (error) { document.getElementById("key-result").innerHTML = errorBox(error); }
  });
  document.getElementById("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target).entries());
    Object.keys(data).forEach((k) => { if (data[k] === "") delete data[k]; });
    try {
      const created = await api("/v1/keys", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
      document.getElementById("key-result").innerHTML = `<div class="ok">${esc(t("newKey"))}<pre class="key" id="new-key">${esc(created.key)}</pre></div>`;
      drawKeys((await api("/v1/keys")).items);
    } catch (error) { document.getElementById("key-result").innerHTML = errorBox(error); }
  });
  document.getElementById("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = new FormData(); body.append("file", form.file.files[0]);
    const out = document.getElementById("upload-result");
    try {
      const report = await api(`/v1/datasets/${encodeURIComponent(form.table.value)}`, { method: "POST", body });
      out.innerHTML = `<div class="ok" id="upload-ok">${esc(t("valid", { v: report.version }))}</div>${issuesHtml(report.issues)}`;
    } catch (error) {
      const detail = error.detail;
      out.innerHTML = `<div class="error" id="upload-error">${esc(t("invalid"))} ${esc(typeof detail === "string" ? detail : "")}</div>${issuesHtml((error.body && error.body.issues) || [])}`;
    }
  });
  document.getElementById("recompute").addEventListener("click", async () => {
    const note = document.getElementById("recompute-note");
    note.textContent = t("computing");
    try { const run = await api("/v1/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }); note.textContent = `${t("run")} ${run.run_id}`; }
    catch (error) { note.innerHTML = errorBox(error); }
  });
}

function issuesHtml(issues) {
  if (!issues || !issues.length) return "";
  return `<ul class="issues">${issues.map((i) => `<li>${esc(lang === "en" ? (i.message_en || i.message) : (i.message_zh || i.message))}</li>`).join("")}</ul>`;
}

/* ---------- start ---------- */

document.getElementById("lang").addEventListener("click", () => { lang = lang === "en" ? "zh" : "en"; localStorage.setItem("tcLang", lang); route(); });
document.getElementById("signout").addEventListener("click", () => { signOut(); go("login"); renderLogin(); });
window.addEventListener("hashchange", route);
route();
