// TaskFlow's service worker: shows the reminders pushed to this browser (the payload of
// app/domain/notifications.py push_message), acts on their Done and Snooze buttons, opens the
// board when a notification is clicked, and tells the server when the browser replaced its
// push subscription.

// The buttons a notification shows: browsers show two at most.
const BUTTONS = ["done", "snooze-10m"];

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {};
  const links = message.actions || [];
  const buttons = links.filter((link) => BUTTONS.includes(link.action));
  event.waitUntil(
    self.registration.showNotification(message.title || "TaskFlow", {
      body: message.body || "",
      icon: "/icons/icon-192.png",
      tag: message.task_id ? `taskflow-task-${message.task_id}` : "taskflow",
      data: { links },
      actions: buttons.map((link) => ({ action: link.action, title: link.label })),
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clicked(event.notification, event.action));
});

// A button POSTs to its link (a link acts only on POST, and carries its own authority: no
// cookie goes with it); a click elsewhere on the notification opens the board.
function clicked(notification, action) {
  const links = (notification.data && notification.data.links) || [];
  const link = links.find((candidate) => candidate.action === action);
  return link ? fetch(link.url, { method: "POST", credentials: "omit" }) : openBoard();
}

async function openBoard() {
  const board = new URL("/", self.location.origin);
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = tabs.find((client) => new URL(client.url).origin === board.origin);
  return tab ? tab.focus() : self.clients.openWindow(board.href);
}

// The browser replaced its push subscription (it expired, or the push service renewed it):
// the new one takes the old one's place in this browser's channel. No one is signed in here;
// the old subscription's endpoint and secret are the proof of whose channel it is.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(resubscribed(event.oldSubscription, event.newSubscription));
});

async function resubscribed(old, renewed) {
  if (!old) return null; // nothing says which channel it was: settings can turn push on again
  const subscription = renewed || (await self.registration.pushManager.subscribe(old.options));
  return fetch("/api/push-renewals", {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ old: old.toJSON(), new: subscription.toJSON() }),
  });
}
