// Call centre wallboard: renders the board document (docs/wallboard.md) and keeps it
// current from the server's event stream. Plain DOM, no framework, no build step.
// Every value is set with textContent, so a caller's name can never inject markup.
"use strict";

(() => {
  const KIND_LABELS = {
    c2c: "Click to call",
    callback: "Callbacks",
    campaign: "Campaigns",
    inbound: "Inbound",
    otp: "OTP",
    other: "Other (not from this daemon)",
  };
  let receivedAt = Date.now();

  /** Create an element: el("td", {className: "n"}, "text", child, ...). */
  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(hours ? 2 : 1, "0");
    const ss = String(s % 60).padStart(2, "0");
    return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  /** A wait; while ``ticking`` it keeps counting between updates (from data-wait). */
  function waitCell(tag, seconds, ticking, props) {
    const node = el(tag, props, duration(seconds));
    if (ticking) node.dataset.wait = String(seconds);
    return node;
  }

  function tickWaits() {
    const elapsed = (Date.now() - receivedAt) / 1000;
    for (const node of document.querySelectorAll("[data-wait]")) {
      node.textContent = duration(Number(node.dataset.wait) + elapsed);
    }
  }

  function figure(label, value, id) {
    const dd = typeof value === "object" ? value : el("dd", {}, String(value));
    if (id) dd.id = id;
    return el("div", { className: "figure" }, el("dt", {}, label), dd);
  }

  function table(caption, headings, rows, className) {
    const head = el("tr", {}, ...headings.map((text) => el("th", { scope: "col" }, text)));
    return el(
      "table",
      { className },
      el("caption", {}, caption),
      el("thead", {}, head),
      el("tbody", {}, ...rows),
    );
  }

  function agentState(agent) {
    if (agent.paused) return ["paused", agent.paused_reason ? `Paused: ${agent.paused_reason}` : "Paused"];
    if (agent.in_call) return ["busy", "In call"];
    if (agent.status === "Unavailable" || agent.status === "Invalid") return ["off", "Logged off"];
    if (agent.status === "Ringing" || agent.status === "Ring in use") return ["ringing", "Ringing"];
    if (agent.status === "Not in use") return ["free", "Available"];
    return ["busy", agent.status];
  }

  function agentsTable(agents) {
    if (!agents.length) return el("p", { className: "empty" }, "No agents in this queue.");
    const rows = agents.map((agent) => {
      const [kind, label] = agentState(agent);
      return el(
        "tr",
        { className: `agent agent--${kind}` },
        el("th", { scope: "row" }, agent.name),
        el("td", {}, el("span", { className: "pill" }, label)),
        el("td", { className: "n" }, String(agent.calls_taken)),
      );
    });
    return table("Agents", ["Agent", "State", "Calls taken"], rows, "agents");
  }

  /** Asterisk says "<unknown>" for a missing caller ID name: show the number alone. */
  function callerLabel(caller) {
    const named = caller.name && caller.name !== "<unknown>";
    return named ? `${caller.name} (${caller.number})` : caller.number || "Unknown caller";
  }

  function callersTable(callers) {
    if (!callers.length) return el("p", { className: "empty" }, "No callers waiting.");
    const rows = callers.map((caller) =>
      el(
        "tr",
        {},
        el("td", { className: "n" }, String(caller.position)),
        el("th", { scope: "row" }, callerLabel(caller)),
        waitCell("td", caller.wait, true, { className: "n" }),
      ),
    );
    return table("Waiting callers", ["#", "Caller", "Wait"], rows, "callers");
  }

  function queueCard(queue, index) {
    const titleId = `queue-${index}`;
    const figures = el(
      "dl",
      { className: "figures" },
      figure("Waiting", queue.waiting),
      figure("Longest wait", waitCell("dd", queue.longest_wait, queue.waiting > 0)),
      figure("Answered today", queue.answered),
      figure("Abandoned today", queue.abandoned),
      figure("Abandon rate", `${queue.abandon_rate.toFixed(1)} %`),
      figure("Average wait", duration(queue.avg_wait)),
    );
    const card = el(
      "article",
      { className: queue.waiting ? "queue queue--waiting" : "queue" },
      el("h3", { id: titleId }, queue.name),
      figures,
      agentsTable(queue.agents),
      callersTable(queue.callers),
    );
    card.dataset.queue = queue.name;
    card.setAttribute("aria-labelledby", titleId);
    return card;
  }

  function renderTotals(board) {
    const t = board.totals;
    const items = [
      figure("Waiting", t.waiting, "total-waiting"),
      figure("Longest wait", waitCell("dd", t.longest_wait, t.waiting > 0)),
      figure("Agents in call", `${t.in_call} / ${t.agents}`),
      figure("Agents paused", t.paused),
      figure("Answered today", t.answered, "total-answered"),
      figure("Abandoned today", t.abandoned, "total-abandoned"),
    ];
    if (board.live_calls) items.push(figure("Live calls", board.live_calls.total, "live-total"));
    document.getElementById("totals").replaceChildren(...items);
  }

  function renderQueues(board) {
    document.getElementById("pbx-down").hidden = board.pbx !== "down";
    const queues = board.queues || [];
    const body = queues.length
      ? queues.map(queueCard)
      : [el("p", { className: "empty" }, board.queues ? "No queues to show." : "Queue state unavailable.")];
    document.getElementById("queues").replaceChildren(...body);
  }

  const RESTRICTED = "Shown only to users allowed every queue.";

  function renderLive(board) {
    const live = board.live_calls;
    let body;
    if (!live) {
      body = [el("p", { className: "empty" }, RESTRICTED)];
    } else {
      const rows = Object.entries(live.by_kind).map(([kind, count]) =>
        el(
          "tr",
          { className: count ? "" : "zero" },
          el("th", { scope: "row" }, KIND_LABELS[kind] || kind),
          el("td", { className: "n" }, String(count)),
        ),
      );
      body = [
        el("p", { className: "headline" }, `${live.total} calls on ${live.channels} channels`),
        table("Live calls by kind", ["Kind", "Calls"], rows, "kinds"),
      ];
    }
    document.getElementById("live-body").replaceChildren(...body);
  }

  function campaignRow(campaign) {
    const percent = campaign.total ? Math.round((100 * campaign.done) / campaign.total) : 0;
    const bar = el("progress", { max: Math.max(campaign.total, 1), value: campaign.done });
    bar.setAttribute("aria-label", `${campaign.name}: ${percent} % done`);
    return el(
      "tr",
      { className: `campaign campaign--${campaign.status}` },
      el("th", { scope: "row" }, campaign.name, el("small", {}, ` ${campaign.account}`)),
      el("td", {}, el("span", { className: "pill" }, campaign.status)),
      el("td", {}, bar, ` ${campaign.done} / ${campaign.total}`),
      el("td", { className: "n" }, String(campaign.dialing)),
      el("td", { className: "n" }, String(campaign.answered)),
    );
  }

  function renderCampaigns(board) {
    const campaigns = board.campaigns;
    let body;
    if (board.restricted) body = el("p", { className: "empty" }, RESTRICTED);
    else if (!campaigns) body = el("p", { className: "empty" }, "Campaigns are not available on this server.");
    else if (!campaigns.length) body = el("p", { className: "empty" }, "No campaigns running or finished in the last 24 hours.");
    else {
      body = table(
        "Campaign status and progress",
        ["Campaign", "Status", "Progress", "Dialling", "Answered"],
        campaigns.map(campaignRow),
        "campaign-table",
      );
    }
    document.getElementById("campaigns-body").replaceChildren(body);
  }

  function render(board) {
    receivedAt = Date.now();
    renderTotals(board);
    renderQueues(board);
    renderLive(board);
    renderCampaigns(board);
    const updated = document.getElementById("updated");
    const at = new Date(board.at * 1000);
    updated.dateTime = at.toISOString();
    updated.textContent = at.toLocaleTimeString();
  }

  function connect() {
    const status = document.getElementById("connection");
    const source = new EventSource("wallboard/events");
    source.addEventListener("open", () => {
      status.textContent = "Live";
      status.className = "live";
    });
    source.addEventListener("error", () => {
      status.textContent = "Reconnecting…";
      status.className = "stale";
    });
    source.addEventListener("board", (event) => render(JSON.parse(event.data)));
  }

  render(JSON.parse(document.getElementById("initial-board").textContent));
  setInterval(tickWaits, 1000);
  connect();
})();
