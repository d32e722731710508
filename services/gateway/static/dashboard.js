// Operators' dashboard: log in through the gateway, fetch /api/v1/gateway/dashboard, draw with ECharts.
// Chinese first; the English toggle is kept in localStorage. A panel whose service has no data says so.
(function () {
  "use strict";
  const TIERS = ["innovative_sme", "srdi_sme", "little_giant", "single_champion"];
  const TEXT = {
    zh: {
      title: "专精特新企业梯度培育运营看板", login: "登录", username: "用户名", password: "密码", signin: "登录",
      logout: "退出", pyramid: "梯度培育金字塔（已认定 / 符合条件 / 目标）", prefectures: "各州（市）符合条件企业",
      seedbanks: "种子库规模与 2×/3× 要求（1月31日前报备）", funnel: "融资对接漏斗", coverage: "助企服务覆盖率（目标 80%）",
      overdue: "逾期事项", nodata: "暂无数据 / no data", recognised: "已认定", eligible: "符合条件",
      target2025: "2025年目标", target2027: "2027年目标", nextYear: "年度增量目标", size: "入库数量",
      required: "应入库数量", filing: "报备截止", coverageRate: "覆盖率", target: "目标", province: "全省",
      scope: "数据范围", loginFailed: "用户名或密码错误", overdueNeeds: "逾期融资需求", lang: "English",
      innovative_sme: "创新型中小企业", srdi_sme: "专精特新中小企业", little_giant: "专精特新“小巨人”",
      single_champion: "制造业单项冠军",
      posted: "发布", matched: "匹配", accepted: "受理", approved: "审批", disbursed: "放款",
    },
    en: {
      title: "SRDI enterprise cultivation — operators' dashboard", login: "Log in", username: "User name",
      password: "Password", signin: "Log in", logout: "Log out",
      pyramid: "Tier pyramid (recognised / eligible / targets)", prefectures: "Eligible enterprises by prefecture",
      seedbanks: "Seed banks against the 2×/3× rule (file by 31 January)", funnel: "Financing funnel",
      coverage: "Service coverage (target 80%)", overdue: "Overdue items", nodata: "暂无数据 / no data",
      recognised: "Recognised", eligible: "Eligible", target2025: "2025 target", target2027: "2027 target",
      nextYear: "Yearly increment target", size: "Size", required: "Required", filing: "File by",
      coverageRate: "Coverage", target: "Target", province: "Province", scope: "Scope",
      loginFailed: "Wrong user name or password", overdueNeeds: "Overdue financing needs", lang: "中文",
      innovative_sme: "Innovative SME", srdi_sme: "SRDI SME", little_giant: "Little giant",
      single_champion: "Single champion",
      posted: "Posted", matched: "Matched", accepted: "Accepted", approved: "Approved", disbursed: "Disbursed",
    },
  };
  const FUNNEL = ["posted", "matched", "accepted", "approved", "disbursed"];
  let lang = localStorage.getItem("srdi-lang") || "zh";
  let data = null;
  const charts = {};
  const t = (key) => TEXT[lang][key] || key;
  const $ = (id) => document.getElementById(id);

  function applyText() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = t("lang");
  }

  function noData(id, reason) {
    const el = $(id);
    if (charts[id]) { charts[id].dispose(); delete charts[id]; }
    el.innerHTML = "";
    const p = document.createElement("p");
    p.className = "no-data";
    p.textContent = t("nodata");
    if (reason) p.title = reason.reason || "";
    el.appendChild(p);
  }

  function draw(id, option) {
    const el = $(id);
    if (!charts[id]) { el.innerHTML = ""; charts[id] = echarts.init(el); }
    charts[id].setOption(option, true);
    el.dataset.rendered = "true";
  }

  function tierCounts(pyramid) {
    const byTier = {};
    (pyramid.tiers || []).forEach((entry) => { byTier[entry.tier] = entry; });
    return byTier;
  }

  function renderPyramid() {
    const pyramid = data.pyramid;
    if (!pyramid) return noData("chart-pyramid", data.unavailable.pyramid);
    const byTier = tierCounts(pyramid);
    const series = [
      { name: t("recognised"), type: "bar", data: TIERS.map((k) => (byTier[k] ? byTier[k].recognised : 0)) },
      { name: t("eligible"), type: "bar", data: TIERS.map((k) => (byTier[k] ? byTier[k].eligible : 0)) },
    ];
    if (data.targets) {
      const years = data.targets.by_year;
      series.push({ name: t("target2025"), type: "bar", data: TIERS.map((k) => (k in years["2025"] ? years["2025"][k] : null)) });
      series.push({ name: t("target2027"), type: "bar", data: TIERS.map((k) => (k in years["2027"] ? years["2027"][k] : null)) });
      const step = data.targets.yearly_increment;
      series.push({ name: t("nextYear"), type: "bar",
        data: TIERS.map((k) => (k in step ? (byTier[k] ? byTier[k].recognised : 0) + step[k] : null)) });
    }
    draw("chart-pyramid", {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: TIERS.map(t) }, yAxis: { type: "value" }, series,
    });
  }

  function renderPrefectures() {
    const pyramid = data.pyramid;
    if (!pyramid) return noData("chart-prefectures", data.unavailable.pyramid);
    const byTier = tierCounts(pyramid);
    const codes = new Set();
    Object.values(byTier).forEach((entry) => Object.keys(entry.by_prefecture || {}).forEach((c) => codes.add(c)));
    const sorted = [...codes].sort();
    if (!sorted.length) return noData("chart-prefectures");
    const names = data.prefecture_names || {};
    draw("chart-prefectures", {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", data: sorted.map((c) => (lang === "zh" && names[c] ? names[c] : c)) },
      yAxis: { type: "value" },
      series: TIERS.filter((k) => byTier[k]).map((k) => ({
        name: t(k), type: "bar", stack: "eligible",
        data: sorted.map((c) => ((byTier[k].by_prefecture[c] || {}).eligible || 0)),
      })),
    });
  }

  function renderSeedBanks() {
    const banks = data.seed_banks;
    if (!banks || !banks.length) return noData("chart-seedbanks", data.unavailable.seed_banks);
    const label = (b) => `${b.year} ${t(b.tier)} ${b.scope === "53" ? t("province") : (data.prefecture_names[b.scope] || b.scope)}`
      + ` (${b.multiple}×, ${t("filing")} ${b.filing_deadline})`;
    draw("chart-seedbanks", {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 60 },
      xAxis: { type: "category", data: banks.map(label), axisLabel: { interval: 0, width: 160, overflow: "break" } },
      yAxis: { type: "value" },
      series: [
        { name: t("size"), type: "bar", data: banks.map((b) => b.size) },
        { name: t("required"), type: "bar", data: banks.map((b) => b.required_size) },
      ],
    });
  }

  function renderFunnel() {
    const finance = data.finance;
    if (!finance || !finance.funnel) return noData("chart-funnel", data.unavailable.finance);
    draw("chart-funnel", {
      tooltip: { trigger: "item" },
      series: [{ name: t("funnel"), type: "funnel", sort: "none", left: "10%", width: "80%",
        data: FUNNEL.map((stage) => ({ name: t(stage), value: finance.funnel[stage] || 0 })) }],
    });
  }

  function renderCoverage() {
    const coverage = data.coverage;
    if (!coverage || !coverage.prefectures) return noData("chart-coverage", data.unavailable.coverage);
    const target = Number(coverage.target || data.coverage_target) * 100;
    const rows = coverage.prefectures;
    const names = data.prefecture_names || {};
    draw("chart-coverage", {
      tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, top: 30, bottom: 40 },
      title: { text: `${t("coverageRate")} ${(Number(coverage.overall.coverage) * 100).toFixed(1)}%`, textStyle: { fontSize: 13 } },
      xAxis: { type: "category", data: rows.map((r) => (lang === "zh" && names[r.prefecture_code] ? names[r.prefecture_code] : r.prefecture_code)) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: t("coverageRate"), type: "bar", data: rows.map((r) => Number((Number(r.coverage) * 100).toFixed(1))),
        markLine: { symbol: "none", data: [{ yAxis: target, name: t("target") }] } }],
    });
  }

  function renderOverdue() {
    const el = $("overdue");
    const value = data.overdue ? data.overdue.finance_needs : null;
    if (value === null || value === undefined) {
      el.textContent = t("nodata");
      el.dataset.value = "";
      return;
    }
    el.textContent = `${t("overdueNeeds")}: ${value}`;
    el.dataset.value = String(value);
  }

  function render() {
    applyText();
    if (!data) return;
    $("scope").textContent = `${t("scope")}: ${data.scope === "53" ? t("province") : (data.prefecture_names[data.scope] || data.scope)}`;
    renderPyramid(); renderPrefectures(); renderSeedBanks(); renderFunnel(); renderCoverage(); renderOverdue();
    document.body.dataset.ready = "true";
  }

  async function load() {
    const token = sessionStorage.getItem("srdi-token");
    if (!token) return;
    const answer = await fetch("/api/v1/gateway/dashboard", { headers: { Authorization: `Bearer ${token}` } });
    if (answer.status === 401) { sessionStorage.removeItem("srdi-token"); show(false); return; }
    data = await answer.json();
    show(true);
    render();
  }

  function show(loggedIn) {
    $("login-panel").hidden = loggedIn;
    $("board").hidden = !loggedIn;
    $("logout").hidden = !loggedIn;
    $("who").textContent = loggedIn ? (sessionStorage.getItem("srdi-name") || "") : "";
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    const answer = await fetch("/api/v1/gateway/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    if (!answer.ok) {
      const problem = await answer.json().catch(() => ({}));
      $("login-error").textContent = answer.status === 401 ? t("loginFailed") : (problem.title_zh || problem.title || answer.status);
      return;
    }
    const body = await answer.json();
    sessionStorage.setItem("srdi-token", body.access_token);
    sessionStorage.setItem("srdi-name", body.name);
    await load();
  });
  $("logout").addEventListener("click", () => { sessionStorage.clear(); data = null; show(false); });
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("srdi-lang", lang); render(); });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  applyText();
  load();
})();
