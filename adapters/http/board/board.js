// The live board of one room: asks for a token once (kept in sessionStorage, never in the URL),
// then shows the room's people from the live feed (presence_state, then presence_diff messages).
"use strict";

(function () {
  const TOKEN_KEY = "presence-token";
  const RANK = { online: 0, away: 1, dnd: 2, offline: 3 };
  const PING_MS = 20000;
  const room = decodeURIComponent(location.pathname.replace(/^\/rooms\//, ""));
  const people = new Map();
  const $ = (id) => document.getElementById(id);
  let retryMs = 500;
  let pinger = null;
  let live = false;  // whether the people shown come from the feed

  $("room").textContent = room;
  document.title = room + " · presence";

  function say(text, isError) {
    $("state").textContent = text;
    $("state").className = isError ? "error" : "";
  }

  function askForToken(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    people.clear();
    live = false;
    render();
    say(reason, true);
    $("login").hidden = false;
    $("token").focus();
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    $("login").hidden = true;
    connect();
  });

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function where(location) {
    return typeof location === "string" ? location : JSON.stringify(location);
  }

  function render() {
    const list = $("people");
    const sorted = [...people.values()].sort((a, b) =>
      (RANK[a.status] - RANK[b.status]) || (a.name || "").localeCompare(b.name || ""));
    list.replaceChildren(...sorted.map((person) => {
      const item = element("li", "person");
      item.dataset.userId = person.user_id;
      item.append(element("span", "dot " + person.status), element("span", "name", person.name || person.user_id),
                  element("span", "status", " · " + person.status));
      if (person.custom_status) item.append(element("span", "custom", "💬 " + person.custom_status));
      for (const device of person.devices || []) {
        const line = element("div", "device", device.name);
        if (device.location !== null && device.location !== undefined) {
          line.append(" · ", element("span", "location", where(device.location)));
        }
        item.append(line);
      }
      return item;
    }));
    $("empty").hidden = !live || people.size > 0;
  }

  function apply(message) {
    if (message.type === "presence_state") {
      live = true;
      people.clear();
      for (const [id, person] of Object.entries(message.people)) people.set(id, person);
    } else if (message.type === "presence_diff") {
      for (const id of Object.keys(message.leaves)) people.delete(id);
      for (const [id, person] of Object.entries(message.joins)) people.set(id, person);
      for (const [id, person] of Object.entries(message.changes)) people.set(id, person);
    } else {
      return;
    }
    render();
  }

  function connect() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      askForToken("Enter an API token to see this room.");
      return;
    }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const url = scheme + location.host + "/v1/rooms/" + encodeURIComponent(room) + "/feed";
    const socket = new WebSocket(url, ["presence.v1", "bearer." + token]);
    say("Connecting…");
    socket.addEventListener("open", () => {
      retryMs = 500;
      say("Live");
      pinger = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), PING_MS);
    });
    socket.addEventListener("message", (event) => apply(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(pinger);
      if (event.code === 4401) return askForToken("That token is unknown or revoked. Enter another one.");
      if (event.code === 4403) return say("You can see this chat only if you were seen in it.", true);
      if (event.code === 4400) return say("This room id is not valid.", true);
      say("Reconnecting…", true);
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    });
  }

  connect();
})();
